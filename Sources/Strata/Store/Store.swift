import Synchronization
import StrataCodecs

/// A Strata store: a directory of immutable segment files plus an in-memory
/// head of recent points.
///
/// `Store` is safe to use from many threads at once. Appends and queries
/// take a short lock; a flush encodes and writes its segment outside that
/// lock, so queries never wait for the disk, and they see the points being
/// flushed until the segment that holds them is published.
///
/// - Important: Until the write-ahead log lands, points that are appended
///   but not yet flushed live only in memory and are lost if the process
///   dies. Call ``flush()`` (or ``close()``) to make them durable.
public final class Store: Sendable {
    /// The store's directory.
    public let directory: String
    /// The configuration the store was opened with.
    public let configuration: Configuration
    /// Segment files that could not be opened (corrupt or unreadable), each
    /// with the file and offset of the problem. The store works without them.
    public let unreadableSegments: [StrataError]

    let state: Mutex<StoreState>
    /// Serializes flushes so segments are published in sequence order.
    private let flushGate = Mutex<Void>(())

    var segmentsDirectory: String { directory + "/segments" }

    /// Opens the store at `path`, creating it when it does not exist and
    /// `create` is true.
    ///
    /// - Throws: ``StrataError`` with code `.invalidArgument` when `path` is
    ///   not a store and `create` is false, `.io` when the directory cannot be
    ///   read or created.
    public init(at path: String, configuration: Configuration = Configuration(), create: Bool = true) throws(StrataError) {
        try configuration.validate()
        self.directory = path
        self.configuration = configuration
        let marker = path + "/" + StoreLayout.markerFileName
        let segmentsPath = path + "/segments"
        if !FileSystem.fileExists(marker) {
            guard create else {
                throw StrataError(.invalidArgument, "not a Strata store (no \(StoreLayout.markerFileName) file)", path: path)
            }
            do throws(Errno) {
                try FileSystem.createDirectory(path)
                try FileSystem.createDirectory(segmentsPath)
                try FileSystem.syncDirectory(path)
                try FileSystem.writeFileAtomically(marker, directory: path, contents: Array(StoreLayout.markerContents.utf8))
            } catch {
                throw .io(error, "creating the store", path: path)
            }
        }

        var names: [String]
        do {
            names = try FileSystem.contentsOfDirectory(segmentsPath)
        } catch {
            throw .io(error, "listing segments", path: segmentsPath)
        }
        names.sort()
        var segments: [SegmentFile] = []
        var problems: [StrataError] = []
        var highestSequence: UInt64 = 0
        for name in names {
            if name.hasSuffix(".tmp") {
                // A segment whose write never finished: its points were never acknowledged as flushed.
                _ = try? FileSystem.removeFile(segmentsPath + "/" + name)
                continue
            }
            guard let sequence = SegmentFormat.sequence(ofFileName: name) else { continue }
            highestSequence = max(highestSequence, sequence)
            do {
                segments.append(try SegmentFile(path: segmentsPath + "/" + name, sequence: sequence))
            } catch {
                problems.append(error)
            }
        }
        var catalog: [SeriesKey: ValueType] = [:]
        for segment in segments {
            for (key, type, _) in segment.series where catalog[key] == nil {
                catalog[key] = type
            }
        }
        unreadableSegments = problems
        state = Mutex(StoreState(segments: segments, catalog: catalog, nextSequence: highestSequence + 1))
    }

    /// Appends one Float64 point.
    public func append(device: String, metric: String, timestamp: Int64, value: Double) throws(StrataError) {
        var batch = WriteBatch(capacity: 1)
        try batch.append(device: device, metric: metric, timestamp: timestamp, value: value)
        try append(batch)
    }

    /// Appends one Int64 point.
    public func append(device: String, metric: String, timestamp: Int64, value: Int64) throws(StrataError) {
        var batch = WriteBatch(capacity: 1)
        try batch.append(device: device, metric: metric, timestamp: timestamp, value: value)
        try append(batch)
    }

    /// Appends points of one Float64 series. `timestamps` and `values` pair up by position.
    public func append(device: String, metric: String, timestamps: [Int64], values: [Double]) throws(StrataError) {
        guard timestamps.count == values.count else {
            throw StrataError(.invalidArgument, "\(timestamps.count) timestamps but \(values.count) values")
        }
        var batch = WriteBatch(capacity: timestamps.count)
        let series = try batch.series(device: device, metric: metric, type: .float64)
        for index in timestamps.indices { batch.append(series: series, timestamp: timestamps[index], value: values[index]) }
        try append(batch)
    }

    /// Appends points of one Int64 series. `timestamps` and `values` pair up by position.
    public func append(device: String, metric: String, timestamps: [Int64], values: [Int64]) throws(StrataError) {
        guard timestamps.count == values.count else {
            throw StrataError(.invalidArgument, "\(timestamps.count) timestamps but \(values.count) values")
        }
        var batch = WriteBatch(capacity: timestamps.count)
        let series = try batch.series(device: device, metric: metric, type: .int64)
        for index in timestamps.indices { batch.append(series: series, timestamp: timestamps[index], value: values[index]) }
        try append(batch)
    }

    /// Appends a batch of points of many series, all or nothing.
    ///
    /// Points may come in any order; for the same series and timestamp the
    /// last write wins. When the head reaches
    /// ``Configuration/headFlushThreshold`` points the call also flushes.
    ///
    /// - Throws: `.typeMismatch` when a series already holds the other value
    ///   type (nothing of the batch is stored), `.closed` after ``close()``.
    public func append(_ batch: WriteBatch) throws(StrataError) {
        guard !batch.isEmpty else { return }
        let shouldFlush = try state.withLock { state throws(StrataError) -> Bool in
            guard !state.isClosed else { throw StrataError(.closed, "the store is closed", path: directory) }
            // Check every series before storing anything.
            for (index, key) in batch.keys.enumerated() {
                if let known = state.catalog[key], known != batch.types[index] {
                    throw StrataError(.typeMismatch, "series \(key) holds \(known) values; the batch has \(batch.types[index])")
                }
            }
            var headSlots: [Int] = []
            headSlots.reserveCapacity(batch.keys.count)
            for (index, key) in batch.keys.enumerated() {
                state.catalog[key] = batch.types[index]
                headSlots.append(state.head.slot(for: key, type: batch.types[index]))
            }
            batch.seriesOfRow.withUnsafeBufferPointer { rows in
                batch.timestamps.withUnsafeBufferPointer { times in
                    batch.bits.withUnsafeBufferPointer { bits in
                        for row in 0..<rows.count {
                            state.head.append(slot: headSlots[Int(rows[row])], timestamp: times[row], bits: bits[row])
                        }
                    }
                }
            }
            return state.head.pointCount >= configuration.headFlushThreshold
        }
        if shouldFlush { try flush() }
    }

    /// Writes the head into a new segment: encoded, written to a temporary
    /// file, fsynced, renamed into place and the directory fsynced. Returns
    /// when the points are durable. Does nothing when the head is empty.
    public func flush() throws(StrataError) {
        try flushGate.withLock { _ throws(StrataError) in
            let frozen = try state.withLock { state throws(StrataError) -> (Head, UInt64)? in
                guard !state.isClosed else { throw StrataError(.closed, "the store is closed", path: directory) }
                guard !state.head.isEmpty else { return nil }
                let head = state.head
                state.head = Head()
                state.flushing.append(head)
                defer { state.nextSequence += 1 }
                return (head, state.nextSequence)
            }
            guard let (head, sequence) = frozen else { return }
            do throws(StrataError) {
                let segment = try writeSegment(head, sequence: sequence)
                state.withLock { state in
                    state.segments.append(segment)
                    state.flushing.removeFirst()
                }
            } catch {
                // Put the points back in front of anything appended since, so nothing is lost
                // and the write order (hence last-write-wins) is kept.
                state.withLock { state in
                    state.flushing.removeFirst()
                    var restored = head
                    for series in state.head.series {
                        let slot = restored.slot(for: series.key, type: series.type)
                        let columns = series.sortedColumns()
                        for index in 0..<columns.count {
                            restored.append(slot: slot, timestamp: columns.timestamps[index], bits: columns.bits[index])
                        }
                    }
                    state.head = restored
                }
                throw error
            }
        }
    }

    private func writeSegment(_ head: Head, sequence: UInt64) throws(StrataError) -> SegmentFile {
        var byDevice: [String: [DeviceColumns.Metric]] = [:]
        for series in head.series {
            byDevice[series.key.device, default: []].append(
                DeviceColumns.Metric(name: series.key.metric, type: series.type, columns: series.sortedColumns()))
        }
        let devices = byDevice.map { DeviceColumns(name: $0.key, metrics: $0.value) }
        let image = SegmentWriter(pointsPerChunk: configuration.pointsPerChunk).encode(devices)
        let path = segmentsDirectory + "/" + SegmentFormat.fileName(sequence: sequence)
        do throws(Errno) {
            try FileSystem.writeFileAtomically(path, directory: segmentsDirectory, contents: image)
        } catch {
            throw .io(error, "writing segment", path: path)
        }
        return try SegmentFile(path: path, sequence: sequence)
    }

    /// The points of one series with timestamps in `[start, end)`, sorted by
    /// time, merged from every segment and the head (newer writes win).
    ///
    /// - Complexity: O(chunks overlapping the range + points returned);
    ///   chunks outside the range are skipped using the index alone.
    public func query(device: String, metric: String, from start: Int64 = .min, to end: Int64 = .max) throws(StrataError) -> SeriesPoints {
        let key = SeriesKey(device: device, metric: metric)
        let (segments, headParts, type) = state.withLock { state in
            let heads = (state.flushing + [state.head]).compactMap { $0.columns(of: key, from: start, to: end) }
            return (state.segments, heads, state.catalog[key])
        }
        var sources: [SeriesColumns] = []
        for segment in segments {
            if let (_, columns) = try segment.read(device: device, metric: metric, from: start, to: end) {
                sources.append(columns)
            }
        }
        sources.append(contentsOf: headParts)
        return SeriesPoints(series: key, type: type, columns: SeriesColumns.merging(sources))
    }

    /// Every series in the store with its value type, sorted by device then metric.
    public func series() -> [(key: SeriesKey, type: ValueType)] {
        state.withLock { $0.catalog.map { ($0.key, $0.value) } }.sorted { $0.key < $1.key }
    }

    /// The devices in the store, sorted.
    public func devices() -> [String] {
        var seen = Set<String>()
        return series().compactMap { seen.insert($0.key.device).inserted ? $0.key.device : nil }
    }

    /// The metrics of `device` with their value types, sorted.
    public func metrics(of device: String) -> [(name: String, type: ValueType)] {
        series().filter { $0.key.device == device }.map { ($0.key.metric, $0.type) }
    }

    /// The published segments, oldest first.
    public func segments() -> [SegmentFile] {
        state.withLock { $0.segments }
    }

    /// Points appended and not yet flushed.
    public var unflushedPointCount: Int {
        state.withLock { state in state.head.pointCount + state.flushing.reduce(0) { $0 + $1.pointCount } }
    }

    /// Flushes the head and closes the store; later calls throw `.closed`.
    /// Closing twice is allowed.
    public func close() throws(StrataError) {
        if state.withLock({ $0.isClosed }) { return }
        try flush()
        state.withLock { $0.isClosed = true }
    }
}

/// What a store's lock protects.
struct StoreState: Sendable {
    var head = Head()
    /// Heads being written into segments, oldest first; queries still read them.
    var flushing: [Head] = []
    /// Published segments in sequence order.
    var segments: [SegmentFile]
    /// The value type of every known series.
    var catalog: [SeriesKey: ValueType]
    var nextSequence: UInt64
    var isClosed = false
}

/// Names of the files in a store directory.
enum StoreLayout {
    /// Marks a directory as a Strata store and names the store format version.
    static let markerFileName = "STRATA"
    static let markerContents = "Strata store\nformat 1\n"
}
