/// Many series keys sorted by device then metric (UTF-8 bytes, the order of
/// segment indexes), with their names copied once into one flat byte buffer
/// so that sorting, and walks over segment directories, compare bytes in
/// place, with no `String` in the loop.
///
/// Positions are places in the sorted order; `original[position]` is the
/// key's index in the caller's array. Equal keys sit side by side. Keys
/// sharing a device form a group.
struct SortedSeriesNames {
    /// The keys as the caller gave them.
    let keys: [SeriesKey]
    /// The caller's index of the key at each position.
    private(set) var original: [Int32] = []
    /// Every key's device and metric names, back to back, in the caller's order.
    private(set) var bytes: [UInt8] = []
    /// Per key (the caller's index): where its device's name begins, where
    /// the metric's begins (the device's end), and where the metric's ends.
    private var nameStart: [Int32] = [], nameSplit: [Int32] = [], nameEnd: [Int32] = []
    /// Per position: its device group.
    private(set) var groupOf: [Int32] = []
    /// Per group: its first position (`groupStart[groupCount]` ends the last group).
    private(set) var groupStart: [Int32] = []
    /// Per position: true when its key equals the one before.
    private(set) var repeatsPrevious: [Bool] = []

    var count: Int { keys.count }
    var groupCount: Int { groupStart.count - 1 }

    /// Copies the names of `keys` and sorts them (in O(n) when they come
    /// sorted, as ``Store/series()`` lists them).
    ///
    /// - Throws: `.invalidArgument` when the names exceed the 2 GiB the
    ///   offsets can address.
    init(_ keys: [SeriesKey]) throws(StrataError) {
        self.keys = keys
        var total = 0
        for key in keys { total += key.device.utf8.count + key.metric.utf8.count }
        guard total < Int(Int32.max), keys.count < Int(Int32.max) else {
            throw StrataError(.invalidArgument, "the series names take \(total) bytes, more than one call can look up; ask in smaller lists")
        }
        // One copy of every name into a buffer sized up front: no growth check per name.
        var starts = [Int32](), splits = [Int32](), ends = [Int32]()
        starts.reserveCapacity(keys.count)
        splits.reserveCapacity(keys.count)
        ends.reserveCapacity(keys.count)
        bytes = [UInt8](unsafeUninitializedCapacity: total) { buffer, initialized in
            var at = 0
            func copy(_ name: String) {
                UTF8Order.withBytes(name) { source in
                    guard let from = source.baseAddress, source.count > 0, source.count <= total - at else { return }
                    (buffer.baseAddress! + at).initialize(from: from, count: source.count)
                    at += source.count
                }
            }
            for key in keys {
                starts.append(Int32(truncatingIfNeeded: at))
                copy(key.device)
                splits.append(Int32(truncatingIfNeeded: at))
                copy(key.metric)
                ends.append(Int32(truncatingIfNeeded: at))
            }
            initialized = at
        }
        nameStart = starts
        nameSplit = splits
        nameEnd = ends
        var order = [Int32](unsafeUninitializedCapacity: keys.count) { buffer, initialized in
            for index in 0..<buffer.count { buffer[index] = Int32(truncatingIfNeeded: index) }
            initialized = buffer.count
        }
        let names = self
        bytes.withUnsafeBytes { base in
            var sorted = true
            for index in order.indices.dropFirst() where names.compare(order[index - 1], order[index], in: base) > 0 {
                sorted = false
                break
            }
            if !sorted { order.sort { names.compare($0, $1, in: base) < 0 } }
        }
        original = order
        formGroups()
    }

    /// Groups the sorted positions by device and marks repeated keys.
    private mutating func formGroups() {
        groupOf.reserveCapacity(count)
        repeatsPrevious.reserveCapacity(count)
        let names = self
        var groupOf = self.groupOf, groupStart = self.groupStart, repeatsPrevious = self.repeatsPrevious
        bytes.withUnsafeBytes { base in
            for position in 0..<names.count {
                var repeats = false
                if position > 0 {
                    let (before, key) = (Int(names.original[position - 1]), Int(names.original[position]))
                    if DeviceDirectory.compare(names.device(ofKey: before, in: base), names.device(ofKey: key, in: base)) == 0 {
                        repeats = DeviceDirectory.compare(names.metric(ofKey: before, in: base), names.metric(ofKey: key, in: base)) == 0
                    } else {
                        groupStart.append(Int32(position))
                    }
                } else {
                    groupStart.append(0)
                }
                groupOf.append(Int32(groupStart.count - 1))
                repeatsPrevious.append(repeats)
            }
        }
        groupStart.append(Int32(count))
        self.groupOf = groupOf
        self.groupStart = groupStart
        self.repeatsPrevious = repeatsPrevious
    }

    /// Orders the keys at caller's indexes `a` and `b` by device, then metric.
    private func compare(_ a: Int32, _ b: Int32, in base: UnsafeRawBufferPointer) -> Int {
        let devices = DeviceDirectory.compare(device(ofKey: Int(a), in: base), device(ofKey: Int(b), in: base))
        return devices != 0 ? devices : DeviceDirectory.compare(metric(ofKey: Int(a), in: base), metric(ofKey: Int(b), in: base))
    }

    @inline(__always)
    private func device(ofKey key: Int, in base: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: base[Int(nameStart[key])..<Int(nameSplit[key])])
    }

    @inline(__always)
    private func metric(ofKey key: Int, in base: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: base[Int(nameSplit[key])..<Int(nameEnd[key])])
    }

    /// The key at `position`.
    func key(at position: Int) -> SeriesKey { keys[Int(original[position])] }

    /// The positions of group `group`.
    func positions(ofGroup group: Int) -> Range<Int> {
        Int(groupStart[group])..<Int(groupStart[group + 1])
    }

    /// The device name of `group`.
    func deviceName(ofGroup group: Int) -> String { key(at: Int(groupStart[group])).device }

    /// The device name of `group`, within `base` (the `bytes` buffer).
    @inline(__always)
    func device(_ group: Int, in base: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        device(ofKey: Int(original[Int(groupStart[group])]), in: base)
    }

    /// The metric name at `position`, within `base` (the `bytes` buffer).
    @inline(__always)
    func metric(_ position: Int, in base: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        metric(ofKey: Int(original[position]), in: base)
    }
}
