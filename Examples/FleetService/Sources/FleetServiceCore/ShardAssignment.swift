import Hummingbird
import Strata

/// This instance's place in a sharded fleet: it stores the devices that
/// `map` puts on shard `index`, and answers a request about any other device
/// with 421 Misdirected Request, naming the shard that owns it.
public struct ShardAssignment: Sendable {
    /// How devices are spread over the instances.
    public let map: ShardMap
    /// This instance's shard, in `0..<map.shardCount`.
    public let index: Int

    /// Shard `index` of `map`.
    ///
    /// - Throws: `.invalidArgument` when `index` is not a shard of `map`.
    public init(map: ShardMap, index: Int) throws(StrataError) {
        guard (0..<map.shardCount).contains(index) else {
            throw StrataError(.invalidArgument, "shard \(index) is not one of the \(map.shardCount) shards (0…\(map.shardCount - 1))")
        }
        self.map = map
        self.index = index
    }

    /// Whether this instance stores `device`.
    public func owns(_ device: String) -> Bool {
        map.owns(index, device: device)
    }

    /// The answer to a request about `device`, which another shard owns: 421, its owner named.
    func misdirected(_ device: String) -> APIError {
        let owner = map.shard(of: device)
        var name = JSONText()
        name.string(device)
        return APIError(.misdirectedRequest,
                        "device \(device) belongs to shard \(owner) of \(map.shardCount); this instance stores shard \(index); nothing was stored or read",
                        details: [(key: "device", json: name.text), (key: "shard", json: String(owner))])
    }
}
