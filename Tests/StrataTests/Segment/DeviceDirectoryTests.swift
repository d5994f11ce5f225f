import Foundation
import Testing
@testable import Strata
import StrataCodecs
import StrataTestSupport

/// Format 6 segments: found through the device directory, each device entry
/// checked on its own, damage confined to the device it hits.
@Suite("Segment format 6: the device directory")
struct DeviceDirectoryTests {
    /// `count` devices with names of many lengths and bytes (prefixes of one
    /// another, digits that sort unlike numbers, non-ASCII), one to three
    /// metrics each, Float64 and Int64, shared and separate time columns.
    static func devices(count: Int, seed: UInt64 = 1) -> [DeviceColumns] {
        var random = SeededGenerator(seed: seed)
        var names = Set<String>()
        let stems = ["a", "ab", "abc", "dev-", "météo-", "Z", "pump/", "x"]
        while names.count < count {
            let stem = stems[Int(random.next() % UInt64(stems.count))]
            // Now and then the bare stem, a prefix of the others.
            names.insert(random.next() % 5 == 0 && !names.contains(stem) ? stem : stem + String(random.next() % 100_000))
        }
        return names.map { name in
            var metrics: [DeviceColumns.Metric] = []
            let start = 1_700_000_000_000 + Int64(random.next() % 1_000) * 1_000 - 500_000
            let times = (0..<(1 + Int(random.next() % 40))).map { start + Int64($0) * 60_000 }
            metrics.append(.init(name: "temperature", type: .float64, columns: SeriesColumns(
                timestamps: times, bits: times.map { Double(($0 / 1000) % 997) / 10 }.map(\.bitPattern))))
            if random.next() % 2 == 0 {
                metrics.append(.init(name: "count", type: .int64, columns: SeriesColumns(
                    timestamps: times, bits: times.map { UInt64(bitPattern: $0 % 12_345 - 6_000) })))
            }
            if random.next() % 3 == 0 {
                let other = times.enumerated().filter { $0.offset % 3 == 0 }.map { $0.element + 17 }
                metrics.append(.init(name: "é", type: .float64, columns: SeriesColumns(
                    timestamps: other, bits: other.map { -Double($0 % 1000) }.map(\.bitPattern))))
            }
            return DeviceColumns(name: name, metrics: metrics)
        }
    }

    static func sortedNames(_ devices: [DeviceColumns]) -> [String] {
        devices.map(\.name).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    /// Writes `devices` into a segment file in `directory` and returns its path.
    static func write(_ devices: [DeviceColumns], in directory: borrowing TemporaryDirectory) throws -> String {
        let path = directory.appending("0000000001.seg")
        try Data(SegmentWriter(pointsPerChunk: 16).encode(devices)).write(to: URL(fileURLWithPath: path))
        return path
    }

    static func modify(_ path: String, _ change: (inout [UInt8]) -> Void) throws {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        change(&bytes)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    static func directory(of segment: SegmentFile) throws -> DeviceDirectory {
        guard case .directory(let directory, _) = segment.index else {
            throw StrataError(.invalidArgument, "not a format 6 segment")
        }
        return directory
    }

    /// Directory record `position` of `segment` (read while the segment, and so its mapping, is alive).
    static func record(_ position: Int, of segment: SegmentFile) throws -> DeviceDirectory.Record {
        let directory = try directory(of: segment)
        return segment.region.withBytes { directory.record(at: position, in: $0) }
    }

    /// Checks that every series of `device` reads back exactly.
    static func expectReads(_ segment: SegmentFile, _ device: DeviceColumns, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let entry = try #require(try segment.device(named: device.name), sourceLocation: sourceLocation)
        #expect(entry.name == device.name, sourceLocation: sourceLocation)
        #expect(entry.metrics.map(\.name) == device.metrics.map(\.name).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }, sourceLocation: sourceLocation)
        for metric in device.metrics {
            let (type, columns) = try #require(try segment.read(device: device.name, metric: metric.name, from: .min, to: .max), sourceLocation: sourceLocation)
            #expect(type == metric.type, sourceLocation: sourceLocation)
            #expect(columns.timestamps == metric.columns.timestamps, "\(device.name)/\(metric.name)", sourceLocation: sourceLocation)
            #expect(columns.bits == metric.columns.bits, "\(device.name)/\(metric.name)", sourceLocation: sourceLocation)
        }
    }

    @Test("Many devices round-trip: every device is found by name, absent names before, between and after are not")
    func roundTrip() throws {
        let directory = TemporaryDirectory()
        let devices = Self.devices(count: 3_000)
        let path = try Self.write(devices, in: directory)
        let segment = try SegmentFile(path: path)
        #expect(segment.version == SegmentFormat.currentVersion)
        let names = Self.sortedNames(devices)
        #expect(segment.deviceCount == devices.count)
        #expect(segment.deviceNames == names)
        for (position, name) in names.enumerated() {
            #expect(try segment.deviceName(at: position) == name)
        }

        // The footer's totals and time bounds, against the content.
        let allTimes = devices.flatMap { $0.metrics.flatMap(\.columns.timestamps) }
        #expect(segment.seriesCount == devices.reduce(0) { $0 + $1.metrics.count })
        #expect(segment.pointCount == allTimes.count)
        #expect(segment.timeBounds?.first == allTimes.min())
        #expect(segment.timeBounds?.last == allTimes.max())
        #expect(segment.series.count == segment.seriesCount)

        for device in devices { try Self.expectReads(segment, device) }

        // Absent names: before the first, between every two neighbours (a name
        // followed by a NUL sorts right after it), after the last.
        #expect(try segment.device(named: "") == nil)
        #expect(try segment.device(named: "\u{0}") == nil)
        #expect(try segment.device(named: "A") == nil)  // "A" < "Z" < "a"…: before every name
        for name in names {
            #expect(try segment.device(named: name + "\u{0}") == nil, "just after \(name.debugDescription)")
            #expect(try segment.device(named: String(name.dropLast())).map(\.name) != name)
        }
        #expect(try segment.device(named: "\u{10FFFF}") == nil)
        #expect(try segment.series(ofDevice: "not there").isEmpty)
        #expect(try segment.series(ofDevice: names[17]).count == devices.first { $0.name == names[17] }!.metrics.count)

        #expect(segment.verifyChunks().isEmpty)
    }

    @Test("A segment without devices opens, has no time bounds and finds nothing")
    func emptySegment() throws {
        let directory = TemporaryDirectory()
        let path = try Self.write([], in: directory)
        let segment = try SegmentFile(path: path)
        #expect(segment.version == SegmentFormat.currentVersion)
        #expect(segment.deviceCount == 0)
        #expect(segment.timeBounds == nil)
        #expect(segment.pointCount == 0 && segment.seriesCount == 0)
        #expect(try segment.device(named: "a") == nil)
        #expect(segment.verifyChunks().isEmpty)
        #expect(segment.byteCount == SegmentFormat.headerSize + 2 + SegmentFormat.provenanceFooterSize, "header, an empty provenance block, footer")
    }

    @Test("A damaged entry fails only its own device, named with the file and the entry's offset", arguments: ["middle", "name", "last byte"])
    func damagedEntry(place: String) throws {
        let directory = TemporaryDirectory()
        let devices = Self.devices(count: 200, seed: 2)
        let path = try Self.write(devices, in: directory)
        let names = Self.sortedNames(devices)
        let victim = 120
        let record = try Self.record(victim, of: SegmentFile(path: path))
        let position = switch place {
        case "middle": record.offset + record.length / 2
        case "name": record.offset + 1  // the entry's own copy of the name
        default: record.offset + record.length - 1
        }
        try Self.modify(path) { $0[position] ^= 0x04 }

        // Opening reads no entry, so it succeeds.
        let segment = try SegmentFile(path: path)
        #expect(segment.deviceCount == names.count)
        #expect(segment.deviceNames == names)
        for attempt in 0..<2 {  // the failure is not cached
            let error = #expect(throws: StrataError.self, "attempt \(attempt)") { try segment.device(named: names[victim]) }
            #expect(error?.code == .corruptFile)
            #expect(error?.path == path)
            #expect(error?.offset == record.offset)
            #expect(error?.description.contains(path) == true)
        }
        let metric = devices.first { $0.name == names[victim] }!.metrics[0].name
        let readError = #expect(throws: StrataError.self) { try segment.read(device: names[victim], metric: metric, from: .min, to: .max) }
        #expect(readError?.offset == record.offset)
        #expect(throws: StrataError.self) { try segment.device(at: victim) }

        // Every other device reads, its neighbours too, and absent names around the damage are absent.
        for device in devices where device.name != names[victim] { try Self.expectReads(segment, device) }
        #expect(try segment.device(named: names[victim - 1] + "\u{0}") == nil)
        #expect(try segment.device(named: names[victim] + "\u{0}") == nil)

        // Verification names exactly the entry; listings leave the device out.
        #expect(segment.verifyChunks().map(\.offset) == [record.offset])
        #expect(!segment.chunkDescriptions().contains { $0.device == names[victim] })
        #expect(segment.series.count == segment.seriesCount - devices.first { $0.name == names[victim] }!.metrics.count)
    }

    @Test("A torn run of bytes across two entries fails those two devices, each at its own entry")
    func tornEntries() throws {
        let directory = TemporaryDirectory()
        let devices = Self.devices(count: 60, seed: 3)
        let path = try Self.write(devices, in: directory)
        let names = Self.sortedNames(devices)
        let pristine = try SegmentFile(path: path)
        let first = try Self.record(30, of: pristine), second = try Self.record(31, of: pristine)
        // Zeroes from the middle of entry 30 into entry 31, as a lost write would leave them.
        try Self.modify(path) { bytes in
            for index in (first.offset + first.length / 2)..<(second.offset + second.length / 2) { bytes[index] = 0 }
        }
        let segment = try SegmentFile(path: path)
        for (position, record) in [(30, first), (31, second)] {
            let error = #expect(throws: StrataError.self) { try segment.device(named: names[position]) }
            #expect(error?.code == .corruptFile && error?.path == path && error?.offset == record.offset)
        }
        for device in devices where device.name != names[30] && device.name != names[31] { try Self.expectReads(segment, device) }
        #expect(segment.verifyChunks().map(\.offset) == [first.offset, second.offset])
    }

    @Test("Damage to the directory, its names or the footer makes the file unreadable at open, with file and offset",
          arguments: ["record", "names", "last name byte", "provenance block", "footer device count", "footer times", "footer rank", "directory checksum", "footer checksum"])
    func damagedDirectoryOrFooter(place: String) throws {
        let directory = TemporaryDirectory()
        let devices = Self.devices(count: 40, seed: 4)
        let path = try Self.write(devices, in: directory)
        let pristine = try SegmentFile(path: path)
        let table = try Self.directory(of: pristine)
        let footer = pristine.footerOffset
        let (position, expected) = switch place {
        case "record": (table.recordOffset(7) + 3, table.recordsOffset)
        case "names": (table.namesOffset + 5, table.recordsOffset)
        // Format 7 footer: entries, directory, provenance block, devices, series, points,
        // first, last, rank, applied (8 bytes each), level and 3 reserved, then the
        // provenance, directory and footer checksums (4 each) and the magic number.
        case "last name byte": (table.namesEnd - 1, table.recordsOffset)
        case "provenance block": (table.namesEnd, table.namesEnd)
        case "footer device count": (footer + 24, footer)
        case "footer times": (footer + 52, footer)
        case "footer rank": (footer + 64, footer)
        case "directory checksum": (footer + 89, footer)
        default: (footer + 93, footer)
        }
        try Self.modify(path) { $0[position] ^= 0x01 }
        let error = #expect(throws: StrataError.self) { try SegmentFile(path: path) }
        #expect(error?.code == .corruptFile)
        #expect(error?.path == path)
        #expect(error?.offset == expected, "\(String(describing: error))")
    }

    @Test("A footer whose checksum holds but whose totals cannot be is refused at the footer's offset",
          arguments: ["more devices than fit", "entries after the directory", "first after last", "provenance block before the directory"])
    func inconsistentFooter(kind: String) throws {
        let directory = TemporaryDirectory()
        let path = try Self.write(Self.devices(count: 10, seed: 5), in: directory)
        let footer = try SegmentFile(path: path).footerOffset
        try Self.modify(path) { bytes in
            func put(_ value: UInt64, at offset: Int) {
                withUnsafeBytes(of: value.littleEndian) { for i in 0..<8 { bytes[offset + i] = $0[i] } }
            }
            // Format 7 footer offsets: see damagedDirectoryOrFooter.
            switch kind {
            case "more devices than fit": put(1_000_000, at: footer + 24)
            case "entries after the directory": put(UInt64(footer), at: footer)
            case "provenance block before the directory": put(UInt64(SegmentFormat.headerSize), at: footer + 16)
            default: put(UInt64(bitPattern: Int64.max), at: footer + 48)
            }
            let crc = bytes.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[footer..<(footer + 92)])) }
            withUnsafeBytes(of: crc.littleEndian) { for i in 0..<4 { bytes[footer + 92 + i] = $0[i] } }
        }
        let error = #expect(throws: StrataError.self) { try SegmentFile(path: path) }
        #expect(error?.code == .corruptFile && error?.path == path && error?.offset == footer, "\(String(describing: error))")
    }

    @Test("The entry cache stays bounded however many devices are looked up")
    func boundedCache() throws {
        let directory = TemporaryDirectory()
        let devices = Self.devices(count: 500, seed: 6)
        let path = try Self.write(devices, in: directory)
        let segment = try SegmentFile(path: path)
        guard case .directory(_, let cache) = segment.index else { Issue.record("not format 6"); return }
        for name in Self.sortedNames(devices) { _ = try segment.device(named: name) }
        #expect(cache.count == DeviceEntryCache.entryLimit)
        // A cached entry is the same as a freshly parsed one.
        let last = Self.sortedNames(devices).last!
        let cached = try #require(try segment.device(named: last))
        #expect(cached.metrics.map(\.chunks) == (try segment.device(at: devices.count - 1)).metrics.map(\.chunks))
    }

    @Test("In a store, a damaged entry is found when its device is read, with file and offset; the rest reads, and compaction refuses")
    func damagedEntryInStore() throws {
        let directory = TemporaryDirectory()
        var configuration = Configuration()
        configuration.compaction.runsInBackground = false
        let times = (0..<100).map { 1_700_000_000_000 + Int64($0) * 1000 }
        do {
            let store = try Store(at: directory.path, configuration: configuration)
            for device in ["a", "b", "c"] {
                try store.append(device: device, metric: "m", timestamps: times, values: times.map { Double($0 % 1000) })
            }
            try store.flush()
            // b also has later points in a second segment, so the store knows b/m without the damaged entry.
            try store.append(device: "b", metric: "m", timestamp: times.last! + 1000, value: 1.5)
            try store.close()
        }
        let first = directory.appending("segments/0000000001.seg")
        let segment = try SegmentFile(path: first)
        let record = try Self.record(1, of: segment)
        #expect(try segment.deviceName(at: 1) == "b")
        try Self.modify(first) { $0[record.offset + record.length / 2] ^= 0x80 }

        let store = try Store(at: directory.path, configuration: configuration)
        #expect(store.segments().count == 2)
        // Opening reads no entry, so it finds nothing; reading b does.
        #expect(store.unreadableSegments.isEmpty)
        let error = #expect(throws: StrataError.self) { try store.query(device: "b", metric: "m") }
        #expect(error?.code == .corruptFile && error?.path == first && error?.offset == record.offset)
        #expect(try store.query(device: "a", metric: "m").timestamps == times)
        #expect(try store.query(device: "c", metric: "m").timestamps == times)

        let report = try StoreVerifier.verify(at: directory.path)
        #expect(report.problems.map(\.path) == [first])
        #expect(report.problems.map(\.offset) == [record.offset])

        // Compaction cannot carry b's points over: it stops rather than drop them.
        let compaction = #expect(throws: StrataError.self) { try store.compact() }
        #expect(compaction?.code == .corruptFile && compaction?.offset == record.offset)
        #expect(store.segments().count == 2)
        #expect(try store.query(device: "a", metric: "m").count == 100)
    }

    @Test("Compaction merges inputs holding different devices, walking each directory once, and keeps every point")
    func compactionAcrossDirectories() throws {
        let directory = TemporaryDirectory()
        var configuration = Configuration()
        configuration.compaction.runsInBackground = false
        configuration.pointsPerChunk = 32
        let store = try Store(at: directory.path, configuration: configuration)
        let start = wallClockMilliseconds() / Milliseconds.day * Milliseconds.day - 3 * Milliseconds.day
        var expected: [String: [Int64]] = [:]
        // Three flushes over overlapping, different sets of devices.
        for (flush, step) in [2, 3, 1].enumerated() {
            var batch = WriteBatch()
            for device in stride(from: 0, to: 300, by: step) {
                let name = "d\(device)"
                for point in 0..<5 {
                    let time = start + Int64(flush * 10 + point) * 60_000
                    try batch.append(device: name, metric: "m", timestamp: time, value: Double(device * 100 + point))
                    expected[name, default: []].append(time)
                }
            }
            try store.append(batch)
            try store.flush()
        }
        #expect(store.segments().count == 3)
        _ = try store.compact()
        #expect(store.segments().allSatisfy { $0.level != 0 && $0.version == SegmentFormat.currentVersion })
        #expect(store.segments().reduce(0) { $0 + $1.deviceCount } >= 300)
        for (name, times) in expected {
            #expect(try store.query(device: name, metric: "m").timestamps == times.sorted(), "\(name)")
        }
        #expect(try StoreVerifier.verify(at: directory.path).isClean)
    }
}
