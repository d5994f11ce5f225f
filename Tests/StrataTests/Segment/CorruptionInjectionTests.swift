import Testing
import Foundation
@testable import Strata
import StrataTestSupport

// Damage injected into a store's files, property-style and seeded: every
// injection must be found by `StoreVerifier.verify(at:)` and named with its
// file (and, inside a checksummed region, the offset where that region
// starts); a damaged store must still open, and everything outside the
// damage must still read back bit for bit.
//
// One small store is built once through the public API and kept as bytes;
// each case writes a fresh copy into its own temporary directory, damages
// it, and checks.

/// The points of some series: series → timestamp → value bits.
fileprivate typealias InjectionPoints = [SeriesKey: [Int64: UInt64]]

/// A small store built once, kept as the bytes of its files.
fileprivate struct PristineStore: Sendable {
    /// A record of a write-ahead log file, and the points its batch holds.
    struct Record: Sendable {
        let offset: Int
        let end: Int
        let points: InjectionPoints
    }

    struct LogFile: Sendable {
        /// Path relative to the store directory.
        let name: String
        let size: Int
        /// The batch records.
        let records: [Record]
        /// The end record (no points), when the file was sealed.
        let endRecord: Record?
    }

    /// A chunk payload and the series that lose data when it is damaged.
    struct Chunk: Sendable {
        let offset: Int
        let end: Int
        let isTime: Bool
        let series: Set<SeriesKey>
        let label: String
    }

    /// A device's index entry (format 6) and the series it lists.
    struct Entry: Sendable {
        let offset: Int
        let end: Int
        let series: Set<SeriesKey>
        let label: String
    }

    /// A region of the segment file and the offset a report must name for damage inside it.
    struct Region: Sendable, CustomStringConvertible {
        enum Kind: Sendable { case header, chunk, entry, directory, provenance, footer, footerMagic }
        let kind: Kind
        let start: Int
        /// Series that can no longer be read when the region is damaged (chunks and
        /// device entries only; damage elsewhere makes the whole segment unreadable).
        let series: Set<SeriesKey>
        let label: String
        var description: String { "\(label) starting at \(start)" }
    }

    static let configuration: Configuration = {
        var configuration = Configuration()
        configuration.pointsPerChunk = 48
        return configuration
    }()

    /// Every file of the store (relative path → bytes), and its folders.
    let files: [String: [UInt8]]
    let folders: [String]
    /// The one segment file (relative path).
    let segmentName: String
    let segmentSize: Int
    /// Where the device entries begin (the end of the data region).
    let indexOffset: Int
    let directoryOffset: Int
    /// Where the provenance block begins (the end of the device names).
    let provenanceOffset: Int
    let footerOffset: Int
    /// Chunk payloads sorted by offset.
    let chunks: [Chunk]
    /// Device entries sorted by offset.
    let entries: [Entry]
    /// Log files oldest first.
    let logs: [LogFile]
    let segmentPoints: InjectionPoints
    let types: [SeriesKey: ValueType]

    /// Built on first use, shared by every test of the suite.
    static let shared: Result<PristineStore, any Error> = Result { try PristineStore.build() }

    // MARK: Building

    private static func randomTimes(_ count: Int, after start: Int64, _ random: inout SeededGenerator) -> [Int64] {
        var time = start
        return (0..<count).map { _ in
            // Mostly regular with jitter, now and then a gap: every timestamp bucket gets used.
            time += [1000, 1000, 1000, 999, 1001, 5000, 60_000][Int.random(in: 0..<7, using: &random)]
            return time
        }
    }

    private static func randomFloats(_ count: Int, _ random: inout SeededGenerator) -> [Double] {
        var value = Double.random(in: -50...50, using: &random)
        return (0..<count).map { _ in
            value += Double.random(in: -1...1, using: &random)
            return (value * 1000).rounded() / 1000
        }
    }

    private static func randomIntegers(_ count: Int, _ random: inout SeededGenerator) -> [Int64] {
        var value = Int64.random(in: -1_000_000...1_000_000, using: &random)
        return (0..<count).map { _ in
            value += Int64.random(in: -300...5000, using: &random)
            return value
        }
    }

    /// Builds the store: one segment with four series (two sharing a time
    /// column), then two write-ahead log files of four records each, left as a
    /// writer that was never closed leaves them: the first sealed with its end
    /// record by the second session's writer when it opened, the second not.
    static func build() throws -> PristineStore {
        let directory = TemporaryDirectory("CorruptionInjectionPristine")
        var random = SeededGenerator(seed: 0xC022_0917_5EED)
        var types: [SeriesKey: ValueType] = [:]
        var segmentPoints: InjectionPoints = [:]
        var lastTime: [SeriesKey: Int64] = [:]
        /// Each session's batches, one log record each, in order.
        var sessions: [[InjectionPoints]] = [[], []]

        func floats(_ device: String, _ metric: String, _ times: [Int64], _ values: [Double], into points: inout InjectionPoints) -> SeriesKey {
            let key = SeriesKey(device: device, metric: metric)
            types[key] = .float64
            for (time, value) in zip(times, values) { points[key, default: [:]][time] = value.bitPattern }
            lastTime[key] = max(lastTime[key] ?? .min, times.last ?? .min)
            return key
        }
        func integers(_ device: String, _ metric: String, _ times: [Int64], _ values: [Int64], into points: inout InjectionPoints) -> SeriesKey {
            let key = SeriesKey(device: device, metric: metric)
            types[key] = .int64
            for (time, value) in zip(times, values) { points[key, default: [:]][time] = UInt64(bitPattern: value) }
            lastTime[key] = max(lastTime[key] ?? .min, times.last ?? .min)
            return key
        }
        /// One batch of one or more series (one log record), with later timestamps than before.
        func batch(_ series: [(device: String, metric: String, type: ValueType, count: Int)], session: Int, store: Store) throws {
            var batch = WriteBatch()
            var points: InjectionPoints = [:]
            for entry in series {
                let key = SeriesKey(device: entry.device, metric: entry.metric)
                let times = randomTimes(entry.count, after: lastTime[key] ?? 1_700_000_000_000, &random)
                switch entry.type {
                case .float64:
                    let values = randomFloats(entry.count, &random)
                    _ = floats(entry.device, entry.metric, times, values, into: &points)
                    for (time, value) in zip(times, values) { try batch.append(device: entry.device, metric: entry.metric, timestamp: time, value: value) }
                case .int64:
                    let values = randomIntegers(entry.count, &random)
                    _ = integers(entry.device, entry.metric, times, values, into: &points)
                    for (time, value) in zip(times, values) { try batch.append(device: entry.device, metric: entry.metric, timestamp: time, value: value) }
                }
            }
            try store.append(batch)
            sessions[session].append(points)
        }

        do {
            let store = try Store(at: directory.path, configuration: configuration)
            let start: Int64 = 1_700_000_000_000
            // alpha/temp and alpha/count share their timestamps: one column group, one time column.
            let alphaTimes = randomTimes(150, after: start, &random)
            let temp = randomFloats(150, &random), count = randomIntegers(150, &random)
            try store.append(device: "alpha", metric: "temp", timestamps: alphaTimes, values: temp)
            _ = floats("alpha", "temp", alphaTimes, temp, into: &segmentPoints)
            try store.append(device: "alpha", metric: "count", timestamps: alphaTimes, values: count)
            _ = integers("alpha", "count", alphaTimes, count, into: &segmentPoints)
            let betaTimes = randomTimes(100, after: start, &random), load = randomFloats(100, &random)
            try store.append(device: "beta", metric: "load", timestamps: betaTimes, values: load)
            _ = floats("beta", "load", betaTimes, load, into: &segmentPoints)
            let gammaTimes = randomTimes(90, after: start, &random), bytes = randomIntegers(90, &random)
            try store.append(device: "gamma", metric: "bytes", timestamps: gammaTimes, values: bytes)
            _ = integers("gamma", "bytes", gammaTimes, bytes, into: &segmentPoints)
            try store.flush()

            try batch([("alpha", "temp", .float64, 20)], session: 0, store: store)
            try batch([("alpha", "count", .int64, 10), ("delta", "errors", .int64, 10)], session: 0, store: store)
            try batch([("beta", "load", .float64, 15)], session: 0, store: store)
            try batch([("gamma", "bytes", .int64, 12)], session: 0, store: store)
            // Dropped without close(): the records stay in the log, as after a crash.
        }
        do {
            let store = try reopen(directory.path, configuration: configuration)
            try batch([("delta", "errors", .int64, 8)], session: 1, store: store)
            try batch([("alpha", "temp", .float64, 10), ("beta", "load", .float64, 5)], session: 1, store: store)
            try batch([("gamma", "bytes", .int64, 10)], session: 1, store: store)
            try batch([("epsilon", "ratio", .float64, 6)], session: 1, store: store)
        }

        // Keep every file's bytes.
        var files: [String: [UInt8]] = [:]
        var folders: [String] = []
        let manager = FileManager.default
        guard let enumerator = manager.enumerator(atPath: directory.path) else { throw PristineError("cannot list \(directory.path)") }
        while let relative = enumerator.nextObject() as? String {
            var isFolder: ObjCBool = false
            _ = manager.fileExists(atPath: directory.appending(relative), isDirectory: &isFolder)
            if isFolder.boolValue { folders.append(relative) } else {
                files[relative] = [UInt8](try Data(contentsOf: URL(fileURLWithPath: directory.appending(relative))))
            }
        }
        let segmentNames = files.keys.filter { $0.hasPrefix("segments/") && $0.hasSuffix(".seg") }.sorted()
        let logNames = files.keys.filter { $0.hasPrefix("wal/") && $0.hasSuffix(".wal") }.sorted()
        guard segmentNames.count == 1 else { throw PristineError("expected one segment, found \(segmentNames)") }
        guard logNames.count == 2 else { throw PristineError("expected two log files, found \(logNames)") }

        // The segment's layout, from its own footer and index.
        let segmentName = segmentNames[0]
        let segment = try SegmentFile(path: directory.appending(segmentName))
        guard segment.version == SegmentFormat.currentVersion, let directoryOffset = segment.directoryOffset,
              case .directory(let directory, _) = segment.index else {
            throw PristineError("expected a format \(SegmentFormat.currentVersion) segment with a device directory")
        }
        let footerOffset = segment.footerOffset
        let provenanceOffset = directory.namesEnd
        let indexOffset = segment.indexOffset
        var entries: [Entry] = []
        for position in 0..<segment.deviceCount {
            let record = segment.region.withBytes { directory.record(at: position, in: $0) }
            let device = try segment.device(at: position)
            entries.append(Entry(offset: record.offset, end: record.offset + record.length,
                                 series: Set(device.metrics.map { SeriesKey(device: device.name, metric: $0.name) }),
                                 label: "index entry of \(device.name)"))
        }
        let descriptions = segment.chunkDescriptions()
        var chunks: [Chunk] = []
        for description in descriptions {
            switch description.column {
            case .time:
                let members = descriptions.compactMap { other -> SeriesKey? in
                    guard other.device == description.device, other.group == description.group,
                          case .value(let metric, _) = other.column else { return nil }
                    return SeriesKey(device: other.device, metric: metric)
                }
                chunks.append(Chunk(offset: description.offset, end: description.offset + description.byteCount, isTime: true,
                                    series: Set(members), label: "time chunk of \(description.device) group \(description.group)"))
            case .value(let metric, _):
                chunks.append(Chunk(offset: description.offset, end: description.offset + description.byteCount, isTime: false,
                                    series: [SeriesKey(device: description.device, metric: metric)],
                                    label: "value chunk of \(description.device)/\(metric)"))
            }
        }
        chunks.sort { $0.offset < $1.offset }

        // The log's records, framed from the bytes (version 2), paired with the batches appended.
        var logs: [LogFile] = []
        for (session, name) in logNames.enumerated() {
            let bytes = files[name]!
            guard bytes.count >= WALFormat.headerSize, bytes[8] == UInt8(WALFormat.version), bytes[9] == 0 else {
                throw PristineError("\(name) is not a version \(WALFormat.version) log file")
            }
            var records: [Record] = []
            var batches = 0
            var endRecord: Record?
            var offset = WALFormat.headerSize
            while offset < bytes.count {
                let length = Int(bytes[offset]) | Int(bytes[offset + 1]) << 8 | Int(bytes[offset + 2]) << 16 | Int(bytes[offset + 3]) << 24
                let end = offset + WALFormat.recordHeaderSize + length
                guard endRecord == nil, end <= bytes.count else {
                    throw PristineError("\(name) does not frame into the \(sessions[session].count) records appended")
                }
                let type = bytes[offset + WALFormat.recordHeaderSize - 1]
                if type == WALFormat.RecordType.end.rawValue {
                    endRecord = Record(offset: offset, end: end, points: [:])
                } else if type == WALFormat.RecordType.series.rawValue {
                    // Series definitions hold no point; losing one loses the rows after it that use them.
                    records.append(Record(offset: offset, end: end, points: [:]))
                } else {
                    guard batches < sessions[session].count else {
                        throw PristineError("\(name) holds more than the \(sessions[session].count) batches appended")
                    }
                    records.append(Record(offset: offset, end: end, points: sessions[session][batches]))
                    batches += 1
                }
                offset = end
            }
            guard batches == sessions[session].count else {
                throw PristineError("\(name) holds \(batches) batches, expected \(sessions[session].count)")
            }
            // The first file was sealed when the second session's writer opened the store; the last is open.
            guard (endRecord != nil) == (session < logNames.count - 1) else {
                throw PristineError("\(name) \(endRecord == nil ? "lacks" : "has") an end record")
            }
            logs.append(LogFile(name: name, size: bytes.count, records: records, endRecord: endRecord))
        }
        return PristineStore(
            files: files, folders: folders.sorted(), segmentName: segmentName, segmentSize: segment.byteCount,
            indexOffset: indexOffset, directoryOffset: directoryOffset, provenanceOffset: provenanceOffset, footerOffset: footerOffset,
            chunks: chunks, entries: entries, logs: logs,
            segmentPoints: segmentPoints, types: types)
    }

    struct PristineError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    // MARK: Using

    /// Writes the store into `directory`, with `change` applied to the file `name`.
    func materialize(in directory: borrowing TemporaryDirectory, changing name: String? = nil, _ change: (inout [UInt8]) -> Void = { _ in }) throws {
        // Plain system calls: Foundation's file writing costs several times more, and this runs hundreds of times.
        for folder in folders where mkdir(directory.appending(folder), 0o755) != 0 {
            throw PristineError("mkdir \(folder): errno \(errno)")
        }
        for (relative, original) in files {
            var bytes = original
            if relative == name { change(&bytes) }
            let descriptor = open(directory.appending(relative), O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            guard descriptor >= 0 else { throw PristineError("open \(relative): errno \(errno)") }
            defer { close(descriptor) }
            let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            guard written == bytes.count else { throw PristineError("write \(relative): errno \(errno)") }
        }
    }

    /// The region of the segment holding byte `position`.
    func segmentRegion(containing position: Int) -> Region {
        if position < SegmentFormat.headerSize { return Region(kind: .header, start: 0, series: [], label: "header") }
        if position >= segmentSize - 8 { return Region(kind: .footerMagic, start: segmentSize - 8, series: [], label: "footer magic") }
        if position >= footerOffset { return Region(kind: .footer, start: footerOffset, series: [], label: "footer") }
        if position >= provenanceOffset { return Region(kind: .provenance, start: provenanceOffset, series: [], label: "provenance block") }
        if position >= directoryOffset { return Region(kind: .directory, start: directoryOffset, series: [], label: "device directory") }
        if position >= indexOffset {
            if let entry = entries.first(where: { $0.offset <= position && position < $0.end }) {
                return Region(kind: .entry, start: entry.offset, series: entry.series, label: entry.label)
            }
            // Not covered by any entry: `layoutLeavesNoUncheckedBytes` fails first.
            return Region(kind: .entry, start: position, series: [], label: "index region outside every entry")
        }
        if let chunk = chunks.first(where: { $0.offset <= position && position < $0.end }) {
            return Region(kind: .chunk, start: chunk.offset, series: chunk.series, label: chunk.label)
        }
        // Not covered by any chunk: `layoutLeavesNoUncheckedBytes` fails first.
        return Region(kind: .chunk, start: position, series: [], label: "data region outside every chunk")
    }

    /// The records of log `logIndex` lost when its record `damaged` is: that
    /// one, and when it defines series (a `series` record), every later record
    /// of the file holding one of them (their numbers are no longer defined).
    func recordsLost(damaging damaged: Int, of logIndex: Int) -> Set<Int> {
        let records = logs[logIndex].records
        guard records[damaged].points.isEmpty, damaged + 1 < records.count else { return [damaged] }
        let earlier = Set(records[..<damaged].flatMap(\.points.keys))
        let defined = Set(records[damaged + 1].points.keys).subtracting(earlier)
        var lost: Set<Int> = [damaged]
        for index in (damaged + 1)..<records.count where !defined.isDisjoint(with: records[index].points.keys) { lost.insert(index) }
        return lost
    }

    /// The points a store should return: the segment's (when it is readable)
    /// and those of the log records `included` accepts, later writes winning.
    func expected(segment: Bool, including included: (_ log: Int, _ record: Int) -> Bool) -> InjectionPoints {
        var result = segment ? segmentPoints : [:]
        for (logIndex, log) in logs.enumerated() {
            for (recordIndex, record) in log.records.enumerated() where included(logIndex, recordIndex) {
                for (key, points) in record.points { result[key, default: [:]].merge(points) { $1 } }
            }
        }
        return result
    }

    /// Seeded flips across the whole segment: the edges of every region, then random bytes.
    static func segmentFlips(_ store: PristineStore, count: Int) -> [(position: Int, bit: Int)] {
        var random = SeededGenerator(seed: 0x5E6_F11B)
        var positions = [0, 7, 8, 9, 10, 12, 15, 16]
        for chunk in store.chunks.prefix(3) + store.chunks.suffix(2) { positions += [chunk.offset, chunk.end - 1] }
        for entry in store.entries { positions += [entry.offset, entry.offset + 1, entry.end - 1] }
        positions += [store.directoryOffset - 1, store.directoryOffset, store.directoryOffset + 19, store.directoryOffset + 20]
        positions += [store.provenanceOffset - 1, store.provenanceOffset, store.provenanceOffset + 1]
        positions += [store.indexOffset - 1, store.indexOffset, store.indexOffset + 1, store.footerOffset - 1,
                      store.footerOffset, store.footerOffset + 7, store.footerOffset + 8, store.footerOffset + 16,
                      store.footerOffset + 20, store.segmentSize - 9, store.segmentSize - 8, store.segmentSize - 1]
        while positions.count < count { positions.append(Int.random(in: 0..<store.segmentSize, using: &random)) }
        return positions.prefix(count).map { ($0, Int.random(in: 0..<8, using: &random)) }
    }

    /// Seeded flips across both log files: header fields, every field of every
    /// record (the end record too), then random bytes.
    static func logFlips(_ store: PristineStore, count: Int) -> [(log: Int, position: Int, bit: Int)] {
        var random = SeededGenerator(seed: 0x7A1_F11B)
        var targets: [(log: Int, position: Int)] = []
        for (index, log) in store.logs.enumerated() {
            targets += [0, 8, 12, 15].map { (index, $0) }
            for record in log.records + (log.endRecord.map { [$0] } ?? []) {
                // length, ~length, crc32c, type, payload
                targets += [record.offset, record.offset + 3, record.offset + 4, record.offset + 7, record.offset + 8,
                            record.offset + 12, record.offset + 13, record.end - 1].map { (index, $0) }
            }
        }
        while targets.count < count {
            let log = Int.random(in: 0..<store.logs.count, using: &random)
            targets.append((log, Int.random(in: 0..<store.logs[log].size, using: &random)))
        }
        return targets.prefix(count).map { ($0.log, $0.position, Int.random(in: 0..<8, using: &random)) }
    }

    /// Cut lengths for each log file: below the header, inside every field of
    /// every record (the end record too), and exactly at record boundaries.
    static func logCuts(_ store: PristineStore) -> [(log: Int, length: Int)] {
        var cuts: [(log: Int, length: Int)] = []
        for (index, log) in store.logs.enumerated() {
            cuts += [0, 1, 8, 15].map { (index, $0) }
            for record in log.records {
                let length = record.end - record.offset
                cuts += [record.offset, record.offset + 1, record.offset + 4, record.offset + 8, record.offset + 12,
                         record.offset + 13, record.offset + length / 2, record.end - 1].map { (index, $0) }
            }
            if let end = log.endRecord {
                // Exactly at its start: the file ends after its last batch record, unsealed.
                cuts += [end.offset, end.offset + 1, end.offset + 8, end.offset + 13, end.end - 1].map { (index, $0) }
            }
        }
        return cuts
    }
}

/// Checks that every series of the pristine store (except `skipping`) reads back exactly `expected`.
fileprivate func expectReadBack(
    _ store: Store, _ pristine: PristineStore, _ expected: InjectionPoints, skipping: Set<SeriesKey> = [], _ context: String,
    sourceLocation: SourceLocation = #_sourceLocation
) throws {
    for key in pristine.types.keys.sorted() where !skipping.contains(key) {
        let points = try store.query(device: key.device, metric: key.metric)
        let want = (expected[key] ?? [:]).sorted { $0.key < $1.key }
        #expect(points.timestamps == want.map(\.key), "\(context): timestamps of \(key)", sourceLocation: sourceLocation)
        #expect(points.valueBitPatterns == want.map(\.value), "\(context): values of \(key)", sourceLocation: sourceLocation)
    }
}

@Suite("Injected damage is always detected and named with its file and offset")
struct CorruptionInjectionTests {
    static let segmentFlipCount = 200
    static let logFlipCount = 150

    fileprivate static func pristine() throws -> PristineStore { try PristineStore.shared.get() }

    // MARK: The undamaged store

    @Test("The pristine store verifies clean, and reads back every point")
    func pristineIsClean() throws {
        let pristine = try Self.pristine()
        let directory = TemporaryDirectory()
        try pristine.materialize(in: directory)
        let report = try StoreVerifier.verify(at: directory.path)
        #expect(report.isClean, "\(report.problems)")
        #expect(report.notes.isEmpty, "\(report.notes)")
        #expect(report.segmentsChecked == 1)
        #expect(report.logFilesChecked == 2)
        #expect(report.logRecordsChecked == pristine.logs.reduce(0) { $0 + $1.records.filter { !$0.points.isEmpty }.count })
        let everything = pristine.expected(segment: true) { _, _ in true }
        let reader = try Store(at: directory.path, configuration: PristineStore.configuration, mode: .readOnly)
        #expect(reader.unreadableSegments.isEmpty)
        try expectReadBack(reader, pristine, everything, "read-only")
        let writer = try reopen(directory.path, configuration: PristineStore.configuration)
        #expect(writer.recovery.problems.isEmpty)
        try expectReadBack(writer, pristine, everything, "read-write")
    }

    @Test("Every byte of the segment lies in a checksummed region: header, a chunk payload, a device entry, the directory or the footer")
    func layoutLeavesNoUncheckedBytes() throws {
        let pristine = try Self.pristine()
        #expect(pristine.chunks.count >= 8)
        var covered = SegmentFormat.headerSize
        for chunk in pristine.chunks {
            #expect(chunk.offset == covered, "gap or overlap before \(chunk.label) at \(chunk.offset)")
            #expect(!chunk.series.isEmpty, "\(chunk.label) at \(chunk.offset) belongs to no series")
            covered = max(covered, chunk.end)
        }
        #expect(covered == pristine.indexOffset)
        #expect(pristine.entries.count == 3)
        for entry in pristine.entries {
            #expect(entry.offset == covered, "gap or overlap before \(entry.label) at \(entry.offset)")
            #expect(!entry.series.isEmpty, "\(entry.label) at \(entry.offset) lists no series")
            covered = entry.end
        }
        #expect(covered == pristine.directoryOffset)
        // The directory: a record a device, then the names ("alpha", "beta", "gamma"); then the
        // provenance block of a flushed segment (no replaced segment, no sibling: two zero counts).
        #expect(pristine.provenanceOffset - pristine.directoryOffset == pristine.entries.count * SegmentFormat.directoryRecordSize + 14)
        #expect(pristine.footerOffset - pristine.provenanceOffset == 2)
        // Both logs hold several records, so flips hit middle and last records.
        #expect(pristine.logs.allSatisfy { $0.records.count >= 3 })
    }

    // MARK: Segments

    @Test("A flipped bit anywhere in a segment is found, at the start of the damaged region; the rest still reads",
          arguments: 0..<CorruptionInjectionTests.segmentFlipCount)
    func segmentBitFlip(case index: Int) throws {
        let pristine = try Self.pristine()
        let (position, bit) = PristineStore.segmentFlips(pristine, count: Self.segmentFlipCount)[index]
        let region = pristine.segmentRegion(containing: position)
        let context = "bit \(bit) of byte \(position) (\(region))"
        let directory = TemporaryDirectory()
        try pristine.materialize(in: directory, changing: pristine.segmentName) { $0[position] ^= UInt8(1) << UInt8(bit) }
        let file = directory.appending(pristine.segmentName)

        let report = try StoreVerifier.verify(at: directory.path)
        #expect(!report.isClean, "\(context): not detected")
        let named = report.problems.filter { $0.path == file }
        #expect(!named.isEmpty, "\(context): no problem names \(file): \(report.problems)")
        #expect(named.allSatisfy { $0.offset != nil }, "\(context): no offset in \(named)")
        #expect(named.contains { $0.offset == region.start }, "\(context): \(named)")
        #expect(named.allSatisfy { ($0.offset ?? .max) <= position }, "\(context): offset past the damage in \(named)")
        #expect(report.problems.allSatisfy { $0.path == file }, "\(context): other files blamed: \(report.problems)")

        // A reader opens the damaged store without crashing; everything outside the damage reads back.
        let store = try Store(at: directory.path, configuration: PristineStore.configuration, mode: .readOnly)
        if region.kind == .chunk || region.kind == .entry {
            // Opening reads no chunk and no device entry (only the directory), so it
            // finds nothing; verify did above, and reading the damaged series does below.
            #expect(store.unreadableSegments.isEmpty, "\(context): \(store.unreadableSegments)")
            if region.kind == .entry {
                #expect(store.segments().count == 1, "\(context): the segment was set aside")
                #expect(!region.series.isEmpty)
            }
            for key in region.series.sorted() {
                let error = #expect(throws: StrataError.self, "\(context): \(key) read despite the damage") {
                    try store.query(device: key.device, metric: key.metric)
                }
                #expect(error?.code == .corruptFile)
                #expect(error?.path == file, "\(context): \(String(describing: error))")
                #expect(error?.offset == region.start, "\(context): \(String(describing: error))")
            }
            try expectReadBack(store, pristine, pristine.expected(segment: true) { _, _ in true }, skipping: region.series, context)
        } else {
            #expect(store.unreadableSegments.count == 1, "\(context): \(store.unreadableSegments)")
            #expect(store.unreadableSegments.first?.path == file)
            #expect(store.unreadableSegments.first?.offset == region.start, "\(context): \(store.unreadableSegments)")
            // The segment is set aside whole; what the log holds still reads.
            try expectReadBack(store, pristine, pristine.expected(segment: false) { _, _ in true }, context)
        }
    }

    enum SegmentCut: String, CaseIterable, Sendable {
        case empty, oneByte, halfHeader, headerOnly, headerAndOneByte, shorterThanHeaderAndFooter, headerAndFooterSize
        case insideFirstChunk, atFirstChunkEnd, middleOfData, atIndexStart, insideIndex, atDirectoryStart, insideDirectory, atFooterStart
        case insideFooter, atFooterMagic, insideFooterMagic, lastByteMissing

        fileprivate func length(_ store: PristineStore) -> Int {
            switch self {
            case .empty: 0
            case .oneByte: 1
            case .halfHeader: 8
            case .headerOnly: SegmentFormat.headerSize
            case .headerAndOneByte: SegmentFormat.headerSize + 1
            case .shorterThanHeaderAndFooter: SegmentFormat.headerSize + SegmentFormat.directoryFooterSize - 1
            case .headerAndFooterSize: SegmentFormat.headerSize + SegmentFormat.directoryFooterSize
            case .insideFirstChunk: store.chunks[0].offset + (store.chunks[0].end - store.chunks[0].offset) / 2
            case .atFirstChunkEnd: store.chunks[0].end
            case .middleOfData: (SegmentFormat.headerSize + store.indexOffset) / 2
            case .atIndexStart: store.indexOffset
            case .insideIndex: (store.indexOffset + store.directoryOffset) / 2
            case .atDirectoryStart: store.directoryOffset
            case .insideDirectory: store.directoryOffset + SegmentFormat.directoryRecordSize + 5
            case .atFooterStart: store.footerOffset
            case .insideFooter: store.footerOffset + 12
            case .atFooterMagic: store.segmentSize - 8
            case .insideFooterMagic: store.segmentSize - 4
            case .lastByteMissing: store.segmentSize - 1
            }
        }
    }

    @Test("A truncated segment is found and named; the store still opens and the log's points still read",
          arguments: SegmentCut.allCases)
    func segmentTruncation(cut: SegmentCut) throws {
        let pristine = try Self.pristine()
        let length = cut.length(pristine)
        let context = "segment cut to \(length) of \(pristine.segmentSize) bytes (\(cut))"
        let directory = TemporaryDirectory()
        try pristine.materialize(in: directory, changing: pristine.segmentName) { $0.removeLast($0.count - length) }
        let file = directory.appending(pristine.segmentName)

        let report = try StoreVerifier.verify(at: directory.path)
        #expect(!report.isClean, "\(context): not detected")
        let named = report.problems.filter { $0.path == file }
        #expect(!named.isEmpty, "\(context): no problem names \(file): \(report.problems)")
        #expect(named.allSatisfy { $0.offset != nil && $0.offset! <= length }, "\(context): \(named)")

        let store = try Store(at: directory.path, configuration: PristineStore.configuration, mode: .readOnly)
        #expect(store.unreadableSegments.map(\.path) == [file], "\(context): \(store.unreadableSegments)")
        try expectReadBack(store, pristine, pristine.expected(segment: false) { _, _ in true }, context)
    }

    // MARK: Write-ahead log

    @Test("A flipped bit in a log file is found at the damaged record (or header); recovery keeps every record before it",
          arguments: 0..<CorruptionInjectionTests.logFlipCount)
    func logBitFlip(case index: Int) throws {
        let pristine = try Self.pristine()
        let (logIndex, position, bit) = PristineStore.logFlips(pristine, count: Self.logFlipCount)[index]
        let log = pristine.logs[logIndex]
        let recordIndex = log.records.firstIndex { $0.offset <= position && position < $0.end }
        let inEndRecord = log.endRecord.map { $0.offset <= position && position < $0.end } ?? false
        let damageStart = recordIndex.map { log.records[$0].offset } ?? (inEndRecord ? log.endRecord!.offset : 0)
        let isLastFile = logIndex == pristine.logs.count - 1
        let isLastRecord = recordIndex == log.records.count - 1 && log.endRecord == nil
        // Only a bad checksum of the last record of the last file is a torn tail. Its length
        // field is guarded by its complement: a flip there is damage, wherever the record is.
        let inLengthFields = position < damageStart + 8
        let tornTailAllowed = isLastFile && isLastRecord && !inLengthFields
        let place = recordIndex.map { "record \($0) of \(log.records.count) (\(log.records[$0].offset)..<\(log.records[$0].end)), byte \(position - log.records[$0].offset) of it" }
            ?? (inEndRecord ? "the end record, byte \(position - damageStart) of it" : "the header")
        let context = "bit \(bit) of byte \(position) of \(log.name) (\(place))"

        let directory = TemporaryDirectory()
        try pristine.materialize(in: directory, changing: log.name) { $0[position] ^= UInt8(1) << UInt8(bit) }
        let file = directory.appending(log.name)

        let report = try StoreVerifier.verify(at: directory.path)
        let problems = report.problems.filter { $0.path == file }
        let tornNotes = report.notes.filter { $0.path == file && $0.message.contains("torn tail") }
        #expect(report.problems.allSatisfy { $0.path == file }, "\(context): other files blamed: \(report.problems)")
        if tornTailAllowed {
            // The format: "its last record fails its checksum" in the last file is a torn tail.
            #expect(tornNotes.contains { $0.offset == damageStart }, "\(context): problems \(report.problems), notes \(report.notes)")
            #expect(report.isClean, "\(context): a torn tail is not damage: \(report.problems)")
        } else {
            #expect(!report.isClean, "\(context): not reported as damage; notes \(report.notes)")
            #expect(problems.contains { $0.offset == damageStart }, "\(context): problems \(report.problems), notes \(report.notes)")
            #expect(tornNotes.isEmpty, "\(context): damage called a torn tail: \(tornNotes)")
        }

        // Every record but the damaged one (replay resynchronises on the next valid record), the other
        // log file and the segment survive; a damaged series record also loses the rows that use its numbers.
        let lost = recordIndex.map { pristine.recordsLost(damaging: $0, of: logIndex) }
        let expected = pristine.expected(segment: true) { log, record in
            log != logIndex || inEndRecord || (lost != nil && !lost!.contains(record))
        }
        let reader = try Store(at: directory.path, configuration: PristineStore.configuration, mode: .readOnly)
        try expectReadBack(reader, pristine, expected, "\(context), read-only")
        let writer = try reopen(directory.path, configuration: PristineStore.configuration)
        let recovered = writer.recovery.problems.filter { $0.path == file }
        #expect(recovered.contains { $0.offset == damageStart }, "\(context): recovery reported \(writer.recovery.problems)")
        if !tornTailAllowed {
            // Damage: the file is kept aside for inspection, not cut.
            #expect(!recovered.contains { $0.message.contains("torn tail") }, "\(context): recovery reported \(recovered)")
            #expect(FileManager.default.fileExists(atPath: file + WALFormat.damagedSuffix), "\(context): not set aside")
        }
        try expectReadBack(writer, pristine, expected, "\(context), read-write")
        // Recovery leaves a store that verifies clean (a damaged file is set aside, a torn tail cut off).
        let after = try StoreVerifier.verify(at: directory.path)
        #expect(after.isClean, "\(context): after recovery \(after.problems)")
    }

    @Test("A truncated log file is reported with file and offset (a torn tail in the last file); recovery keeps every whole record",
          arguments: 0..<PristineStore.logCutCount)
    func logTruncation(case index: Int) throws {
        let pristine = try Self.pristine()
        let cuts = PristineStore.logCuts(pristine)
        try #require(cuts.count == PristineStore.logCutCount, "logCutCount must be \(cuts.count)")
        let (logIndex, length) = cuts[index]
        let log = pristine.logs[logIndex]
        let isLastFile = logIndex == pristine.logs.count - 1
        let insideHeader = length < WALFormat.headerSize
        // The first batch record not wholly kept (none: the cut is in the end record).
        let cutRecord = log.records.firstIndex { $0.end > length }
        let damageStart = insideHeader ? 0 : cutRecord.map { log.records[$0].offset } ?? log.endRecord!.offset
        let atBoundary = !insideHeader && length == damageStart
        let place = insideHeader ? "inside the file header"
            : "\(atBoundary ? "exactly at the start of" : "inside") \(cutRecord.map { "record \($0)" } ?? "the end record") at \(damageStart)"
        let context = "\(log.name) (\(isLastFile ? "last" : "not the last") log file) cut to \(length) of \(log.size) bytes, \(place)"
        // What cannot be detected: the last file cut exactly between records is a well-formed,
        // unsealed last file, byte for byte what a writer that crashed after its last
        // acknowledged append leaves; the records cut off look like appends that never
        // happened. (Every other file is sealed with an end record, so there the cut is seen.)
        let undetectable = isLastFile && atBoundary
        let boundaryGap = "the last log file cut exactly at a record boundary is well-formed: the lost records look like appends that never happened"

        let directory = TemporaryDirectory()
        try pristine.materialize(in: directory, changing: log.name) { $0.removeLast($0.count - length) }
        let file = directory.appending(log.name)

        let report = try StoreVerifier.verify(at: directory.path)
        let problems = report.problems.filter { $0.path == file }
        let tornNotes = report.notes.filter { $0.path == file && $0.message.contains("torn tail") }
        #expect(report.problems.allSatisfy { $0.path == file }, "\(context): other files blamed: \(report.problems)")
        withKnownIssue(Comment(rawValue: boundaryGap), isIntermittent: false) {
            if isLastFile {
                // The last file was being appended to (or created): an unacknowledged write.
                #expect(tornNotes.contains { $0.offset == damageStart }, "\(context): problems \(report.problems), notes \(report.notes)")
                #expect(report.isClean, "\(context): a torn tail is not damage: \(report.problems)")
            } else {
                // Any other file was sealed: a cut is damage, wherever it falls.
                #expect(problems.contains { $0.offset == damageStart }, "\(context): problems \(report.problems), notes \(report.notes)")
                #expect(tornNotes.isEmpty, "\(context): damage called a torn tail: \(tornNotes)")
            }
        } when: { undetectable }

        let expected = pristine.expected(segment: true) { log, record in
            log != logIndex || (!insideHeader && record < (cutRecord ?? .max))
        }
        let reader = try Store(at: directory.path, configuration: PristineStore.configuration, mode: .readOnly)
        try expectReadBack(reader, pristine, expected, "\(context), read-only")
        let writer = try reopen(directory.path, configuration: PristineStore.configuration)
        withKnownIssue(Comment(rawValue: boundaryGap), isIntermittent: false) {
            #expect(writer.recovery.problems.contains { $0.path == file && $0.offset == damageStart },
                    "\(context): recovery reported \(writer.recovery.problems)")
        } when: { undetectable }
        if !isLastFile {
            // Kept aside for inspection, never deleted, once its readable records are in a segment.
            #expect(FileManager.default.fileExists(atPath: file + WALFormat.damagedSuffix), "\(context): not set aside")
            #expect(!FileManager.default.fileExists(atPath: file), "\(context): still in the log")
        } else if insideHeader {
            // An interrupted creation held no record: removed.
            #expect(!FileManager.default.fileExists(atPath: file), "\(context): not removed")
        } else {
            // The torn tail is cut off where the cut record began, and the file sealed there.
            let bytes = [UInt8]((try? Data(contentsOf: URL(fileURLWithPath: file))) ?? Data())
            #expect(bytes.count == damageStart + WALFormat.endRecordSize, "\(context): the tail was not cut off and sealed (size \(bytes.count))")
            if bytes.count == damageStart + WALFormat.endRecordSize {
                #expect(bytes[damageStart + WALFormat.recordHeaderSize - 1] == WALFormat.RecordType.end.rawValue, "\(context): no end record")
            }
        }
        try expectReadBack(writer, pristine, expected, "\(context), read-write")
        let after = try StoreVerifier.verify(at: directory.path)
        #expect(after.isClean && !after.notes.contains { $0.message.contains("torn tail") },
                "\(context): after recovery \(after.problems) \(after.notes)")
    }
}

fileprivate extension PristineStore {
    /// Cuts per log file: 4 inside the header plus 8 per record, for 2 files of 8 records
    /// (4 batches, each after the series record defining the series it uses first),
    /// plus 5 in the first file's end record.
    static let logCutCount = 2 * (4 + 8 * 8) + 5
}
