/// The bucket starts of a downsampling query, numbered: bucket `i` spans
/// `[start(ofIndex: i), start(ofIndex: i + 1))`.
///
/// Buckets are `step` milliseconds wide from an origin (the epoch, or the
/// query's `from`), or, with a time zone, whole local days: bucket `i` then
/// begins at the local midnight of day `i × days` (days since 1970-01-01 in
/// local time), so a day with a daylight-saving change is one bucket of 23 or
/// 25 hours. Indices are Int128 so that every Int64 time has one, and a
/// bucket whose true start lies below `Int64.min` reports `Int64.min`.
struct BucketGrid: Sendable {
    let origin: Int64
    let step: Int64
    /// The length of a local-day bucket in days.
    let days: Int64
    /// No time zone: buckets are `step` wide from `origin`.
    let isFixed: Bool
    /// The zone of local-day buckets, behind a reference: the rules are a large
    /// struct, and a grid is copied (or its zone tested) on every point's way into a bucket.
    private let localDays: LocalDays?

    private final class LocalDays: Sendable {
        let rules: TimeZoneRules
        init(_ rules: TimeZoneRules) { self.rules = rules }
    }

    init(_ options: DownsampleOptions) {
        origin = options.alignment == .from ? options.from : 0
        step = options.step
        localDays = options.timeZone.map(LocalDays.init)
        isFixed = options.timeZone == nil
        days = max(1, options.step / Milliseconds.day)
    }

    /// The start of the bucket after the one starting at `start` (a start this grid gave).
    @inline(__always)
    func end(ofStart start: Int64) -> Int64 {
        // A clamped first bucket, or local days: from the index.
        guard isFixed, start != .min else { return end(of: start) }
        let (end, overflow) = start.addingReportingOverflow(step)
        return overflow ? .max : end
    }

    /// The number of the bucket holding `time` (floor division, exact for any Int64).
    @inline(__always)
    func index(of time: Int64) -> Int128 {
        if let localDays {
            let day = Int128(localDays.rules.localDayBucket(containing: time))
            var index = day / Int128(days)
            if day % Int128(days) < 0 { index -= 1 }
            return index
        }
        // Most times are far from the ends of Int64: a 64-bit division instead of a 128-bit one (a library call).
        let (narrow, overflow) = time.subtractingReportingOverflow(origin)
        if !overflow {
            var index = narrow / step
            if narrow % step < 0 { index -= 1 }
            return Int128(index)
        }
        let offset = Int128(time) - Int128(origin)
        var index = offset / Int128(step)
        if offset % Int128(step) < 0 { index -= 1 }
        return index
    }

    /// The first millisecond of bucket `index`, clamped to the Int64 range.
    @inline(__always)
    func start(ofIndex index: Int128) -> Int64 {
        if let localDays {
            // Days beyond the Int64 range clamp; startOfLocalDay clamps days beyond the milliseconds' range.
            return localDays.rules.startOfLocalDay(Int64(clamping: index * Int128(days)))
        }
        return Int64(clamping: Int128(origin) + index * Int128(step))
    }

    /// The start of the bucket holding `time`.
    @inline(__always)
    func start(of time: Int64) -> Int64 {
        // Most times are far from the ends of Int64: 64-bit arithmetic, no Int128 division.
        if isFixed {
            let (offset, overflow) = time.subtractingReportingOverflow(origin)
            if !overflow {
                var remainder = offset % step
                if remainder < 0 { remainder += step }
                let (start, below) = time.subtractingReportingOverflow(remainder)
                if !below { return start }
            }
        }
        return start(ofIndex: index(of: time))
    }

    /// The first millisecond after the bucket holding `time`; `Int64.max` when
    /// the bucket reaches the end of time.
    func end(of time: Int64) -> Int64 { start(ofIndex: index(of: time) + 1) }

    /// The bucket's width in seconds, for rates: a local day may be 23 or 25 hours.
    func seconds(ofIndex index: Int128) -> Double {
        guard !isFixed else { return Double(step) / 1000 }
        return Double(Int128(start(ofIndex: index + 1)) - Int128(start(ofIndex: index))) / 1000
    }
}
