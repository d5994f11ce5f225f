import Strata
import StrataCodecs

import Glibc

/// Writes the seed corpora of every fuzz target under OUTPUT/<target>/, from
/// the CSV excerpts and golden segments in Tests/ and the first lines of the
/// data sets in ../shared/data (when present), and from a small store written
/// here (its segments, log file and manifest).
///
/// Usage: strata-fuzz-seeds REPOSITORY OUTPUT
@main enum SeedMain {
    static func main() throws {
        let arguments = CommandLine.arguments
        guard arguments.count == 3 else {
            print("usage: strata-fuzz-seeds REPOSITORY OUTPUT")
            exit(2)
        }
        let repository = arguments[1], output = arguments[2]
        var seeds = Seeds(output: output)

        // CSV excerpts: Tests/ resources whole when small, else their first lines; shared data's first lines.
        var excerpts: [(String, [UInt8])] = []
        let resources = repository + "/Tests/StrataTests/Resources"
        for name in ["beijing_dongsi_excerpt.csv", "nab_known_cause_excerpt.csv", "statsmodels_co2_excerpt.csv"] {
            if let bytes = readFile(resources + "/" + name) { excerpts.append((name, firstLines(bytes, 60))) }
        }
        let shared = repository + "/../shared/data"
        for name in ["nab_realAWSCloudwatch.csv", "nab_realKnownCause.csv", "nab_realTraffic.csv", "river_water_flow.csv",
                     "statsmodels_co2.csv", "vega_weather.csv", "nab_combined_windows.csv"] {
            if let bytes = readFile(shared + "/" + name, limit: 16_384) { excerpts.append((name, firstLines(bytes, 40))) }
        }
        for name in ["beijing_air_quality_2013_2015.csv.zst", "chimp_elf_values_synthetic_ts.csv.zst"] {
            if let compressed = readFile(shared + "/" + name, limit: 65_536), let bytes = zstdPrefix(compressed) {
                excerpts.append((String(name.dropLast(4)), firstLines(bytes, 40)))
            }
        }
        var rows: [(device: String, metric: String, time: Int64, value: String)] = []
        for (name, bytes) in excerpts {
            seeds.add("long-csv", name, bytes, options: [0, 2])
            let parsed = parseLong(bytes)
            rows += parsed
            if !parsed.isEmpty {
                seeds.add("long-csv", name + ".int", Array(longCSV(parsed.map { ($0.device, $0.metric, $0.time, String(Int64(Double($0.value) ?? 0))) }).utf8), options: [1, 3])
                seeds.add("wide-csv", name, Array(wideCSV(parsed, deviceColumn: false).utf8), options: [0, 2])
                seeds.add("wide-csv", name + ".devices", Array(wideCSV(parsed, deviceColumn: true).utf8), options: [4, 6])
                seeds.add("line-protocol", name, Array(lineProtocol(parsed).utf8), options: [2, 34])
            }
        }
        seeds.add("wide-csv", "quoted", Array("timestamp,\"a,b\",\"c\"\"d\"\n1,2,3\n2,,4.5\n\n3,nan,-inf\n".utf8), options: [0, 2])
        seeds.add("line-protocol", "escapes", Array(#"""
        measurement\ with\ quotes",host=h1 x=1i 0
        cpu\,load=a,host=h1 x=2i 0
        m,tag\ key=1,host=tag\,value\,with"commas" x=3i 0
        m,host=a\=b\ c y=4i 0
        m,host=h1 field\ k\=e\,y=5i,field_k\ey=6i 0
        cpu,host=h2,cpu=cpu0 usage_idle=99.5,usage_user=0.25,up=true,name="x y" 1700000000000000000
        mem,host=h2 used=123456u 1700000000
        disk,host=h2 free=1e9
        # comment
        """#.utf8), options: [0, 8, 17, 35])

        // Codecs: values from the excerpts, encoded by every codec.
        let times = rows.prefix(2_000).map(\.time)
        var increasing: [Int64] = []
        for t in times where increasing.last.map({ t > $0 }) ?? true { increasing.append(t) }
        let regular = (0..<300).map { Int64(1_700_000_000_000) + Int64($0) * 60_000 + ($0 % 17 == 0 ? 7 : 0) }
        let floats = rows.prefix(2_000).compactMap { Double($0.value) }
        let integers = floats.map { Int64($0 * 10) }
        let runs = (0..<400).map { Int64($0 / 50) }
        let outliers = (0..<300).map { Int64($0 % 90 == 0 ? 1 << 40 : $0 % 7) }
        let series: [(String, [Int64], [Double], [Int64])] = [
            ("data", increasing, floats, integers), ("regular", regular, floats.reversed(), runs),
            ("small", Array(regular.prefix(3)), [0.1, -0.0, .nan], outliers), ("one", [42], [1.5], [7]),
        ]
        for (name, t, f, i) in series {
            seeds.codec(0, name, TimestampCodec.encode(t), count: t.count)
            seeds.codec(1, name, TimestampGapCodec.encode(t), count: t.count)
            seeds.codec(2, name, GorillaFloatCodec.encode(f), count: f.count)
            seeds.codec(3, name, DecimalFloatCodec.encode(f), count: f.count)
            seeds.codec(4, name, PatchedIntegerCodec.encode(i), count: i.count)
            seeds.codec(5, name, IntegerCodec.encode(i), count: i.count)
            // Compressed payloads: varint length, then the block; count's top three bits pick the codec.
            for (codec, encoded, count) in [(2, GorillaFloatCodec.encode(f), f.count), (4, PatchedIntegerCodec.encode(i), i.count),
                                            (1, TimestampGapCodec.encode(t), t.count)] where count < 8_192 {
                for (selector, block) in [(6, BlockCompression.lz4), (7, BlockCompression.zstd(level: 3))] {
                    guard let compressed = try? encoded.withUnsafeBytes({ raw throws(CompressionError) in try block.compress(raw) }) else { continue }
                    var payload = varUInt(UInt64(encoded.count))
                    payload += compressed
                    seeds.codec(selector, name + "-\(codec)", payload, count: codec << 13 | count)
                }
            }
            // Encoder round trips: the raw values.
            for selector in 8...13 {
                let raw: [UInt8] = selector < 10 ? t.withUnsafeBytes { Array($0) }
                    : selector < 12 ? f.withUnsafeBytes { Array($0) } : i.withUnsafeBytes { Array($0) }
                seeds.codec(selector, name, Array(raw.prefix(4_096)), count: 0)
            }
        }

        // Segments: the golden files of every format version.
        for version in 1...6 {
            if let bytes = readFile(resources + "/golden-v\(version).seg") { seeds.add("segment", "golden-v\(version)", bytes, options: [0, 1]) }
        }

        // A small store: its segments (each compression), log file and manifest.
        var template = Array("/tmp/strata-fuzz-seeds-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { fatalError("mkdtemp failed") }
        let base = String(cString: made)
        for (label, compression) in [("none", ChunkCompression.none), ("lz4", .lz4), ("zstd", .zstd(level: 3))] {
            let path = base + "/" + label
            var configuration = Configuration()
            configuration.flushCompression = compression
            configuration.pointsPerChunk = 64
            let store = try Store(at: path, configuration: configuration)
            for (n, row) in rows.prefix(600).enumerated() {
                if n % 3 == 0 {
                    try store.append(device: row.device, metric: row.metric + "_i", timestamp: row.time, value: Int64(n % 11))
                }
                try store.append(device: row.device, metric: row.metric, timestamp: row.time, value: Double(row.value) ?? .nan)
            }
            try store.flush()
            // A second batch, left in the log: replay seeds (one small record, then a bulk one that compresses).
            try store.append(device: "dev-a", metric: "m", timestamp: 1, value: 2.5)
            var batch = WriteBatch()
            for n in 0..<200 { try batch.append(device: "dev-\(n % 3)", metric: "x", timestamp: Int64(n) * 1000, value: Double(n % 9)) }
            try store.append(batch)
            for name in listDirectory(path + "/wal") where name.hasSuffix(".wal") {
                if let bytes = readFile(path + "/wal/" + name) { seeds.add("wal", "store-\(label)-\(name)", bytes, options: [0, 1, 2, 3]) }
            }
            if let bytes = readFile(path + "/MANIFEST") { seeds.add("manifest", "store-\(label)", bytes, options: [0, 1]) }
            try store.delete(device: "dev-1", metric: "x", from: 0, to: 10_000)
            try store.delete(device: "dev-2", from: 0, to: 5_000)
            try store.flush()
            if let bytes = readFile(path + "/MANIFEST") { seeds.add("manifest", "store-\(label)-tombstones", bytes, options: [0, 1]) }
            try store.close()
            for name in listDirectory(path + "/segments") where name.hasSuffix(".seg") {
                if let bytes = readFile(path + "/segments/" + name) { seeds.add("segment", "store-\(label)-\(name)", bytes, options: [0, 1]) }
            }
        }
        _ = system("rm -rf '\(base)'")
        seeds.summary()
    }

    // MARK: Text

    static func firstLines(_ bytes: [UInt8], _ count: Int) -> [UInt8] {
        var lines = 0
        for (i, byte) in bytes.enumerated() where byte == UInt8(ascii: "\n") {
            lines += 1
            if lines == count { return Array(bytes[...i]) }
        }
        // Drop a partial last line of a prefix.
        if let last = bytes.lastIndex(of: UInt8(ascii: "\n")) { return Array(bytes[...last]) }
        return bytes
    }

    static func parseLong(_ bytes: [UInt8]) -> [(device: String, metric: String, time: Int64, value: String)] {
        let text = String(decoding: bytes, as: UTF8.self)
        var result: [(device: String, metric: String, time: Int64, value: String)] = []
        for line in text.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            guard fields.count == 4, let time = Int64(fields[2]) else { continue }
            result.append((String(fields[0]), String(fields[1]), time, String(fields[3])))
        }
        return result
    }

    static func longCSV(_ rows: [(String, String, Int64, String)]) -> String {
        "device,metric,ts_ms,value\n" + rows.map { "\($0.0),\($0.1),\($0.2),\($0.3)\n" }.joined()
    }

    static func wideCSV(_ rows: [(device: String, metric: String, time: Int64, value: String)], deviceColumn: Bool) -> String {
        var metrics: [String] = []
        for row in rows where !metrics.contains(row.metric) { metrics.append(row.metric) }
        var lines: [String] = [(deviceColumn ? ["device", "timestamp"] : ["timestamp"]).joined(separator: ",") + "," + metrics.joined(separator: ",")]
        var index = 0
        while index < rows.count {
            let time = rows[index].time, device = rows[index].device
            var values = [String](repeating: "", count: metrics.count)
            while index < rows.count, rows[index].time == time, rows[index].device == device {
                values[metrics.firstIndex(of: rows[index].metric)!] = rows[index].value
                index += 1
            }
            lines.append((deviceColumn ? device + "," : "") + "\(time)," + values.joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func lineProtocol(_ rows: [(device: String, metric: String, time: Int64, value: String)]) -> String {
        rows.map { "weather,host=\($0.device),site=x \($0.metric)=\($0.value) \($0.time)\n" }.joined()
    }

    // MARK: Bytes and files

    static func varUInt(_ value: UInt64) -> [UInt8] {
        var value = value, result: [UInt8] = []
        while value >= 0x80 { result.append(UInt8(value & 0x7F) | 0x80); value >>= 7 }
        result.append(UInt8(value))
        return result
    }

    static func zstdPrefix(_ compressed: [UInt8]) -> [UInt8]? {
        guard var decoder = try? ZstdStreamDecoder() else { return nil }
        var output: [UInt8] = []
        let input = UnsafeMutableRawBufferPointer.allocate(byteCount: compressed.count, alignment: 1)
        defer { input.deallocate() }
        input.copyBytes(from: compressed)
        do throws(CompressionError) {
            // A prefix of the file: the decoder stops at its end; what came out is enough.
            try decoder.decompress(UnsafeRawBufferPointer(input), appendingTo: &output)
        } catch {
            if output.isEmpty { return nil }
        }
        return Array(output.prefix(16_384))
    }

    static func readFile(_ path: String, limit: Int = .max) -> [UInt8]? {
        guard let file = fopen(path, "rb") else { return nil }
        defer { fclose(file) }
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while result.count < limit {
            let n = fread(&buffer, 1, min(buffer.count, limit - result.count), file)
            if n <= 0 { break }
            result.append(contentsOf: buffer[0..<n])
        }
        return result
    }

    static func listDirectory(_ path: String) -> [String] {
        guard let directory = opendir(path) else { return [] }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }
}

/// The corpus being written: OUTPUT/<target>/<name>, each file its option byte then the bytes.
struct Seeds {
    let output: String
    var counts: [String: (files: Int, bytes: Int)] = [:]

    init(output: String) {
        self.output = output
        mkdir(output, 0o755)
    }

    mutating func add(_ target: String, _ name: String, _ bytes: [UInt8], options: [UInt8]) {
        for option in options {
            write(target, name + (options.count > 1 ? ".o\(option)" : ""), [option] + bytes)
        }
    }

    mutating func codec(_ selector: Int, _ name: String, _ payload: [UInt8], count: Int) {
        write("codecs", "s\(selector)-\(name)", [UInt8(selector), UInt8(count & 0xFF), UInt8(count >> 8 & 0xFF)] + payload)
    }

    mutating func write(_ target: String, _ name: String, _ bytes: [UInt8]) {
        let folder = output + "/" + target
        mkdir(folder, 0o755)
        let path = folder + "/" + String(name.map { $0 == "/" ? "_" : $0 })
        guard let file = fopen(path, "wb") else { fatalError("cannot write \(path)") }
        _ = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
        fclose(file)
        counts[target, default: (0, 0)].files += 1
        counts[target, default: (0, 0)].bytes += bytes.count
    }

    func summary() {
        for (target, count) in counts.sorted(by: { $0.key < $1.key }) {
            print("\(target): \(count.files) seeds, \(count.bytes) bytes")
        }
    }
}
