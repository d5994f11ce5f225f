/// Keeps a Parquet lake in step with a store, incrementally: the first sync
/// writes every partition, each later one only the partitions whose points
/// changed since (new points, late points into an old day, deletions,
/// retention), found from the store's index rather than by reading it.
///
/// The lake is laid out as Hive partitions, as `strata export --partition`
/// writes them, one file per store in each partition:
/// `DEST/device=NAME/date=YYYY-MM-DD/part-ID.parquet` (ID: the store's
/// ``StoreIdentity``; `month=` or `year=` with a coarser
/// ``LakeGranularity``). Several stores (the shards of a fleet) can sync
/// into one lake: each owns only its own files, so the lake holds the union
/// of their points. What is not data starts with `_` or `.`, which Spark,
/// DuckDB and Trino skip: the state in `DEST/_strata_sync/`, the hidden
/// temporary file a partition is written to before it is renamed over the
/// old one (so a reader sees the old partition or the new, never half).
///
/// Safe to stop at any moment (a crash, SIGKILL, a full disk): the state is
/// replaced only after every partition is done, and a list of the
/// partitions being worked on is made durable before the first one changes,
/// so the next run checks those again and the lake ends equal to a full
/// export of the store. Running it twice in a row writes nothing the second time.
///
/// ```swift
/// let store = try Store(at: "fleet.store", mode: .readOnly)
/// let summary = try LakeSync(destination: "lake").sync(store)
/// print(summary.written, summary.rewritten, summary.deleted)
/// ```
public struct LakeSync: Sendable {
    /// How a sync chooses and lays out the points.
    public struct Options: Sendable {
        /// How much time a partition holds. Default: a UTC day.
        public var granularity: LakeGranularity = .day
        /// Which devices are synced; the lake remembers ``DeviceFilter/description``
        /// and refuses a later sync with another one.
        public var devices: DeviceFilter = .all
        /// The Parquet files' layout.
        public var parquet = ParquetFileWriter.Options()

        /// Every device, by day, with default Parquet options.
        public init() {}
    }

    /// Chooses devices by name.
    public struct DeviceFilter: Sendable {
        /// The filter as the user wrote it (empty for every device); the lake
        /// records it so that a later sync with another filter is refused.
        public let description: String
        /// Whether a device is synced.
        public let includes: @Sendable (String) -> Bool

        /// A filter known by `description`.
        public init(description: String, includes: @escaping @Sendable (String) -> Bool) {
            self.description = description
            self.includes = includes
        }

        /// Every device.
        public static let all = DeviceFilter(description: "", includes: { _ in true })
    }

    /// What a sync did.
    public struct Summary: Sendable, Equatable {
        /// Partitions written for the first time.
        public var written = 0
        /// Partitions whose file was replaced.
        public var rewritten = 0
        /// Partition files removed (every point gone).
        public var deleted = 0
        /// Partitions read and found unchanged.
        public var unchanged = 0
        /// Rows in the files written.
        public var rows = 0
        /// Bytes of the files written.
        public var bytes = 0
        /// Devices whose points were read.
        public var devicesRead = 0
        /// Partitions the store owns in the lake afterwards.
        public var partitions = 0
        /// True when everything was read: the first sync, or one after the
        /// store went back in time (a restored backup), or after a state that could not be used.
        public var wasFullPass = false

        /// A summary of nothing done.
        public init() {}
    }

    /// How far a sync is: devices read of those to read.
    public struct Progress: Sendable {
        public var devicesDone: Int
        public var devicesTotal: Int
    }

    /// The lake's directory.
    public let destination: String
    /// The options.
    public let options: Options

    /// A sync into `destination` (created if missing).
    public init(destination: String, options: Options = Options()) {
        self.destination = destination
        self.options = options
    }

    /// Brings the lake up to date with `store` (opened read-only or for writing).
    ///
    /// - Throws: ``StrataError``: `.invalidArgument` when the destination is
    ///   inside the store, holds files no sync wrote, or was synced from this
    ///   store with another granularity or device filter; `.locked` when
    ///   another sync of this store into the lake is running; `.corruptFile`
    ///   when the store has segments it could not open or a damaged index
    ///   entry, or the lake's state is damaged; `.io` when a file cannot be
    ///   read or written. Then the lake holds the old files or the new of
    ///   each partition, and the next run finishes the work.
    public func sync(_ store: Store, progress: ((Progress) -> Void)? = nil) throws(StrataError) -> Summary {
        if let unreadable = store.unreadableSegments.first {
            throw StrataError(.corruptFile, "the store has \(store.unreadableSegments.count) segment\(store.unreadableSegments.count == 1 ? "" : "s") it could not open (first: \(unreadable.message)); a sync would remove their points from the lake. Run `strata verify` on the store", path: unreadable.path, offset: unreadable.offset)
        }
        try ExportDestination.refuseInside(store: store.directory, destination: destination)
        let identity = try store.identity()
        let lake = try LakeDirectory(path: destination, identity: identity, granularity: options.granularity, options: options.parquet)
        let lock: DirectoryLock
        do {
            lock = try DirectoryLock(path: lake.lockPath)
        } catch {
            switch error {
            case .held(let process):
                throw StrataError(.locked, "another sync of this store into the lake is running\(process.map { " (process \($0))" } ?? "")", path: destination)
            case .system(let errno):
                throw .io(errno, "locking the sync state", path: lake.lockPath)
            }
        }
        defer { lock.release() }
        var run = try LakeSyncRun(store: store, lake: lake, options: options)
        return try run.perform(progress: progress)
    }
}
