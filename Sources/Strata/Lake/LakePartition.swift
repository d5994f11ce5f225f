/// One partition of a lake: a device's points over one granule of time
/// (see ``LakeGranularity``), named by the granule's first day.
struct LakePartition: Hashable, Sendable, Comparable {
    let device: String
    /// Days since 1970-01-01 of the partition's first day.
    let first: Int64

    // Names compare as bytes, as the store compares them: String equality would
    // merge canonically equivalent names, which are different devices here.
    static func == (a: LakePartition, b: LakePartition) -> Bool {
        a.first == b.first && a.device.utf8.elementsEqual(b.device.utf8)
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(first)
        hasher.combine(device.utf8.count)
        for byte in device.utf8 { hasher.combine(byte) }
    }

    /// By device (UTF-8 bytes), then time.
    static func < (a: LakePartition, b: LakePartition) -> Bool {
        if UTF8Order.equal(a.device, b.device) { return a.first < b.first }
        return UTF8Order.precedes(a.device, b.device)
    }
}

/// What a partition's file holds, in two numbers: its rows and a 64-bit
/// digest of every row (metric name, type, timestamp and value bits, in the
/// file's order). A sync rewrites a partition only when they change, so a
/// compaction that reshapes chunks without changing a point writes nothing.
struct PartitionDigest: Hashable, Sendable {
    var rows: UInt64 = 0
    var hash: UInt64 = 0x243F_6A88_85A3_08D3

    /// Mixes one word in: xor, multiply by an odd constant, fold the high
    /// bits down (the finaliser step of splitmix64); each step is a
    /// bijection, so two inputs differing in one word always differ after it.
    @inline(__always)
    mutating func mix(_ word: UInt64) {
        var value = (hash ^ word) &* 0x9E37_79B9_7F4A_7C15
        value ^= value >> 29
        hash = value
    }

    /// Adds the rows `rows` of `points`, as the partition's file holds them.
    mutating func add(_ points: SeriesPoints, rows range: Range<Int>) {
        mix(UInt64(points.series.metric.utf8.count))
        for byte in points.series.metric.utf8 { mix(UInt64(byte)) }
        mix(points.type == .int64 ? 2 : 1)
        mix(UInt64(range.count))
        points.timestamps.withUnsafeBufferPointer { times in
            points.bits.withUnsafeBufferPointer { bits in
                for row in range {
                    mix(UInt64(bitPattern: times[row]))
                    mix(bits[row])
                }
            }
        }
        rows += UInt64(range.count)
    }
}
