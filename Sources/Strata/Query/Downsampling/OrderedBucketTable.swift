/// Buckets filled by points in time order: the path of queries that ask for
/// percentiles or counters, which chunk statistics cannot answer.
///
/// Buckets are open over a window of consecutive bucket indices. For one
/// series the window is one bucket that moves forward with the points, so a
/// finished bucket's values are dropped as soon as the next bucket begins.
/// For a group of series (``beginWindow(first:count:)``) the window spans a
/// slab of buckets that every series of the group is streamed into in turn.
/// Either way, memory holds the open window's values, never the range's.
struct OrderedBucketTable: PointConsumer {
    let grid: BucketGrid
    /// The table's type: a group mixing Int64 and Float64 series is Float64.
    let type: ValueType
    let levels: [Double]
    let counts: Bool
    /// Finished buckets with points, in time order.
    private(set) var filled: FinishedBuckets
    /// The bucket the last point went to, its index on the grid and its time span.
    private var active: OrderedBucket
    private var activeIndex: Int128 = 0
    private var hasActive = false
    private var activeStart = Int64.max
    private var activeEnd = Int64.min
    /// A fixed window's other buckets, by index (the active one is out while active).
    private var parked: [Int128: OrderedBucket] = [:]
    /// Whether the window moves with the points (one series) or is fixed (a slab).
    private var moves = true
    /// A fixed window's bucket indices.
    private var window: ClosedRange<Int128> = 0...0
    private var tracker: CounterTracker
    /// Set while an Int64 series feeds a Float64 group.
    private var convertsIntegers = false
    /// The index of the bucket holding `Int64.min`, worked out once.
    private let indexOfMinimum: Int128

    init(options: DownsampleOptions, type: ValueType) {
        grid = options.grid
        self.type = type
        levels = options.percentileLevels
        counts = options.aggregates.contains { $0 == .increase || $0 == .rate }
        tracker = CounterTracker(type: type)
        active = OrderedBucket(type: type)
        indexOfMinimum = grid.index(of: .min)
        filled = FinishedBuckets(levels: levels, counts: counts)
    }

    /// Starts feeding the points of a series of type `seriesType`, with
    /// `tracker` holding its previous point (from the slab before).
    mutating func beginSeries(_ seriesType: ValueType, tracker: CounterTracker) {
        convertsIntegers = seriesType == .int64 && type == .float64
        self.tracker = tracker
    }

    /// The most finished buckets ``reserveBuckets(_:)`` makes room for ahead.
    static let maximumReservedBuckets = 1 << 16

    /// Makes room for `count` finished buckets (at most ``maximumReservedBuckets``).
    mutating func reserveBuckets(_ count: Int) {
        filled.reserve(min(count, Self.maximumReservedBuckets))
    }

    /// The current series' counter state, to carry into the next slab.
    var seriesTracker: CounterTracker { tracker }

    /// Opens the fixed window of buckets `first ... last`; every point added
    /// until ``finishWindow()`` must fall in it. Buckets are made as points
    /// reach them, so a wide window over sparse data costs nothing.
    mutating func beginWindow(first: Int128, last: Int128) {
        moves = false
        window = first...last
    }

    @inline(__always)
    mutating func consume(time: Int64, bits: UInt64) {
        let bits = convertsIntegers ? BucketAccumulator.floatBits(ofInteger: bits) : bits
        if !(time >= activeStart && time < activeEnd) { activate(time) }
        let rise: CounterRise = counts ? tracker.rise(bits: bits) : .none
        active.add(time: time, bits: bits, keepsValue: !levels.isEmpty, rise: rise)
    }

    /// Points in time order, a bucket's run at a time: without counters or a
    /// conversion, a run's times and values go in with one call each.
    mutating func consume(times: UnsafeBufferPointer<Int64>, bits: UnsafeBufferPointer<UInt64>) {
        guard !counts && !convertsIntegers else {
            for position in times.indices { consume(time: times[position], bits: bits[position]) }
            return
        }
        var position = 0
        while position < times.count {
            if !(times[position] >= activeStart && times[position] < activeEnd) { activate(times[position]) }
            var end = position + 1
            while end < times.count && times[end] >= activeStart && times[end] < activeEnd { end += 1 }
            active.add(times: UnsafeBufferPointer(rebasing: times[position..<end]), bits: UnsafeBufferPointer(rebasing: bits[position..<end]),
                       keepsValues: !levels.isEmpty)
            position = end
        }
    }

    /// Makes the bucket of `time` the active one: in a one-series window the
    /// active bucket is finished first; in a fixed window it is parked.
    private mutating func activate(_ time: Int64) {
        let index = grid.index(of: time)
        if hasActive {
            if moves {
                finishActive()
            } else {
                parked[activeIndex] = active
                active = parked.removeValue(forKey: index) ?? OrderedBucket(type: type)
            }
        } else if !moves {
            active = parked.removeValue(forKey: index) ?? OrderedBucket(type: type)
        }
        // The slab's scan range keeps points inside the window.
        precondition(moves || window.contains(index), "a point outside the slab")
        hasActive = true
        activeIndex = index
        activeStart = grid.start(ofIndex: index)
        activeEnd = grid.start(ofIndex: index + 1)
        // The bucket straddling Int64.min starts before its clamped start.
        if index == indexOfMinimum { activeStart = .min }
    }

    /// Appends the active bucket to ``filled`` if it holds points, and empties it (keeping its storage).
    private mutating func finishActive() {
        guard active.accumulator.count > 0 else { return }
        active.finish(start: grid.start(ofIndex: activeIndex), seconds: grid.seconds(ofIndex: activeIndex), into: &filled)
        active.reset()
    }

    /// The points in the window's buckets.
    var openPointCount: Int { parked.values.reduce(hasActive ? active.accumulator.count : 0) { $0 + $1.accumulator.count } }

    /// Finishes the window's buckets that hold points, in time order, and closes it.
    mutating func finishWindow() {
        if hasActive && !moves { parked[activeIndex] = active }
        if !moves {
            for index in parked.keys.sorted() {
                activeIndex = index
                active = parked[index]!
                finishActive()
            }
            parked = [:]
            active = OrderedBucket(type: type)
        } else if hasActive {
            finishActive()
        }
        hasActive = false
        activeStart = .max
        activeEnd = .min
    }

    /// The finished buckets; the table is left empty.
    mutating func takeBuckets() -> FinishedBuckets {
        if moves { finishWindow() }
        defer { filled = FinishedBuckets(levels: levels, counts: counts) }
        return filled
    }
}
