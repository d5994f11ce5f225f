/// The bucket starts of a downsampling query, numbered: bucket `i` spans
/// `[start(ofIndex: i), start(ofIndex: i + 1))`.
///
/// Buckets are `step` milliseconds wide from an origin (the epoch, or the
/// query's `from`). Indices are Int128 so that every Int64 time has one, and
/// a bucket whose true start lies below `Int64.min` reports `Int64.min`.
struct BucketGrid: Sendable {
    let origin: Int64
    let step: Int64

    init(_ options: DownsampleOptions) {
        origin = options.alignment == .from ? options.from : 0
        step = options.step
    }

    /// The number of the bucket holding `time` (floor division, exact for any Int64).
    @inline(__always)
    func index(of time: Int64) -> Int128 {
        let offset = Int128(time) - Int128(origin)
        var index = offset / Int128(step)
        if offset % Int128(step) < 0 { index -= 1 }
        return index
    }

    /// The first millisecond of bucket `index`, clamped to the Int64 range.
    @inline(__always)
    func start(ofIndex index: Int128) -> Int64 {
        Int64(clamping: Int128(origin) + index * Int128(step))
    }

    /// The start of the bucket holding `time`.
    @inline(__always)
    func start(of time: Int64) -> Int64 { start(ofIndex: index(of: time)) }

    /// The first millisecond after the bucket holding `time`; `Int64.max` when
    /// the bucket reaches the end of time.
    func end(of time: Int64) -> Int64 { start(ofIndex: index(of: time) + 1) }

    /// The bucket's width in seconds, for rates.
    func seconds(ofIndex index: Int128) -> Double { Double(step) / 1000 }
}
