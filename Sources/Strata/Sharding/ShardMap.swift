/// Which of a fixed number of shards each device belongs to, for a fleet split
/// across service instances that each embed a store (see <doc:ScalingOut>).
///
/// The shard of a device is the 64-bit FNV-1a hash of its name's UTF-8 bytes
/// modulo the number of shards: the same in every process, on every machine and
/// in every version (unlike Swift's `hashValue`, which is seeded per process), so
/// every writer and every reader of a device agrees on its shard without asking
/// anyone. FNV-1a is Fowler, Noll and Vo's hash (IETF draft
/// `draft-eastlake-fnv`); it is not meant to resist a chosen-name attack, only
/// to spread ordinary names evenly.
///
/// Changing the number of shards moves most devices; move their points first
/// (see <doc:ScalingOut>).
public struct ShardMap: Sendable, Hashable {
    /// The number of shards, at least 1.
    public let shardCount: Int

    /// A map onto `shardCount` shards.
    ///
    /// - Throws: `.invalidArgument` unless `shardCount` is at least 1.
    public init(shardCount: Int) throws(StrataError) {
        guard shardCount >= 1 else {
            throw StrataError(.invalidArgument, "a shard map needs at least one shard, not \(shardCount)")
        }
        self.shardCount = shardCount
    }

    /// The shard of `device`, in `0..<shardCount`.
    public func shard(of device: String) -> Int {
        Int(Self.fnv1a(device.utf8) % UInt64(shardCount))
    }

    /// Whether `device` belongs to shard `shard`.
    public func owns(_ shard: Int, device: String) -> Bool {
        self.shard(of: device) == shard
    }

    /// `batch`'s rows split by their device's shard: element `s` holds, in their
    /// order, the rows of the devices of shard `s` (an empty batch when there are
    /// none), for a router that forwards each part to its owner.
    ///
    /// - Throws: `.invalidArgument` for a batch holding rows appended by
    ///   ``SeriesReference``: a reference belongs to one store, and says nothing
    ///   about its device here.
    public func split(_ batch: WriteBatch) throws(StrataError) -> [WriteBatch] {
        guard batch.referencedRowCount == 0 else {
            throw StrataError(.invalidArgument, "a batch is split by its series' names; it holds rows appended by reference, which belong to one store")
        }
        let keys = batch.seriesKeys
        var parts = [WriteBatch](repeating: WriteBatch(), count: shardCount)
        // Each series' number in its shard's batch, registered in the order of first use.
        var numbers = [Int](repeating: -1, count: keys.count)
        let shards = keys.map { shard(of: $0.device) }
        for row in 0..<batch.count {
            let series = Int(batch.seriesOfRow[row])
            let shard = shards[series]
            if numbers[series] < 0 {
                numbers[series] = try parts[shard].series(device: keys[series].device, metric: keys[series].metric, type: batch.types[series])
            }
            parts[shard].append(series: numbers[series], timestamp: batch.timestamps[row], bits: batch.bits[row])
        }
        return parts
    }

    /// The 64-bit FNV-1a hash of `bytes`: from the offset basis, each byte XORed
    /// in and the result multiplied by the FNV prime, wrapping.
    public static func fnv1a(_ bytes: some Sequence<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        return hash
    }
}
