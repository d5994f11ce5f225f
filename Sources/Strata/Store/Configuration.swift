/// How a ``Store`` behaves. Every property documents its default.
public struct Configuration: Sendable, Equatable {
    /// The most points a chunk holds. Default 1024.
    ///
    /// Larger chunks spread the per-chunk cost (an index entry with statistics,
    /// about 60 bytes) over more points; smaller ones restart the XOR float
    /// encoding more often, which helps when values jump, and let range queries
    /// skip more. Measured over `../shared/data` (see `Benchmarks/` and the
    /// format article), 1024 is within a few percent of the best size on every
    /// file. Allowed: 16...65,536.
    public var pointsPerChunk: Int = 1024

    /// Points held in memory before the background thread flushes them into a
    /// new segment. Default 8,000,000 (about 150 MB of head).
    ///
    /// Appends go on during the flush; if the head reaches twice this size
    /// before the flush ends, the appender flushes too, which bounds memory.
    public var headFlushThreshold: Int = 8_000_000

    /// When an append counts as durable.
    public enum Durability: Sendable, Equatable {
        /// The append returns after the log is fsynced (`fdatasync`); appends
        /// waiting at the same moment share one sync (group commit). A crash
        /// loses nothing that was acknowledged.
        case everyBatch
        /// The log is synced every so many milliseconds in the background; a
        /// crash loses at most that window of acknowledged appends.
        case interval(milliseconds: Int)
        /// The operating system decides when the log reaches the disk; a
        /// process crash loses nothing, a power loss may lose recent appends.
        case none
    }

    /// When an append counts as durable. Default ``Durability/everyBatch``.
    public var durability: Durability = .everyBatch

    /// The head is flushed in the background once its oldest point has waited
    /// this long, even if it is small, so the log stays short and recovery
    /// quick. Default 600,000 (10 minutes).
    public var headFlushAgeMilliseconds: Int = 600_000

    /// Compression over the encoded chunks of segments written by flushes
    /// (warm data, read often and soon rewritten by compaction). Default
    /// ``ChunkCompression/lz4``: see the "Compaction" article for the measurements.
    public var flushCompression: ChunkCompression = .lz4

    /// When and how segments are compacted. Default: ``CompactionPolicy/init()``.
    public var compaction = CompactionPolicy()

    /// How long points are kept. Default: forever.
    public var retention = RetentionPolicy()

    /// Creates a configuration with the defaults.
    public init() {}

    func validate() throws(StrataError) {
        guard (16...SegmentFormat.maximumPointsPerChunk).contains(pointsPerChunk) else {
            throw StrataError(.invalidArgument, "pointsPerChunk must be in 16...65536, not \(pointsPerChunk)")
        }
        if case .interval(let milliseconds) = durability, milliseconds <= 0 {
            throw StrataError(.invalidArgument, "the durability interval must be positive, not \(milliseconds) ms")
        }
        guard headFlushAgeMilliseconds > 0 else {
            throw StrataError(.invalidArgument, "headFlushAgeMilliseconds must be positive, not \(headFlushAgeMilliseconds)")
        }
        try retention.validate()
        try compaction.validate()
        guard headFlushThreshold > 0 else {
            throw StrataError(.invalidArgument, "headFlushThreshold must be positive, not \(headFlushThreshold)")
        }
    }
}
