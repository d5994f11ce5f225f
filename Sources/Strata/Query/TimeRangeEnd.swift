/// The one rule for the end of a time range, kept by every path that takes a
/// range: queries, scans, downsampling, anomalies, deletions, retention,
/// compaction and export.
///
/// Ranges are half-open, `[from, to)`, except that an end of `Int64.max` means
/// *no upper bound*: a point at `Int64.max` is inside it. Without that
/// exception no range could hold such a point, and a store accepts it. The
/// default `to` of every API, and an omitted `--to` on the command line, is
/// `Int64.max`. So `[from, Int64.max)` is never empty: it holds at least the
/// millisecond `Int64.max`.
enum TimeRangeEnd {
    /// True when `time` is before `end`, `Int64.max` being no bound at all.
    @inline(__always)
    static func admits(_ time: Int64, before end: Int64) -> Bool {
        time < end || end == .max
    }

    /// The last millisecond of a range ending at `end`.
    @inline(__always)
    static func lastIncluded(before end: Int64) -> Int64 {
        end == .max ? .max : end - 1
    }

    /// True when `[from, to)` holds no millisecond.
    static func isEmpty(from: Int64, to: Int64) -> Bool {
        from >= to && to != .max
    }
}

extension Int64 {
    /// `self - other`, held at `Int64.min` or `Int64.max` instead of overflowing.
    @inline(__always)
    func subtractingSaturated(_ other: Int64) -> Int64 {
        let (difference, overflow) = subtractingReportingOverflow(other)
        return overflow ? (other > 0 ? .min : .max) : difference
    }

    /// `self + other`, held at `Int64.min` or `Int64.max` instead of overflowing.
    @inline(__always)
    func addingSaturated(_ other: Int64) -> Int64 {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? (other > 0 ? .max : .min) : sum
    }
}
