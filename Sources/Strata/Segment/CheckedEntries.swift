/// Which device entries of a format 6 segment have passed their checksum,
/// one bit a device, so that walks over many devices that come back (as
/// ``Store/latest(of:)`` does for a whole fleet) checksum each entry once in
/// the life of the open file rather than on every call. The file is
/// immutable and mapped read-only; the entry cache of
/// ``SegmentFile/device(named:)`` trusts an entry it checked the same way.
///
/// A walk takes a copy of the bits once, sets bits in its copy as it checks
/// entries, and merges them back once: one lock a walk, never one a device.
final class CheckedEntries: Sendable {
    private let words = Locked<[UInt64]>([])

    /// The bits as they are now, for `devices` devices.
    func snapshot(devices: Int) -> [UInt64] {
        let copy = words.withLock { $0 }
        return copy.count * 64 >= devices ? copy : copy + [UInt64](repeating: 0, count: (devices + 63) / 64 - copy.count)
    }

    /// Adds the bits set in `checked`.
    func merge(_ checked: [UInt64]) {
        words.withLock { words in
            if words.count < checked.count { words += [UInt64](repeating: 0, count: checked.count - words.count) }
            for index in checked.indices { words[index] |= checked[index] }
        }
    }
}
