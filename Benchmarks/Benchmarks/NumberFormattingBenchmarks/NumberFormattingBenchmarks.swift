import Benchmark
import Strata
import StrataTestSupport

// Doubles to text: NumberBytes (Schubfach digits written into a byte buffer)
// against Swift's `description` (a String per value), on the same 1,000,000
// values per operation, for two mixes:
// - sensor readings: short decimals such as 21.37 and -4.5 (what exports mostly hold);
// - random bit patterns: every exponent, 17-digit values, subnormals, NaNs.
// And Int64 timestamps (13 digits) against String(Int64).

let valueCount = 1_000_000

func sensorValues() -> [Double] {
    var random = SeededGenerator(seed: 42)
    return (0..<valueCount).map { _ in Double(Int64(random.next() % 200_000) - 100_000) / 100 }
}

func randomValues() -> [Double] {
    var random = SeededGenerator(seed: 7)
    return (0..<valueCount).map { _ in Double(bitPattern: random.next()) }
}

func timestamps() -> [Int64] {
    var random = SeededGenerator(seed: 13)
    return (0..<valueCount).map { _ in 1_700_000_000_000 + Int64(random.next() % 100_000_000_000) }
}

/// Writes every value into one reused buffer; returns the bytes written.
func writeAll(_ values: [Double], into buffer: UnsafeMutableRawPointer) -> Int {
    var total = 0
    for value in values { total &+= NumberBytes.write(value, to: buffer + (total & 0xFFFF)) }
    return total
}

/// The String way: one `description` per value.
func describeAll(_ values: [Double]) -> Int {
    var total = 0
    for value in values { total &+= value.description.utf8.count }
    return total
}

let benchmarks: @Sendable () -> Void = {
    let buffer = UnsafeMutableRawPointer.allocate(byteCount: 1 << 17, alignment: 16)
    let configuration = Benchmark.Configuration(metrics: [.wallClock, .throughput, .mallocCountTotal], scalingFactor: .one,
                                                maxDuration: .seconds(5), maxIterations: 50)
    for (name, values) in [("sensor readings", sensorValues()), ("random bit patterns", randomValues())] {
        // Both ways must agree before they are timed.
        var check = [UInt8](repeating: 0, count: 32)
        for value in values.prefix(10_000) {
            let count = check.withUnsafeMutableBytes { NumberBytes.write(value, to: $0.baseAddress!) }
            precondition(value.isNaN || String(decoding: check[..<count], as: UTF8.self) == value.description)
        }
        Benchmark("NumberBytes.write(Double), \(name) (1 M values per op)", configuration: configuration) { _ in
            blackHole(writeAll(values, into: buffer))
        }
        Benchmark("Double.description, \(name) (1 M values per op)", configuration: configuration) { _ in
            blackHole(describeAll(values))
        }
    }
    let times = timestamps()
    Benchmark("NumberBytes.write(Int64), 13-digit timestamps (1 M values per op)", configuration: configuration) { _ in
        var total = 0
        for time in times { total &+= NumberBytes.write(time, to: buffer + (total & 0xFFFF)) }
        blackHole(total)
    }
    Benchmark("String(Int64), 13-digit timestamps (1 M values per op)", configuration: configuration) { _ in
        var total = 0
        for time in times { total &+= String(time).utf8.count }
        blackHole(total)
    }
}
