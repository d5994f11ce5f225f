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

    /// Points held in memory before an append flushes them into a new
    /// segment on its own. Default 8,000,000 (about 150 MB of head).
    ///
    /// The flush runs on the appending thread; queries go on meanwhile.
    public var headFlushThreshold: Int = 8_000_000

    /// Creates a configuration with the defaults.
    public init() {}

    func validate() throws(StrataError) {
        guard (16...SegmentFormat.maximumPointsPerChunk).contains(pointsPerChunk) else {
            throw StrataError(.invalidArgument, "pointsPerChunk must be in 16...65536, not \(pointsPerChunk)")
        }
        guard headFlushThreshold > 0 else {
            throw StrataError(.invalidArgument, "headFlushThreshold must be positive, not \(headFlushThreshold)")
        }
    }
}
