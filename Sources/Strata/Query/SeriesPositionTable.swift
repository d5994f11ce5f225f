/// Finds a series' position among ``SortedSeriesNames`` from its key: an
/// open-addressing hash table over the names' bytes, built once per call, so
/// that the series of a head can be matched to the request without a
/// `Dictionary` of `SeriesKey` (whose SipHash over two strings would cost
/// more than the rest of the lookup).
struct SeriesPositionTable {
    /// Position + 1 of the first of each run of equal keys, 0 for an empty slot.
    private var slots: [Int32]
    private let mask: Int

    /// Indexes every position of `names` but the repeats of a key.
    init(_ names: SortedSeriesNames) {
        var capacity = 16
        while capacity < 2 * names.count { capacity <<= 1 }
        let mask = capacity - 1
        self.mask = mask
        var slots = [Int32](repeating: 0, count: capacity)
        names.bytes.withUnsafeBytes { base in
            for position in 0..<names.count where !names.repeatsPrevious[position] {
                let group = Int(names.groupOf[position])
                var slot = Self.hash(names.device(group, in: base), names.metric(position, in: base)) & mask
                while slots[slot] != 0 { slot = (slot + 1) & mask }
                slots[slot] = Int32(position + 1)
            }
        }
        self.slots = slots
    }

    /// The position of `key` in `names`, nil when it was not requested.
    func position(of key: SeriesKey, in names: SortedSeriesNames, base: UnsafeRawBufferPointer) -> Int? {
        UTF8Order.withBytes(key.device) { device in
            UTF8Order.withBytes(key.metric) { metric in
                let (device, metric) = (UnsafeRawBufferPointer(device), UnsafeRawBufferPointer(metric))
                var slot = Self.hash(device, metric) & mask
                while slots[slot] != 0 {
                    let position = Int(slots[slot]) - 1
                    if DeviceDirectory.compare(names.metric(position, in: base), metric) == 0,
                       DeviceDirectory.compare(names.device(Int(names.groupOf[position]), in: base), device) == 0 {
                        return position
                    }
                    slot = (slot + 1) & mask
                }
                return nil
            }
        }
    }

    /// A multiplicative hash of both names, eight bytes at a time; the
    /// device's length separates it from the metric.
    @inline(__always)
    static func hash(_ device: UnsafeRawBufferPointer, _ metric: UnsafeRawBufferPointer) -> Int {
        var state = UInt64(truncatingIfNeeded: device.count) &* 0x9E37_79B9_7F4A_7C15
        mix(device, into: &state)
        mix(metric, into: &state)
        state ^= state >> 32
        return Int(truncatingIfNeeded: state)
    }

    @inline(__always)
    private static func mix(_ bytes: UnsafeRawBufferPointer, into state: inout UInt64) {
        var offset = 0
        while offset + 8 <= bytes.count {
            state = (state ^ bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) &* 0xFF51_AFD7_ED55_8CCD
            state ^= state >> 29
            offset += 8
        }
        var tail: UInt64 = 0
        while offset < bytes.count {
            tail = tail << 8 | UInt64(bytes[offset])
            offset += 1
        }
        state = (state ^ tail ^ UInt64(bytes.count) << 56) &* 0xC4CE_B9FE_1A85_EC53
        state ^= state >> 31
    }
}
