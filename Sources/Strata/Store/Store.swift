import Synchronization
import Logging
import StrataCodecs

/// A Strata store: a directory of immutable segment files plus an in-memory
/// head of recent points.
///
/// `Store` is safe to use from many threads at once. Appends and queries
/// take a short lock; a flush encodes and writes its segment outside that
/// lock, so queries never wait for the disk, and they see the points being
/// flushed until the segment that holds them is published.
///
/// One process at a time may open a store for writing: ``AccessMode/readWrite``
/// takes an exclusive lock on `STRATA.lock`. Any number may open it
/// ``AccessMode/readOnly`` beside the writer; a read-only store sees the
/// segments that existed when it was opened.
///
/// Every append goes to the write-ahead log before the head, and returns
/// once it is durable under ``Configuration/durability``. When the head
/// grows past ``Configuration/headFlushThreshold`` points or
/// ``Configuration/headFlushAgeMilliseconds``, a background thread writes it
/// into a segment and deletes the log files it covered. Opening a store
/// replays the log, so a crash loses no acknowledged point.
public final class Store: Sendable {
    /// How a store is opened.
    public enum AccessMode: Sendable, Equatable {
        /// Appends and flushes allowed; holds the store's writer lock.
        case readWrite
        /// Queries only; takes no lock and changes nothing on disk.
        case readOnly
    }

    /// The store's directory.
    public let directory: String
    /// The configuration the store was opened with.
    public let configuration: Configuration
    /// Segment files that could not be opened (corrupt or unreadable), each
    /// with the file and offset of the problem. The store works without them.
    public let unreadableSegments: [StrataError]
    /// How the store was opened.
    public let mode: AccessMode

    let state: Locked<StoreState>
    /// Held while the store is open for writing; released when the store is deallocated.
    private let writerLock: DirectoryLock?
    /// The write-ahead log (writers only).
    let log: WriteAheadLog?
    /// What opening the store recovered from the write-ahead log.
    public let recovery: RecoveryReport
    /// Wakes the background thread and tells it what to do.
    let background = BackgroundWork()
    /// Serializes flushes so segments are published in sequence order.
    let flushGate = Locked<FlushScratch>(FlushScratch())
    /// Serializes manifest writes (flushes, compactions, deletions).
    let manifestGate = Locked<Void>(())
    /// One compaction at a time.
    let compactionGate = Locked<Void>(())
    /// The last whole request of ``latest(of:)``, ready for the next (taken out while used).
    let latestMemo = Locked<LatestRequestMemo?>(nil)
    /// Where events go; its metadata names the store.
    let logger: Logger
    /// Counters, gauges and timers (see ``Telemetry``).
    let metrics: StoreMetrics
    /// Tells this instance's ``SeriesReference``s from other instances'.
    let referenceToken: UInt32
    private static let referenceTokens = Atomic<UInt32>(0)

    var segmentsDirectory: String { directory + "/segments" }

    /// Opens the store at `path`, creating it when it does not exist, `mode`
    /// is ``AccessMode/readWrite`` and `create` is true. Events and metrics go
    /// to `telemetry` (by default the process's logging and metrics systems).
    ///
    /// - Throws: ``StrataError`` with code `.invalidArgument` when `path` is
    ///   not a store (and cannot or may not be created), `.locked` when
    ///   another writer holds the store, `.unsupportedVersion` for a store of
    ///   a newer format, `.io` when the directory cannot be read or created.
    public init(
        at path: String, configuration: Configuration = Configuration(),
        mode: AccessMode = .readWrite, create: Bool = true, telemetry: Telemetry = Telemetry()
    ) throws(StrataError) {
        try configuration.validate()
        var logger = telemetry.logger
        logger[metadataKey: "store"] = .string(path)
        self.logger = logger
        let metrics = StoreMetrics(telemetry)
        self.metrics = metrics
        self.directory = path
        self.configuration = configuration
        self.mode = mode
        referenceToken = Self.referenceTokens.add(1, ordering: .relaxed).newValue
        let (lock, format) = try StoreLayout.openDirectory(path, mode: mode, create: create)
        writerLock = lock
        // Read the log before listing segments. A writer publishes a segment before it
        // deletes the log files the segment covers, so a reader beside it sees every
        // point either in the log it read or in a segment it lists afterwards (or both:
        // replay is idempotent), never in neither.
        let logFolder = path + "/" + WALFormat.folder
        if mode == .readWrite {
            do throws(Errno) { try FileSystem.createDirectory(logFolder) } catch {
                throw .io(error, "creating the write-ahead log folder", path: logFolder)
            }
        }
        let started = monotonicMilliseconds()
        var logged: [(batch: WriteBatch, file: String, offset: Int)] = []
        let outcome = try WALReplay(directory: logFolder, repairs: mode == .readWrite).run { batch, file, offset in
            logged.append((batch, file, offset))
        }
        let opened = try StoreLayout.openSegments(in: path, cleaning: mode == .readWrite, format: format)
        if mode == .readWrite { ManifestFile.healMirror(in: path) }
        unreadableSegments = opened.problems

        // Replay the log into a fresh head, in write order.
        var recovered = StoreState(segments: opened.segments, manifest: opened.manifest)
        recovered.headRowsExpected = min(configuration.headFlushThreshold + configuration.headFlushThreshold / 4, Head.rowCapacity)
        var skipped: [StrataError] = []
        for entry in logged {
            // Files the manifest says are in segments already (a flush or a deletion
            // published them, and a crash kept the files from being removed).
            let name = entry.file.split(separator: "/").last.map(String.init) ?? entry.file
            if let number = WALFormat.number(ofFileName: name), number <= opened.manifest.logCoveredThrough { continue }
            let named: [UInt32]
            do throws(StrataError) {
                named = try recovered.number(entry.batch)
            } catch {
                skipped.append(StrataError(.typeMismatch, "write-ahead log record skipped: \(error.message)", path: entry.file, offset: entry.offset))
                continue
            }
            let numbers = entry.batch.rowNumbers(named: named)
            recovered.apply(numbers: numbers, of: entry.batch)
        }
        logged.removeAll()
        recovery = RecoveryReport(
            files: outcome.files.count, records: outcome.records, points: outcome.points, bytes: outcome.bytes,
            milliseconds: Int(monotonicMilliseconds() - started), problems: outcome.problems + skipped)
        if mode == .readWrite {
            let intact = outcome.files.filter { !outcome.damagedFiles.contains($0) }
            // Never reuse a number the manifest covers: a clean close leaves no log file to count from.
            log = try WriteAheadLog(
                directory: logFolder, number: max(outcome.highestNumber, opened.manifest.logCoveredThrough) + 1, existing: intact,
                metrics: metrics)
        } else {
            log = nil
        }
        state = Locked(recovered)
        reportOpening(segments: opened.segments.count)

        guard mode == .readWrite else { return }
        if !outcome.damagedFiles.isEmpty {
            // Put what was readable into a segment first, then move the damaged files
            // aside (kept for inspection, never replayed again).
            try flushHead(closing: false)
            for file in outcome.damagedFiles {
                try? FileSystem.rename(file, to: file + WALFormat.damagedSuffix)
                logger.warning("damaged write-ahead log file moved aside", metadata: ["file": "\(file + WALFormat.damagedSuffix)"])
            }
            try? FileSystem.syncDirectory(logFolder)
        }
        startBackgroundWork()
    }

    deinit {
        background.signalStop()
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
        try appendSeries(device: device, metric: metric, type: .float64, timestamps: timestamps, values: values, bits: \.bitPattern)
    }

    /// Appends points of one Int64 series. `timestamps` and `values` pair up by position.
    public func append(device: String, metric: String, timestamps: [Int64], values: [Int64]) throws(StrataError) {
        try appendSeries(device: device, metric: metric, type: .int64, timestamps: timestamps, values: values) { UInt64(bitPattern: $0) }
    }

    private func appendSeries<Element>(
        device: String, metric: String, type: ValueType, timestamps: [Int64], values: [Element], bits: (Element) -> UInt64
    ) throws(StrataError) {
        guard timestamps.count == values.count else {
            throw StrataError(.invalidArgument, "\(timestamps.count) timestamps but \(values.count) values")
        }
        var batch = WriteBatch(capacity: timestamps.count)
        let series = try batch.series(device: device, metric: metric, type: type)
        for index in timestamps.indices { batch.append(series: series, timestamp: timestamps[index], bits: bits(values[index])) }
        try append(batch)
    }

    /// Appends a batch of points of many series, all or nothing.
    ///
    /// Points may come in any order; for the same series and timestamp the
    /// last write wins. When the head reaches
    /// ``Configuration/headFlushThreshold`` points the call also flushes.
    ///
    /// - Throws: `.typeMismatch` when a series already holds the other value
    ///   type (nothing of the batch is stored), `.closed` after ``close()``,
    ///   `.readOnly` for a read-only store. When the automatic flush fails
    ///   (`.io`, a full disk say) the batch *is* stored in the head and the
    ///   flush error is thrown; appending the batch again is harmless, since
    ///   the same points simply overwrite themselves.
    public func append(_ batch: WriteBatch) throws(StrataError) {
        var reached = AppendStage.notLogged
        try append(batch, reached: &reached)
    }

    /// ``append(_:)``, recording in `reached` how far `batch` got, so a caller
    /// whose append fails can say exactly what the store keeps (see ``AppendStage``).
    public func append(_ batch: WriteBatch, reached: inout AppendStage) throws(StrataError) {
        reached = .notLogged
        guard !batch.isEmpty else { return }
        try checkWritable()
        guard let log else { return }
        if batch.referencedRowCount > 0 && (batch.mixesStores || batch.referenceStoreToken != referenceToken) {
            throw StrataError(.invalidArgument, "the batch holds series references made by another Store instance", path: directory)
        }
        // Number the series named in the batch, checking their types (one hash a
        // series); references are numbered already.
        var named: [UInt32] = []
        if batch.seriesCount > 0 {
            named = try state.withLock { state throws(StrataError) -> [UInt32] in
                guard !state.isClosed else { throw StrataError(.closed, "the store is closed", path: directory) }
                return try state.number(batch)
            }
        }
        // Encode outside the lock; the lock only orders the log write and the head update.
        let numbers = batch.rowNumbers(named: named)
        var record = numbers.withUnsafeBufferPointer { numbers in
            batch.timestamps.withUnsafeBufferPointer { timestamps in
                batch.bits.withUnsafeBufferPointer { bits in
                    WALRecord(numbers: numbers, timestamps: timestamps, bits: bits)
                }
            }
        }
        let (position, headPoints) = try state.withLock { state throws(StrataError) -> (UInt64, Int) in
            guard !state.isClosed else { throw StrataError(.closed, "the store is closed", path: directory) }
            // Check every series before storing anything.
            if let retired = state.registry.firstRetired(in: numbers) {
                throw StrataError(.typeMismatch, "series \(state.registry.keys[Int(retired)]) was deleted and registered again with the other type; make a new reference")
            }
            let position = try numbers.withUnsafeBufferPointer { numbers throws(StrataError) in
                try log.append(rows: &record, numbers: numbers) { undefined in
                    WALRecord(definitions: undefined.map { number in
                        WALSeriesEncoding.Definition(
                            number: number, key: state.registry.keys[Int(number)], type: state.registry.types[Int(number)])
                    })
                }
            }
            state.apply(numbers: numbers, of: batch)
            return (position, state.head.pointCount)
        }
        reached = .written
        metrics.pointsAppended.increment(by: Int64(batch.count))
        if configuration.durability == .everyBatch {
            try log.waitUntilDurable(position)
            reached = .durable
        }
        if headPoints >= 2 * configuration.headFlushThreshold {
            // The background flush is falling behind: this appender helps, which bounds memory.
            try flushHead(closing: false)
        } else if headPoints >= configuration.headFlushThreshold {
            background.requestFlush()
        }
    }

    /// Writes the head into a new segment now rather than waiting for the
    /// background thread: encoded, written to a temporary file, fsynced,
    /// linked into place and the directory fsynced; then the log files it
    /// covered are deleted. Does nothing when the head is empty.
    public func flush() throws(StrataError) {
        try checkWritable()
        try flushHead(closing: false)
    }

    /// Freezes the head, writes it into the next segment and publishes it.
    /// With `closing`, the store is marked closed in the same step that takes
    /// the head, so no append can slip in between and be left behind.
    func flushHead(closing: Bool) throws(StrataError) {
        try flushGate.withLock { scratch throws(StrataError) in try flushHeadHoldingGate(closing: closing, scratch: &scratch) }
    }

    /// ``flushHead(closing:)`` for a caller that holds `flushGate`, which
    /// guards `scratch`.
    func flushHeadHoldingGate(closing: Bool, scratch: inout FlushScratch) throws(StrataError) {
        let frozen = try state.withLock { state throws(StrataError) -> (Head, UInt64, [String])? in
            if state.isClosed {
                if closing { return nil }
                throw StrataError(.closed, "the store is closed", path: directory)
            }
            guard !state.head.isEmpty else {
                if closing { state.isClosed = true }
                return nil
            }
            // The log files written so far hold exactly this head (and any head whose
            // flush failed, restored into it): they go once its segment is published.
            let covered = try log?.rotate(closing: closing) ?? []
            if closing { state.isClosed = true }
            let head = state.head
            // The last flushed head's buffers, already touched: no page faults to refill them.
            var next = state.spareHead.take() ?? Head()
            next.removeAll()
            state.head = next
            state.headStartedAt = nil
            state.flushing.append(head)
            defer { state.nextSequence += 1 }
            return (head, state.nextSequence, covered)
        }
        guard let (head, sequence, covered) = frozen else { return }
        let started = monotonicNanoseconds()
        var notDurable: StrataError?
        do throws(StrataError) {
            let segment = try writeSegment(head, sequence: sequence, scratch: &scratch)
            do throws(StrataError) {
                let coveredThrough = covered.compactMap { path in
                    WALFormat.number(ofFileName: path.split(separator: "/").last.map(String.init) ?? path)
                }.max()
                notDurable = try publish({ manifest in
                    manifest.segments.append(.init(sequence: sequence, rank: segment.rank, level: segment.level))
                    if let coveredThrough { manifest.logCoveredThrough = max(manifest.logCoveredThrough, coveredThrough) }
                }, then: { state in
                    state.segments.append(segment)
                    state.spareHead = state.flushing.removeFirst()
                    state.backgroundError = nil
                })
            } catch {
                segment.markObsolete()
                throw error
            }
            // Until the new manifest is durable, the old one may come back: keep its log files.
            if notDurable == nil { log?.removeFiles(covered) }
            let nanoseconds = monotonicNanoseconds() - started
            metrics.flushes.increment()
            metrics.flushDuration.recordNanoseconds(nanoseconds)
            metrics.segmentBytesWritten.increment(by: Int64(segment.byteCount))
            metrics.segments.record(state.withLock { $0.segments.count })
            logger.info("flushed the head into a segment", metadata: [
                "segment": "\(segment.path)", "points": "\(head.pointCount)", "bytes": "\(segment.byteCount)",
                "milliseconds": "\(nanoseconds / 1_000_000)",
            ])
        } catch {
            logger.error("flush failed; the points stay in the head", metadata: ["error": "\(error)"])
            // Put the points back in front of anything appended since, so nothing is lost
            // and the write order (hence last-write-wins) is kept. A failed close leaves
            // the store open so the caller can retry.
            state.withLock { state in
                state.flushing.removeFirst()
                var restored = head
                restored.append(contentsOf: state.head)
                state.head = restored
                state.headStartedAt = state.headStartedAt ?? monotonicMilliseconds()
                if closing { state.isClosed = false }
            }
            throw error
        }
        // The segment is published and the points are in it; the caller learns the disk is failing.
        if let notDurable { throw notDurable }
    }

    func checkWritable() throws(StrataError) {
        guard mode == .readWrite else {
            throw StrataError(.readOnly, "the store is open read-only", path: directory)
        }
    }

    /// Checks that every series of `batch` has the value type the store
    /// already knows for it, without storing anything: lets a caller with
    /// several batches make sure all of them will be accepted first.
    public func checkTypes(of batch: WriteBatch) throws(StrataError) {
        try state.withLock { state throws(StrataError) in
            if let conflict = state.typeConflict(in: batch) { throw conflict }
        }
    }

    /// A reference to the series `metric` of `device` holding `type` values,
    /// registering it when the store does not know it yet; append through it
    /// with ``WriteBatch/append(_:timestamp:value:)-(_,_,Double)`` to skip
    /// every name lookup (see ``SeriesReference``).
    ///
    /// Making a reference stores nothing: a series without points is not
    /// listed by ``series()``.
    ///
    /// - Throws: `.invalidName` for a bad name, `.typeMismatch` when the
    ///   series holds the other type, `.readOnly`, `.closed`.
    public func reference(device: String, metric: String, type: ValueType) throws(StrataError) -> SeriesReference {
        try checkWritable()
        try SeriesName.validate(device, role: "device")
        try SeriesName.validate(metric, role: "metric")
        let key = SeriesKey(device: device, metric: metric)
        let number = try state.withLock { state throws(StrataError) -> UInt32 in
            guard !state.isClosed else { throw StrataError(.closed, "the store is closed", path: directory) }
            return try state.number(key, type: type)
        }
        return SeriesReference(id: number, type: type, storeToken: referenceToken)
    }

    private func writeSegment(_ head: Head, sequence: UInt64, scratch: inout FlushScratch) throws(StrataError) -> SegmentFile {
        scratch.runs.deal(head)
        // Slots in the names' byte order, then grouped by device: no name is hashed,
        // and canonically equivalent names stay apart (String == would merge them).
        let order = scratch.order.slots(of: head)
        let runs = scratch.runs
        var writer = SegmentWriter(
            pointsPerChunk: configuration.pointsPerChunk, compression: configuration.flushCompression, provenance: .flushed(sequence: sequence))
        runs.withColumns { times, bits in
            var device: String? = nil
            var series: [SeriesSpans] = []
            for slot in order {
                let key = head.slotKeys[slot]
                if let current = device, !UTF8Order.equal(current, key.device) {
                    writer.append(device: current, series: series)
                    series.removeAll(keepingCapacity: true)
                }
                device = key.device
                let run = runs.starts[slot]..<(runs.starts[slot] + runs.counts[slot])
                series.append(SeriesSpans(
                    metric: key.metric, type: head.slotTypes[slot],
                    timestamps: UnsafeBufferPointer(rebasing: times[run]), bits: UnsafeBufferPointer(rebasing: bits[run])))
            }
            if let device { writer.append(device: device, series: series) }
        }
        let image = writer.finish()
        let path = segmentsDirectory + "/" + SegmentFormat.fileName(sequence: sequence)
        do throws(Errno) {
            try FileSystem.writeFileAtomically(path, directory: segmentsDirectory, contents: image)
        } catch {
            throw .io(error, "writing segment", path: path)
        }
        return try SegmentFile(path: path, sequence: sequence, rank: sequence, level: 0)
    }

    /// The points of one series with timestamps in `[start, end)`, sorted by
    /// time, merged from every segment and the head (newer writes win).
    ///
    /// - Complexity: O(chunks overlapping the range + points returned);
    ///   chunks outside the range are skipped using the index alone.
    public func query(device: String, metric: String, from start: Int64 = .min, to end: Int64 = .max) throws(StrataError) -> SeriesPoints {
        let started = monotonicNanoseconds()
        defer { metrics.queryDuration.recordNanoseconds(monotonicNanoseconds() - started) }
        let key = SeriesKey(device: device, metric: metric)
        guard let (type, found) = try sources(of: key, from: start, to: end) else {
            return SeriesPoints(series: key, type: nil, columns: SeriesColumns())
        }
        var sources: [SeriesColumns] = []
        for source in found {
            if let segment = source.segment {
                let columns = try segment.read(source.chunks, type: type, from: start, to: end)
                sources.append(source.hidden.isEmpty ? columns : source.hidden.filter(columns))
            } else {
                sources.append(source.columns)
            }
        }
        return SeriesPoints(series: key, type: type, columns: SeriesColumns.merging(sources))
    }

    /// Every series in the store with its value type, sorted by device then metric.
    ///
    /// - Complexity: O(n log n) in the series of every segment and head: it
    ///   reads every segment's index. To learn one series' type, use
    ///   ``valueType(device:metric:)``.
    public func series() -> [(key: SeriesKey, type: ValueType)] {
        let (segments, tombstones, unflushed) = state.withLock { state in
            (state.segments, state.manifest.tombstones, state.headSeries())
        }
        var catalog = StoreLayout.catalog(of: segments, tombstones: tombstones)
        for (key, type) in unflushed { catalog[key] = type }
        return catalog.map { ($0.key, $0.value) }.sorted { $0.key < $1.key }
    }

    /// The value type of the series `metric` of `device`, or nil when the
    /// store holds no visible point of it. Reads only the index entries of
    /// that device.
    public func valueType(device: String, metric: String) -> ValueType? {
        state.withLock { $0.knownType(of: SeriesKey(device: device, metric: metric)) }
    }

    /// The devices in the store, sorted.
    public func devices() -> [String] {
        var seen = Set<[UInt8]>()
        return series().compactMap { seen.insert(Array($0.key.device.utf8)).inserted ? $0.key.device : nil }
    }

    /// The metrics of `device` with their value types, sorted.
    public func metrics(of device: String) -> [(name: String, type: ValueType)] {
        series().filter { UTF8Order.equal($0.key.device, device) }.map { ($0.key.metric, $0.type) }
    }

    /// The published segments, oldest first.
    public func segments() -> [SegmentFile] {
        state.withLock { $0.segments }
    }

    /// Points appended and not yet flushed.
    public var unflushedPointCount: Int {
        state.withLock { state in state.head.pointCount + state.flushing.reduce(0) { $0 + $1.pointCount } }
    }

    /// Flushes the head, releases the writer lock and closes the store; later
    /// appends and flushes throw `.closed`. Closing twice is allowed. If the final flush fails
    /// the store stays open, with every point, and the error is thrown.
    public func close() throws(StrataError) {
        guard mode == .readWrite else {
            state.withLock { $0.isClosed = true }
            return
        }
        background.stop()
        do throws(StrataError) {
            try flushHead(closing: true)
        } catch {
            background.reset()
            startBackgroundWork()
            throw error
        }
        try log?.close()
        // Another writer (in this process or another) may open the store now.
        writerLock?.release()
    }
}
