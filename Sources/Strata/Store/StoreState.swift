/// What a store's lock protects.
struct StoreState: Sendable {
    var head = Head()
    /// Heads being written into segments, oldest first; queries still read them.
    var flushing: [Head] = []
    /// The last head flushed, kept to be emptied and reused by the next one.
    var spareHead: Head?
    /// Rows a head is expected to reach before it is flushed (the flush threshold and a margin).
    var headRowsExpected = 0
    /// Published segments, lowest rank first.
    var segments: [SegmentFile]
    /// Numbers of the series appended or referenced since the store opened.
    var registry = SeriesRegistry()
    /// The manifest as last written (or read, for a read-only store).
    var manifest: Manifest
    /// The next sequence number for a segment or a deletion.
    var nextSequence: UInt64
    var isClosed = false
    /// When the head received its first point (monotonic milliseconds), for the age limit.
    var headStartedAt: Int64?
    /// See ``Store/backgroundError``.
    var backgroundError: StrataError?

    init(segments: [SegmentFile], manifest: Manifest) {
        self.segments = segments
        self.manifest = manifest
        nextSequence = manifest.nextSequence
    }

    /// The value type of `key`'s points, or nil when no point of it is visible:
    /// the heads' type if they hold points of it, else the type in the
    /// highest-ranked segment holding it, unless a deletion over all time
    /// ranks above that segment. Looks the series up in each segment's index
    /// rather than keeping a table of every series, so opening a store of
    /// millions of series reads none of them.
    func knownType(of key: SeriesKey) -> ValueType? {
        if let number = registry.number(of: key),
           head.slot(ofNumber: number) != nil || flushing.contains(where: { $0.slot(ofNumber: number) != nil }) {
            return registry.types[Int(number)]
        }
        return StoreLayout.storedType(of: key, in: segments, tombstones: manifest.tombstones)
    }

    /// The smallest and largest timestamps of the heads, or nil when they are empty.
    var unflushedTimes: ClosedRange<Int64>? {
        var minimum = head.minimumTime, maximum = head.maximumTime
        for frozen in flushing {
            minimum = min(minimum, frozen.minimumTime)
            maximum = max(maximum, frozen.maximumTime)
        }
        return minimum <= maximum ? minimum...maximum : nil
    }

    /// The series held in the heads, with their types.
    func headSeries() -> [(SeriesKey, ValueType)] {
        var found: [(SeriesKey, ValueType)] = []
        for head in flushing + [head] {
            for slot in 0..<head.seriesCount { found.append((head.slotKeys[slot], head.slotTypes[slot])) }
        }
        return found
    }

    /// Whether `key` is numbered with `type` already: then its type was checked.
    private func isNumbered(_ key: SeriesKey, as type: ValueType) -> Bool {
        guard let number = registry.number(of: key) else { return false }
        return registry.types[Int(number)] == type
    }

    /// The first series of `batch` whose type differs from the one the store knows.
    func typeConflict(in batch: WriteBatch) -> StrataError? {
        for (index, key) in batch.keys.enumerated() where !isNumbered(key, as: batch.types[index]) {
            if let known = knownType(of: key), known != batch.types[index] {
                return StrataError(.typeMismatch, "series \(key) holds \(known) values; the batch has \(batch.types[index])")
            }
        }
        if let retired = registry.firstRetired(in: batch) {
            return StrataError(.typeMismatch, "series \(registry.keys[Int(retired)]) was deleted and registered again with the other type; make a new reference")
        }
        return nil
    }

    /// The unflushed points of `key`: in heads being flushed (oldest first), then in the head.
    func headSnapshots(of key: SeriesKey) -> [HeadSeries] {
        guard let number = registry.number(of: key) else { return [] }
        return (flushing + [head]).compactMap { $0.snapshot(ofNumber: number) }
    }

    /// The number of series `key` holding `type` values, registered when new.
    ///
    /// A series' type is the one its points have. A number registered with the
    /// other type whose series has no point left (never appended, or deleted
    /// over all time) is retired, and the key gets a new number.
    mutating func number(_ key: SeriesKey, type: ValueType) throws(StrataError) -> UInt32 {
        if let number = registry.number(of: key), registry.types[Int(number)] == type { return number }
        if let known = knownType(of: key), known != type {
            throw StrataError(.typeMismatch, "series \(key) holds \(known) values; got \(type)")
        }
        return try numberChecked(key, type: type)
    }

    /// ``number(_:type:)`` for a key whose type was checked against the store's.
    private mutating func numberChecked(_ key: SeriesKey, type: ValueType) throws(StrataError) -> UInt32 {
        if let number = registry.number(of: key) {
            if registry.types[Int(number)] == type { return number }
            registry.retire(number)
        }
        return try registry.add(key, type: type)
    }

    /// The numbers of the series `batch` names (by its slots), checking every
    /// type before registering anything new.
    mutating func number(_ batch: WriteBatch) throws(StrataError) -> [UInt32] {
        if let conflict = typeConflict(in: batch) { throw conflict }
        var numbers: [UInt32] = []
        numbers.reserveCapacity(batch.keys.count)
        // typeConflict checked every type already: register without looking the series up again.
        for (index, key) in batch.keys.enumerated() {
            numbers.append(try numberChecked(key, type: batch.types[index]))
        }
        return numbers
    }

    /// Adds the rows of `batch`, whose series are `numbers` row by row, to the
    /// head (types already checked).
    mutating func apply(numbers: [UInt32], of batch: WriteBatch) {
        if head.isEmpty {
            headStartedAt = monotonicMilliseconds()
            // Room for a whole head at once: growing by doubling would copy it several times.
            head.reserve(rows: max(numbers.count, headRowsExpected))
        }
        let keys = registry.keys
        let types = registry.types
        numbers.withUnsafeBufferPointer { numbers in
            batch.timestamps.withUnsafeBufferPointer { times in
                batch.bits.withUnsafeBufferPointer { bits in
                    head.append(numbers: numbers, timestamps: times, bits: bits, keys: keys, types: types)
                }
            }
        }
    }
}
