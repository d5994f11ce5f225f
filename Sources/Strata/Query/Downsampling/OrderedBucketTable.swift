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
    private(set) var filled: [Bucket] = []
    private var open: [OrderedBucket] = []
    /// The bucket index of each open bucket; in a fixed window, where each index is in `open`.
    private var openIndices: [Int128] = []
    private var positions: [Int128: Int] = [:]
    /// A fixed window's bucket indices.
    private var window: ClosedRange<Int128> = 0...0
    /// Whether the window moves with the points (one series) or is fixed (a slab).
    private var moves = true
    /// The bucket the last point went to: its position in `open` and its time span.
    private var current = -1
    private var currentStart = Int64.max
    private var currentEnd = Int64.min
    private var tracker: CounterTracker
    /// Set while an Int64 series feeds a Float64 group.
    private var convertsIntegers = false

    init(options: DownsampleOptions, type: ValueType) {
        grid = options.grid
        self.type = type
        levels = options.percentileLevels
        counts = options.aggregates.contains { $0 == .increase || $0 == .rate }
        tracker = CounterTracker(type: type)
    }

    /// Starts feeding the points of a series of type `seriesType`, with
    /// `tracker` holding its previous point (from the slab before).
    mutating func beginSeries(_ seriesType: ValueType, tracker: CounterTracker) {
        convertsIntegers = seriesType == .int64 && type == .float64
        self.tracker = tracker
    }

    /// The current series' counter state, to carry into the next slab.
    var seriesTracker: CounterTracker { tracker }

    /// Opens the fixed window of buckets `first ... last`; every point added
    /// until ``finishWindow()`` must fall in it. Buckets are made as points
    /// reach them, so a wide window over sparse data costs nothing.
    mutating func beginWindow(first: Int128, last: Int128) {
        moves = false
        window = first...last
        current = -1
        currentStart = .max
        currentEnd = .min
    }

    @inline(__always)
    mutating func consume(time: Int64, bits: UInt64) {
        let bits = convertsIntegers ? BucketAccumulator.floatBits(ofInteger: bits) : bits
        if !(time >= currentStart && time < currentEnd) { locate(time) }
        let rise: CounterRise = counts ? tracker.rise(bits: bits) : .none
        open[current].add(time: time, bits: bits, keepsValue: !levels.isEmpty, rise: rise)
    }

    /// Points `current` at the bucket of `time`: in a one-series window,
    /// finishing the bucket before; in a fixed window, making it if new.
    private mutating func locate(_ time: Int64) {
        let index = grid.index(of: time)
        if moves {
            if open.isEmpty {
                open = [OrderedBucket(type: type)]
                openIndices = [index]
            } else if index != openIndices[0] {
                finishBucket(0)
                openIndices[0] = index
            }
            current = 0
        } else {
            // The slab's scan range keeps points inside the window.
            precondition(window.contains(index), "a point outside the slab")
            if let position = positions[index] {
                current = position
            } else {
                current = open.count
                positions[index] = current
                open.append(OrderedBucket(type: type))
                openIndices.append(index)
            }
        }
        currentStart = grid.start(ofIndex: index)
        currentEnd = grid.start(ofIndex: index + 1)
        // The bucket straddling Int64.min starts before its clamped start.
        if index == grid.index(of: .min) { currentStart = .min }
    }

    /// Appends open bucket `position` to ``filled`` if it holds points, and empties it.
    private mutating func finishBucket(_ position: Int) {
        guard open[position].accumulator.count > 0 else { return }
        let index = openIndices[position]
        filled.append(open[position].bucket(start: grid.start(ofIndex: index), levels: levels, counts: counts,
                                            seconds: grid.seconds(ofIndex: index)))
        open[position].reset()
    }

    /// The points in the open buckets.
    var openPointCount: Int { open.reduce(0) { $0 + $1.accumulator.count } }

    /// Finishes the open buckets that hold points, in time order, and closes a fixed window.
    mutating func finishWindow() {
        for position in open.indices.sorted(by: { openIndices[$0] < openIndices[$1] }) { finishBucket(position) }
        if !moves {
            open = []
            openIndices = []
            positions = [:]
        }
        current = -1
        currentStart = .max
        currentEnd = .min
    }

    /// The finished buckets; the table is left empty.
    mutating func takeBuckets() -> [Bucket] {
        if moves { finishWindow() }
        defer { filled = [] }
        return filled
    }
}
