import Testing
import Foundation
@testable import Strata
import StrataCodecs
import StrataTestSupport

/// One logged point, as a batch names it.
struct GoldenLogRow: Equatable, CustomStringConvertible {
    var device: String
    var metric: String
    var type: ValueType
    var timestamp: Int64
    var bits: UInt64

    var description: String { "\(device)/\(metric) \(type) @\(timestamp) = 0x\(String(bits, radix: 16))" }
}

/// Log files of every format version are kept in `Resources/golden-log-vN.wal`
/// (see the README there). Every later build must replay each of them to
/// exactly the batches below, bit for bit. The files are built here from the
/// documented format (<doc:WriteAheadLogFormat>), record by record, not by the
/// writer, so they stay what that version wrote whatever today's writer does:
/// `STRATA_WRITE_GOLDEN_LOG=1 swift test --filter GoldenLog` rewrites them.
@Suite("Golden log files")
struct GoldenLogTests {
    static let versions: [UInt16] = [1, 2, 3, 4]

    /// The appends every golden file holds, in order: special floats, Int64
    /// extremes, timestamps at both ends of Int64, a non-ASCII name.
    static func batches(version: UInt16) -> [[GoldenLogRow]] {
        let floats: [Double] = [
            -0.0, .nan, Double(bitPattern: 0x7FF4_0000_0000_0001), Double(bitPattern: 0xFFF8_0000_0000_00FF),
            .infinity, -.infinity, .leastNonzeroMagnitude, -.greatestFiniteMagnitude, 21.5,
        ]
        let integers: [Int64] = [.min, .min + 1, -1, 0, 1, .max - 1, .max]
        let times: [Int64] = [.min, .min + 1, -1, 0, 1, .max - 1, .max]
        var first: [GoldenLogRow] = []
        for (index, value) in floats.enumerated() {
            first.append(.init(device: "pump-1", metric: "temperature", type: .float64, timestamp: Int64(index) * 60_000 - 120_000, bits: value.bitPattern))
            if index < integers.count {
                first.append(.init(device: "pump-1", metric: "cycles", type: .int64, timestamp: Int64(index) - 3, bits: UInt64(bitPattern: integers[index])))
            }
        }
        let second = times.enumerated().map { index, time in
            GoldenLogRow(device: "météo-2", metric: "pressure", type: .float64, timestamp: time, bits: (1013.25 - Double(index)).bitPattern)
        }
        // The first series again, after a series the file has not named before.
        let third = [
            GoldenLogRow(device: "pump-1", metric: "temperature", type: .float64, timestamp: 600_000, bits: (-0.0).bitPattern),
            GoldenLogRow(device: "pump-1", metric: "cycles", type: .int64, timestamp: 600_000, bits: UInt64(bitPattern: Int64.max)),
        ]
        guard version >= 4 else { return [first, second, third] }
        // A fleet's reading: 100 devices at one timestamp, sensor resolution, long enough to compress.
        let fleet = (0..<100).map { device in
            GoldenLogRow(device: "fleet-\(device)", metric: "temperature", type: .float64, timestamp: 1_700_000_000_000,
                         bits: (Double(200 + device % 5) / 10).bitPattern)
        }
        return [first, second, third, fleet]
    }

    static func fileName(version: UInt16) -> String { "golden-log-v\(version).wal" }

    @Test("Every golden log file replays to exactly its batches, bit for bit", arguments: versions)
    func replaysGolden(version: UInt16) throws {
        let name = Self.fileName(version: version)
        if ProcessInfo.processInfo.environment["STRATA_WRITE_GOLDEN_LOG"] == "1" {
            try Data(GoldenLogBuilder.file(version: version, batches: Self.batches(version: version)))
                .write(to: URL(fileURLWithPath: TestResources.sourcePath(name)))
            return
        }
        let golden = [UInt8](try Data(contentsOf: URL(fileURLWithPath: TestResources.path(name))))
        #expect(Array(golden[0..<8]) == WALFormat.magic)
        #expect(golden[8] == UInt8(version) && golden[9] == 0)

        let directory = TemporaryDirectory()
        let folder = directory.appending("wal")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = folder + "/" + WALFormat.fileName(1)
        try Data(golden).write(to: URL(fileURLWithPath: path))
        var replayed: [[GoldenLogRow]] = []
        let outcome = try WALReplay(directory: folder, repairs: false).run { batch, _, _ in
            replayed.append(GoldenLogBuilder.rows(of: batch))
        }
        let expected = Self.batches(version: version)
        #expect(outcome.problems.isEmpty, "\(outcome.problems)")
        #expect(replayed == expected)
        #expect(outcome.points == expected.reduce(0) { $0 + $1.count })
        // Versions 2 and later are sealed with their end record; version 1 has none.
        #expect(outcome.sealedFiles == (version >= 2 ? [path] : []))
        if version >= 4 {
            let types = GoldenLogBuilder.recordTypes(golden, version: version)
            #expect(types.contains(WALFormat.RecordType.compressedRows.rawValue), "\(types)")
        }

        // A store whose log holds the file reads every point back.
        let store = directory.appending("store")
        try Store(at: store).close()
        try FileManager.default.copyItem(atPath: path, toPath: store + "/wal/" + WALFormat.fileName(1))
        let reader = try Store(at: store, mode: .readOnly)
        #expect(reader.recovery.problems.isEmpty, "\(reader.recovery.problems)")
        var bySeries: [SeriesKey: [GoldenLogRow]] = [:]
        for row in expected.joined() { bySeries[SeriesKey(device: row.device, metric: row.metric), default: []].append(row) }
        for (key, rows) in bySeries {
            let points = try reader.query(device: key.device, metric: key.metric)
            let sorted = rows.sorted { $0.timestamp < $1.timestamp }
            #expect(points.timestamps == sorted.map(\.timestamp), "\(key)")
            let bits = rows[0].type == .int64 ? points.intValues.map { UInt64(bitPattern: $0) } : points.floatValues.map(\.bitPattern)
            #expect(bits == sorted.map(\.bits), "\(key)")
        }
    }
}

/// Builds log files of any version from the format description, and reads
/// batches back into rows for comparison.
enum GoldenLogBuilder {
    static func file(version: UInt16, batches: [[GoldenLogRow]]) throws -> [UInt8] {
        var bytes = WALFormat.fileHeader(version: version)
        var records = 0
        func append(_ type: WALFormat.RecordType, _ payload: [UInt8]) {
            bytes += frame(type: type.rawValue, payload: payload, version: version)
            records += 1
        }
        var numbers: [SeriesKey: UInt32] = [:]
        for rows in batches {
            let batch = try writeBatch(rows)
            guard version >= 3 else {
                var payload = ByteWriter()
                WALBatchEncoding.encode(batch, into: &payload)
                append(.batch, payload.bytes)
                continue
            }
            // Versions 3 and 4: define the series this file has not named yet, then the rows by number.
            var definitions: [WALSeriesEncoding.Definition] = []
            for row in rows where numbers[SeriesKey(device: row.device, metric: row.metric)] == nil {
                let key = SeriesKey(device: row.device, metric: row.metric)
                numbers[key] = UInt32(numbers.count)
                definitions.append(.init(number: numbers[key]!, key: key, type: row.type))
            }
            if !definitions.isEmpty {
                var payload = ByteWriter()
                WALSeriesEncoding.encode(definitions, into: &payload)
                append(.series, payload.bytes)
            }
            let rowNumbers = rows.map { numbers[SeriesKey(device: $0.device, metric: $0.metric)]! }
            let rowsPayload = rowNumbers.withUnsafeBufferPointer { numberColumn in
                rows.map(\.timestamp).withUnsafeBufferPointer { timeColumn in
                    rows.map(\.bits).withUnsafeBufferPointer { bitColumn in
                        WALRowsEncoding.encode(numbers: numberColumn, timestamps: timeColumn, bits: bitColumn, prefix: 0)
                    }
                }
            }
            if version >= 4 && rows.count >= WALFormat.compressionMinimumRows {
                var payload = ByteWriter()
                payload.writeVarUInt(UInt64(rowsPayload.count))
                payload.writeBytes(try rowsPayload.withUnsafeBytes { try BlockCompression.lz4.compress($0) })
                append(.compressedRows, payload.bytes)
            } else {
                append(.rows, rowsPayload)
            }
        }
        if version >= 2 {
            var end = ByteWriter()
            end.writeUInt64(UInt64(records))
            end.writeUInt64(UInt64(bytes.count))
            bytes += frame(type: WALFormat.RecordType.end.rawValue, payload: end.bytes, version: version)
        }
        return bytes
    }

    /// A record: length, its complement (version 2 and later), CRC-32C over type and payload, type, payload.
    static func frame(type: UInt8, payload: [UInt8], version: UInt16) -> [UInt8] {
        let covered = [type] + payload
        var header = ByteWriter()
        header.writeUInt32(UInt32(payload.count))
        if version >= 2 { header.writeUInt32(~UInt32(payload.count)) }
        header.writeUInt32(covered.withUnsafeBytes { CRC32C.checksum($0) })
        return header.bytes + covered
    }

    /// The type of every record of a well-formed file, in order.
    static func recordTypes(_ bytes: [UInt8], version: UInt16) -> [UInt8] {
        let headerSize = WALFormat.recordHeaderSize(version: version)
        var offset = WALFormat.headerSize, types: [UInt8] = []
        while offset + headerSize <= bytes.count {
            let length = Int(bytes[offset]) | Int(bytes[offset + 1]) << 8 | Int(bytes[offset + 2]) << 16 | Int(bytes[offset + 3]) << 24
            types.append(bytes[offset + headerSize - 1])
            offset += headerSize + length
        }
        return types
    }

    static func writeBatch(_ rows: [GoldenLogRow]) throws -> WriteBatch {
        var batch = WriteBatch()
        for row in rows {
            let series = try batch.series(device: row.device, metric: row.metric, type: row.type)
            batch.append(series: series, timestamp: row.timestamp, bits: row.bits)
        }
        return batch
    }

    static func rows(of batch: WriteBatch) -> [GoldenLogRow] {
        batch.timestamps.indices.map { row in
            let series = Int(batch.seriesOfRow[row])
            return GoldenLogRow(device: batch.keys[series].device, metric: batch.keys[series].metric, type: batch.types[series],
                                timestamp: batch.timestamps[row], bits: batch.bits[row])
        }
    }
}
