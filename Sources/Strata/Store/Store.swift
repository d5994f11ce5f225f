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

    // Lock order: a thread holding one of the locks below takes only those
    // after it: compactionGate, flushGate, manifestGate, state, latestMemo
    // (see LockLevel; debug builds check every acquisition). The log's and the
    // background worker's own locks come last and take none of these.

    /// One compaction at a time.
    let compactionGate = OrderedLock<Void>(.compaction, ())
    /// Serializes flushes so segments are published in sequence order.
    let flushGate = OrderedLock<FlushScratch>(.flush, FlushScratch())
    /// Serializes manifest writes (flushes, compactions, deletions).
    let manifestGate = OrderedLock<Void>(.manifest, ())
    /// Head, segments, registry and manifest in memory: held for short steps only.
    let state: OrderedLock<StoreState>
    /// The last whole request of ``latest(of:)``, ready for the next (taken out while used).
    let latestMemo = OrderedLock<LatestRequestMemo?>(.latestMemo, nil)

    /// Held while the store is open for writing; released when the store is deallocated.
    private let writerLock: DirectoryLock?
    /// The write-ahead log (writers only).
    let log: WriteAheadLog?
    /// What opening the store recovered from the write-ahead log.
    public let recovery: RecoveryReport
    /// Wakes the background thread and tells it what to do.
    let background = BackgroundWork()
    /// Where events go; its metadata names the store.
    let logger: Logger
    /// Counters, gauges and timers (see ``Telemetry``).
    let metrics: StoreMetrics
    /// Tells this instance's ``SeriesReference``s from other instances'.
    let referenceToken: UInt32
    private static let referenceTokens = Atomic<UInt32>(0)

    var segmentsDirectory: String { StoreLayout.segmentsPath(of: directory) }

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
        metrics = StoreMetrics(telemetry)
        directory = path
        self.configuration = configuration
        self.mode = mode
        referenceToken = Self.referenceTokens.add(1, ordering: .relaxed).newValue
        let (lock, format) = try StoreLayout.openDirectory(path, mode: mode, create: create)
        writerLock = lock
        let recovered = try Self.recover(path, configuration: configuration, mode: mode, format: format)
        unreadableSegments = recovered.segmentProblems
        recovery = recovered.report
        log = try Self.openLog(of: path, mode: mode, recovered: recovered, metrics: metrics)
        let segmentCount = recovered.state.segments.count
        let damagedLogFiles = recovered.damagedLogFiles
        state = OrderedLock(.state, recovered.state)
        reportOpening(segments: segmentCount)
        guard mode == .readWrite else { return }
        try setAsideDamagedLogFiles(damagedLogFiles)
        startBackgroundWork()
    }

    deinit {
        background.signalStop()
    }

    func checkWritable() throws(StrataError) {
        guard mode == .readWrite else {
            throw StrataError(.readOnly, "the store is open read-only", path: directory)
        }
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
