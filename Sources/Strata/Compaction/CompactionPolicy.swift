/// When and how a store compacts its segments. Every property documents its default.
///
/// Flushed segments (level 0) hold whatever the head held: recent points of
/// every series, plus late ones. Compaction rewrites them into segments that
/// each hold one time window of every series: a day (level 1) while its week
/// is recent, a week (level 2) once the week is over; finished windows of 16
/// weeks, 256 weeks and 4,096 weeks (levels 3 to 5) gather the weeks below
/// them into one file when that file stays under ``largeWindowMaximumBytes``.
/// See the DocC article "Compaction" for why these windows.
public struct CompactionPolicy: Sendable, Equatable {
    /// Whether the store's background thread compacts on its own. Default true.
    public var runsInBackground = true

    /// Flushed segments waiting before they are compacted. Default 4.
    public var flushedSegmentTrigger = 4

    /// Segments a window (a day, say) may hold while points still arrive for
    /// it before they are merged into one. Default 8. Below it, the window's
    /// newest segments are merged in size tiers (see the "Compaction"
    /// article), which keeps fewer files than this for a day of flushes.
    public var openDaySegmentLimit = 8

    /// How long after a day (or week) ends its window is treated as closed:
    /// its segments are merged into one and later points for it are expected
    /// to be rare. Default 3,600,000 (an hour) for days; weeks wait a day more.
    public var closeAfterMilliseconds: Int64 = 3_600_000

    /// The most bytes a background compaction writes per second; 0 means no
    /// limit. Default 64 MiB/s, so ingest keeps most of the disk.
    /// `Store.compact()` called directly is never throttled.
    public var backgroundBytesPerSecond = 64 << 20

    /// The largest segment made by merging windows above a week: the segments
    /// of a finished window of 16 weeks (or 256, or 4,096) are merged into one
    /// file when together they are at most this big. Default 256 MiB. Sparse
    /// data (hourly or weekly readings) then fills whole chunks instead of a
    /// week's worth; a large fleet keeps weekly files.
    public var largeWindowMaximumBytes = 256 << 20

    /// Compression over the encoded chunks of compacted segments of cold
    /// windows (over, and receiving no more points); a window still receiving
    /// points gets ``Configuration/flushCompression``, since it will be
    /// rewritten soon. Default zstd level 9: see the "Compaction" article for
    /// the measurements.
    public var compression: ChunkCompression = .zstd(level: 9)

    /// The most segment bytes one compaction step reads. Default 1 GiB. Memory
    /// use is bounded by one device's points in the step's inputs, not by this.
    public var maximumInputBytes = 1 << 30

    /// Creates a policy with the defaults.
    public init() {}

    func validate() throws(StrataError) {
        guard flushedSegmentTrigger >= 1 else {
            throw StrataError(.invalidArgument, "flushedSegmentTrigger must be at least 1, not \(flushedSegmentTrigger)")
        }
        guard openDaySegmentLimit >= 2 else {
            throw StrataError(.invalidArgument, "openDaySegmentLimit must be at least 2, not \(openDaySegmentLimit)")
        }
        guard closeAfterMilliseconds >= 0, backgroundBytesPerSecond >= 0, maximumInputBytes > 0 else {
            throw StrataError(.invalidArgument, "compaction limits must not be negative")
        }
    }
}
