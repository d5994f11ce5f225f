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

    /// The 64-bit FNV-1a hash of `bytes`: from the offset basis, each byte XORed
    /// in and the result multiplied by the FNV prime, wrapping.
    public static func fnv1a(_ bytes: some Sequence<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        return hash
    }
}
