/// What wrote a segment, and the span of time a compacted one holds.
///
/// A flush writes whatever points arrived, at any times. Compaction rewrites
/// them into windows: a UTC day, then a week from Monday 00:00 UTC, then 16,
/// 256 and 4,096 weeks, each window inside exactly one of every larger size
/// (see <doc:Compaction>).
public enum SegmentWindow: Hashable, Sendable, CustomStringConvertible {
    /// Written by a flush.
    case flushed
    /// One UTC day, written by compaction.
    case day
    /// `count` weeks from a Monday 00:00 UTC (1, 16, 256 or 4,096), written by compaction.
    case weeks(count: Int)
    /// A level this version does not know (a store written by a newer one, or a damaged manifest).
    case unknown(level: Int)

    init(level: UInt8) {
        switch level {
        case 0: self = .flushed
        case CompactionWindow.dayLevel: self = .day
        case CompactionWindow.weekLevel...CompactionWindow.topLevel: self = .weeks(count: 1 << (4 * (Int(level) - 2)))
        default: self = .unknown(level: Int(level))
        }
    }

    /// The window's length in milliseconds; nil for a flushed segment or an unknown level.
    public var lengthMilliseconds: Int64? {
        switch self {
        case .flushed, .unknown: nil
        case .day: Milliseconds.day
        case .weeks(let count): Int64(count) * Milliseconds.week
        }
    }

    /// `flushed`, `day`, `week`, `16 weeks` and so on, as `strata inspect` prints it.
    public var description: String {
        switch self {
        case .flushed: "flushed"
        case .day: "day"
        case .weeks(1): "week"
        case .weeks(let count): "\(count) weeks"
        case .unknown(let level): "level \(level)"
        }
    }
}
