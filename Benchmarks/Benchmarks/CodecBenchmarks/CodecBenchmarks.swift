import Benchmark
import StrataCodecs
import StrataTestSupport

// Each measured operation encodes or decodes exactly 1,000,000 points, in
// chunks of 1,000 (the size of a stored chunk), with a `.mega` scaling
// factor: the throughput column then reads directly in millions of points
// per second.
let pointsPerChunk = 1_000
let chunkCount = 1_000

enum Workload {
    /// A reading every 10 s, exactly.
    static func regularTimestamps() -> [Int64] {
        (0..<(pointsPerChunk * chunkCount)).map { 1_767_225_600_000 + Int64($0) * 10_000 }
    }

    /// A reading every 10 s with ±20 ms of clock jitter.
    static func jitteryTimestamps() -> [Int64] {
        var random = SeededGenerator(seed: 1)
        return (0..<(pointsPerChunk * chunkCount)).map { 1_767_225_600_000 + Int64($0) * 10_000 + Int64(random.next() % 41) - 20 }
    }

    /// A reading every 10 s with readings missing, as in the beijing data set:
    /// about one delta in 150 skips one to three readings, one in 3,000 a day.
    static func gappyTimestamps() -> [Int64] {
        var random = SeededGenerator(seed: 4)
        var time: Int64 = 1_767_225_600_000
        return (0..<(pointsPerChunk * chunkCount)).map { _ in
            defer {
                let roll = random.next() % 3000
                time += 10_000 * (roll < 20 ? Int64(roll % 3) + 2 : roll == 20 ? 8_641 : 1)
            }
            return time
        }
    }

    /// A temperature at 0.1 °C resolution: a slow random walk.
    static func sensorValues() -> [Double] {
        var random = SeededGenerator(seed: 2)
        var tenths: Int64 = 215
        return (0..<(pointsPerChunk * chunkCount)).map { _ in
            tenths += Int64(random.next() % 5) - 2
            return Double(tenths) / 10
        }
    }

    static func counters() -> [Int64] {
        var random = SeededGenerator(seed: 3)
        var total: Int64 = 0
        return (0..<(pointsPerChunk * chunkCount)).map { _ in total += Int64(random.next() % 100); return total }
    }

    /// The counters with three outliers in every chunk of 1,000: a glitch to a
    /// huge value, a glitch to -1, and a reset to zero.
    static func countersWithOutliers() -> [Int64] {
        var values = counters()
        var offset: Int64 = 0
        for index in values.indices {
            switch index % 1000 {
            case 211: values[index] = 4_000_000_000_000
            case 517: values[index] = -1
            case 803: offset = values[index]
            default: break
            }
            if index % 1000 != 211 && index % 1000 != 517 { values[index] -= offset }
        }
        return values
    }

    /// A state (one of four levels) held for 20 to 300 readings at a time.
    static func runs() -> [Int64] {
        var random = SeededGenerator(seed: 4)
        var values: [Int64] = []
        values.reserveCapacity(pointsPerChunk * chunkCount)
        while values.count < pointsPerChunk * chunkCount {
            let level = Int64(random.next() % 4) * 10
            let length = min(20 + Int(random.next() % 281), pointsPerChunk * chunkCount - values.count)
            values.append(contentsOf: repeatElement(level, count: length))
        }
        return values
    }

    /// A gauge that is quiet (±2) for half of each chunk of 1,000 and noisy
    /// (±100,000) for the other half: the shape where per-block widths win.
    static func quietThenNoisy() -> [Int64] {
        var random = SeededGenerator(seed: 5)
        var level: Int64 = 0
        return (0..<(pointsPerChunk * chunkCount)).map { index in
            let swing: UInt64 = index % 1000 < 500 ? 5 : 200_001
            level += Int64(random.next() % swing) - Int64(swing / 2)
            return level
        }
    }
}

/// Encoded chunks laid out back to back, with their offsets.
struct EncodedChunks {
    var bytes: [UInt8] = []
    var offsets: [Int] = [0]

    var bitsPerPoint: Double { Double(bytes.count * 8) / Double(pointsPerChunk * chunkCount) }

    init<T>(_ values: [T], maxSize: Int, encode: (UnsafeBufferPointer<T>, UnsafeMutableRawBufferPointer) -> Int) {
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: maxSize, alignment: 16)
        defer { scratch.deallocate() }
        values.withUnsafeBufferPointer { all in
            for chunk in 0..<chunkCount {
                let slice = UnsafeBufferPointer(rebasing: all[(chunk * pointsPerChunk)..<((chunk + 1) * pointsPerChunk)])
                let length = encode(slice, scratch)
                bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: scratch[0..<length]))
                offsets.append(bytes.count)
            }
        }
    }

    func forEachChunk(_ body: (UnsafeRawBufferPointer) -> Void) {
        bytes.withUnsafeBytes { all in
            for chunk in 0..<chunkCount {
                body(UnsafeRawBufferPointer(rebasing: all[offsets[chunk]..<offsets[chunk + 1]]))
            }
        }
    }
}

func encodeBenchmark<T>(_ name: String, _ values: [T], maxSize: Int, encode: @escaping (UnsafeBufferPointer<T>, UnsafeMutableRawBufferPointer) -> Int) {
    Benchmark(name, configuration: .init(metrics: [.throughput, .wallClock, .mallocCountTotal], scalingFactor: .mega)) { benchmark in
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: maxSize, alignment: 16)
        defer { scratch.deallocate() }
        values.withUnsafeBufferPointer { all in
            for chunk in 0..<chunkCount {
                let slice = UnsafeBufferPointer(rebasing: all[(chunk * pointsPerChunk)..<((chunk + 1) * pointsPerChunk)])
                blackHole(encode(slice, scratch))
            }
        }
    }
}

func decodeBenchmark<T>(_ name: String, _ encoded: EncodedChunks, as: T.Type, decode: @escaping (UnsafeRawBufferPointer, UnsafeMutableBufferPointer<T>) throws -> Void) {
    Benchmark(name, configuration: .init(metrics: [.throughput, .wallClock, .mallocCountTotal], scalingFactor: .mega)) { benchmark in
        let output = UnsafeMutableBufferPointer<T>.allocate(capacity: pointsPerChunk)
        defer { output.deallocate() }
        encoded.forEachChunk { chunk in
            try! decode(chunk, output)
            blackHole(output[pointsPerChunk - 1])
        }
    }
}

let benchmarks: @Sendable () -> Void = {
    let regular = Workload.regularTimestamps()
    let jittery = Workload.jitteryTimestamps()
    let gappy = Workload.gappyTimestamps()
    let sensor = Workload.sensorValues()
    let counters = Workload.counters()
    let timeSize = TimestampCodec.maxEncodedSize(count: pointsPerChunk)
    let floatSize = GorillaFloatCodec.maxEncodedSize(count: pointsPerChunk)
    let intSize = IntegerCodec.maxEncodedSize(count: pointsPerChunk)
    let patchedSize = PatchedIntegerCodec.maxEncodedSize(count: pointsPerChunk)
    let countersWithOutliers = Workload.countersWithOutliers()
    let runs = Workload.runs()
    let quietThenNoisy = Workload.quietThenNoisy()

    encodeBenchmark("Timestamps regular: encode (M points/s)", regular, maxSize: timeSize) { TimestampCodec.encode($0, into: $1) }
    encodeBenchmark("Timestamps jittery: encode (M points/s)", jittery, maxSize: timeSize) { TimestampCodec.encode($0, into: $1) }
    encodeBenchmark("Timestamps gappy: encode (M points/s)", gappy, maxSize: timeSize) { TimestampCodec.encode($0, into: $1) }
    let gapSize = TimestampGapCodec.maxEncodedSize(count: pointsPerChunk)
    encodeBenchmark("Timestamps (gaps codec) regular: encode (M points/s)", regular, maxSize: gapSize) { TimestampGapCodec.encode($0, into: $1) }
    encodeBenchmark("Timestamps (gaps codec) jittery: encode (M points/s)", jittery, maxSize: gapSize) { TimestampGapCodec.encode($0, into: $1) }
    encodeBenchmark("Timestamps (gaps codec) gappy: encode (M points/s)", gappy, maxSize: gapSize) { TimestampGapCodec.encode($0, into: $1) }
    encodeBenchmark("Gorilla sensor floats: encode (M points/s)", sensor, maxSize: floatSize) { GorillaFloatCodec.encode($0, into: $1) }
    encodeBenchmark("Int64 counters: encode (M points/s)", counters, maxSize: intSize) { IntegerCodec.encode($0, into: $1) }
    encodeBenchmark("Int64 counters patched: encode (M points/s)", counters, maxSize: patchedSize) { PatchedIntegerCodec.encode($0, into: $1) }
    encodeBenchmark("Int64 counters with outliers: encode (M points/s)", countersWithOutliers, maxSize: intSize) { IntegerCodec.encode($0, into: $1) }
    encodeBenchmark("Int64 counters with outliers patched: encode (M points/s)", countersWithOutliers, maxSize: patchedSize) { PatchedIntegerCodec.encode($0, into: $1) }
    encodeBenchmark("Int64 runs: encode (M points/s)", runs, maxSize: intSize) { IntegerCodec.encode($0, into: $1) }
    encodeBenchmark("Int64 runs patched: encode (M points/s)", runs, maxSize: patchedSize) { PatchedIntegerCodec.encode($0, into: $1) }
    let decimalSize = DecimalFloatCodec.maxEncodedSize(count: pointsPerChunk)
    encodeBenchmark("Decimal sensor floats: encode (M points/s)", sensor, maxSize: decimalSize) { DecimalFloatCodec.encode($0, into: $1) }

    let regularChunks = EncodedChunks(regular, maxSize: timeSize) { TimestampCodec.encode($0, into: $1) }
    let jitteryChunks = EncodedChunks(jittery, maxSize: timeSize) { TimestampCodec.encode($0, into: $1) }
    let gappyChunks = EncodedChunks(gappy, maxSize: timeSize) { TimestampCodec.encode($0, into: $1) }
    let gapRegularChunks = EncodedChunks(regular, maxSize: gapSize) { TimestampGapCodec.encode($0, into: $1) }
    let gapJitteryChunks = EncodedChunks(jittery, maxSize: gapSize) { TimestampGapCodec.encode($0, into: $1) }
    let gapGappyChunks = EncodedChunks(gappy, maxSize: gapSize) { TimestampGapCodec.encode($0, into: $1) }
    print("bits/point, dod codec: regular \(regularChunks.bitsPerPoint), jittery \(jitteryChunks.bitsPerPoint), gappy \(gappyChunks.bitsPerPoint); gaps codec: regular \(gapRegularChunks.bitsPerPoint), jittery \(gapJitteryChunks.bitsPerPoint), gappy \(gapGappyChunks.bitsPerPoint)")
    let sensorChunks = EncodedChunks(sensor, maxSize: floatSize) { GorillaFloatCodec.encode($0, into: $1) }
    let counterChunks = EncodedChunks(counters, maxSize: intSize) { IntegerCodec.encode($0, into: $1) }
    print("bits/point: regular timestamps \(regularChunks.bitsPerPoint), jittery timestamps \(jitteryChunks.bitsPerPoint), sensor floats \(sensorChunks.bitsPerPoint), counters \(counterChunks.bitsPerPoint)")

    decodeBenchmark("Timestamps regular: decode (M points/s)", regularChunks, as: Int64.self) { try TimestampCodec.decode($0, count: pointsPerChunk, into: $1) }
    decodeBenchmark("Timestamps jittery: decode (M points/s)", jitteryChunks, as: Int64.self) { try TimestampCodec.decode($0, count: pointsPerChunk, into: $1) }
    decodeBenchmark("Timestamps gappy: decode (M points/s)", gappyChunks, as: Int64.self) { try TimestampCodec.decode($0, count: pointsPerChunk, into: $1) }
    decodeBenchmark("Timestamps (gaps codec) regular: decode (M points/s)", gapRegularChunks, as: Int64.self) { try TimestampGapCodec.decode($0, count: pointsPerChunk, into: $1) }
    decodeBenchmark("Timestamps (gaps codec) jittery: decode (M points/s)", gapJitteryChunks, as: Int64.self) { try TimestampGapCodec.decode($0, count: pointsPerChunk, into: $1) }
    decodeBenchmark("Timestamps (gaps codec) gappy: decode (M points/s)", gapGappyChunks, as: Int64.self) { try TimestampGapCodec.decode($0, count: pointsPerChunk, into: $1) }
    decodeBenchmark("Gorilla sensor floats: decode (M points/s)", sensorChunks, as: Double.self) { try GorillaFloatCodec.decode($0, count: pointsPerChunk, into: $1) }
    decodeBenchmark("Int64 counters: decode (M points/s)", counterChunks, as: Int64.self) { try IntegerCodec.decode($0, count: pointsPerChunk, into: $1) }

    // Old (delta-zigzag, per-block widths) and new (patched) Int64 codecs on the same shapes.
    var int64Sizes: [String] = []
    for (name, values) in [("counters", counters), ("counters with outliers", countersWithOutliers), ("runs", runs), ("quiet then noisy", quietThenNoisy)] {
        let old = EncodedChunks(values, maxSize: intSize) { IntegerCodec.encode($0, into: $1) }
        let new = EncodedChunks(values, maxSize: patchedSize) { PatchedIntegerCodec.encode($0, into: $1) }
        int64Sizes.append("\(name): delta-zigzag \(old.bitsPerPoint), patched \(new.bitsPerPoint)")
    }
    print("Int64 bits/point: " + int64Sizes.joined(separator: "; "))
    let patchedCounterChunks = EncodedChunks(counters, maxSize: patchedSize) { PatchedIntegerCodec.encode($0, into: $1) }
    let outlierChunks = EncodedChunks(countersWithOutliers, maxSize: intSize) { IntegerCodec.encode($0, into: $1) }
    let patchedOutlierChunks = EncodedChunks(countersWithOutliers, maxSize: patchedSize) { PatchedIntegerCodec.encode($0, into: $1) }
    let runChunks = EncodedChunks(runs, maxSize: intSize) { IntegerCodec.encode($0, into: $1) }
    let patchedRunChunks = EncodedChunks(runs, maxSize: patchedSize) { PatchedIntegerCodec.encode($0, into: $1) }
    decodeBenchmark("Int64 counters patched: decode (M points/s)", patchedCounterChunks, as: Int64.self) { try PatchedIntegerCodec.decode($0, count: pointsPerChunk, into: $1) }
    decodeBenchmark("Int64 counters with outliers: decode (M points/s)", outlierChunks, as: Int64.self) { try IntegerCodec.decode($0, count: pointsPerChunk, into: $1) }
    decodeBenchmark("Int64 counters with outliers patched: decode (M points/s)", patchedOutlierChunks, as: Int64.self) { try PatchedIntegerCodec.decode($0, count: pointsPerChunk, into: $1) }
    decodeBenchmark("Int64 runs: decode (M points/s)", runChunks, as: Int64.self) { try IntegerCodec.decode($0, count: pointsPerChunk, into: $1) }
    decodeBenchmark("Int64 runs patched: decode (M points/s)", patchedRunChunks, as: Int64.self) { try PatchedIntegerCodec.decode($0, count: pointsPerChunk, into: $1) }
    let decimalChunks = EncodedChunks(sensor, maxSize: decimalSize) { DecimalFloatCodec.encode($0, into: $1) }
    print("decimal sensor floats: \(decimalChunks.bitsPerPoint) bits per value; Gorilla: \(sensorChunks.bitsPerPoint)")
    decodeBenchmark("Decimal sensor floats: decode (M points/s)", decimalChunks, as: Double.self) { try DecimalFloatCodec.decode($0, count: pointsPerChunk, into: $1) }

    let megabyte = (0..<1_000_000).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) }
    Benchmark("CRC-32C (MB/s)", configuration: .init(metrics: [.throughput, .wallClock], scalingFactor: .mega)) { _ in
        megabyte.withUnsafeBytes { blackHole(CRC32C.checksum($0)) }
    }
}
