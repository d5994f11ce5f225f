/// Many series keys sorted by device then metric (UTF-8 bytes, the order of
/// segment indexes), with their names copied once into one flat byte buffer
/// so that walks over segment directories compare bytes in place, with no
/// `String` in the loop.
///
/// Positions are places in the sorted order; `original[position]` is the
/// key's index in the caller's array. Equal keys sit side by side. Keys
/// sharing a device form a group: a device's name is stored once.
struct SortedSeriesNames {
    /// The keys as the caller gave them.
    let keys: [SeriesKey]
    /// The caller's index of the key at each position.
    private(set) var original: [Int] = []
    /// Every device name once and every metric name, back to back.
    private(set) var bytes: [UInt8] = []
    /// Per position: where its metric's name lies in `bytes`.
    private(set) var metricStart: [Int32] = []
    private(set) var metricEnd: [Int32] = []
    /// Per position: its device group.
    private(set) var groupOf: [Int32] = []
    /// Per group: its first position (`groupStart[groupCount]` ends the last group).
    private(set) var groupStart: [Int32] = []
    /// Per group: where the device's name lies in `bytes`.
    private(set) var deviceStart: [Int32] = []
    private(set) var deviceEnd: [Int32] = []

    var count: Int { keys.count }
    var groupCount: Int { deviceStart.count }

    /// Sorts `keys` (in O(n) when they come sorted, as ``Store/series()``
    /// lists them) and copies their names.
    ///
    /// - Throws: `.invalidArgument` when the names exceed the 2 GiB the
    ///   positions can address.
    init(_ keys: [SeriesKey]) throws(StrataError) {
        self.keys = keys
        var sorted = true
        for index in keys.indices.dropFirst() where keys[index] < keys[index - 1] {
            sorted = false
            break
        }
        original = Array(keys.indices)
        if !sorted { original.sort { keys[$0] < keys[$1] } }
        var total = 0
        for key in keys { total += key.device.utf8.count + key.metric.utf8.count }
        guard total < Int(Int32.max) else {
            throw StrataError(.invalidArgument, "the series names take \(total) bytes, more than one call can look up; ask in smaller lists")
        }
        bytes.reserveCapacity(total)
        metricStart.reserveCapacity(keys.count)
        metricEnd.reserveCapacity(keys.count)
        groupOf.reserveCapacity(keys.count)
        var previousDevice: String?
        for position in original.indices {
            let key = keys[original[position]]
            if previousDevice == nil || !UTF8Order.equal(previousDevice!, key.device) {
                groupStart.append(Int32(position))
                deviceStart.append(Int32(bytes.count))
                UTF8Order.withBytes(key.device) { bytes.append(contentsOf: $0) }
                deviceEnd.append(Int32(bytes.count))
                previousDevice = key.device
            }
            groupOf.append(Int32(groupStart.count - 1))
            metricStart.append(Int32(bytes.count))
            UTF8Order.withBytes(key.metric) { bytes.append(contentsOf: $0) }
            metricEnd.append(Int32(bytes.count))
        }
        groupStart.append(Int32(keys.count))
    }

    /// The positions of group `group`.
    func positions(ofGroup group: Int) -> Range<Int> {
        Int(groupStart[group])..<Int(groupStart[group + 1])
    }

    /// The device name of `group`, within `base` (the `bytes` buffer).
    @inline(__always)
    func device(_ group: Int, in base: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: base[Int(deviceStart[group])..<Int(deviceEnd[group])])
    }

    /// The metric name at `position`, within `base` (the `bytes` buffer).
    @inline(__always)
    func metric(_ position: Int, in base: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: base[Int(metricStart[position])..<Int(metricEnd[position])])
    }

    /// True when the key at `position` equals the one before it.
    func repeatsPrevious(_ position: Int) -> Bool {
        guard position > 0, groupOf[position] == groupOf[position - 1] else { return false }
        return bytes.withUnsafeBytes { base in
            DeviceDirectory.compare(metric(position, in: base), metric(position - 1, in: base)) == 0
        }
    }
}
