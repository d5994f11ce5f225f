import Testing
@testable import Strata
import StrataTestSupport

/// `ShardMap` must agree with the published FNV-1a values, put every device on
/// exactly one shard whatever process asks, and spread a fleet evenly.
@Suite("Shard map")
struct ShardMapTests {
    @Test("FNV-1a gives the reference values of the FNV test suite")
    func referenceHashes() {
        // From the FNV authors' test vectors (64-bit FNV-1a).
        #expect(ShardMap.fnv1a("".utf8) == 0xCBF2_9CE4_8422_2325)
        #expect(ShardMap.fnv1a("a".utf8) == 0xAF63_DC4C_8601_EC8C)
        #expect(ShardMap.fnv1a("foobar".utf8) == 0x8594_4171_F739_67E8)
    }

    @Test("Splitting a fleet puts every device on exactly one shard, the same each time, evenly")
    func splitsAFleet() throws {
        var random = SeededGenerator(seed: 77)
        // Names as fleets write them, plus odd ones: empty, non-ASCII, long, near-duplicates.
        var devices = (0..<10_000).map { "pump-\(String($0, radix: 10))" }
        devices += ["", "é", "pump-0001 ", "PUMP-0001", String(repeating: "x", count: 5_000), "🌡️-sensor", "a\u{0}b"]
        devices += (0..<2_000).map { _ in String((0..<(1 + Int(random.next() % 20))).map { _ in Character(Unicode.Scalar(UInt8(32 + random.next() % 95))) }) }
        for shards in [1, 2, 3, 7, 64] {
            let map = try ShardMap(shardCount: shards)
            var members = [[String]](repeating: [], count: shards)
            for device in devices {
                let shard = map.shard(of: device)
                #expect((0..<shards).contains(shard))
                #expect(map.shard(of: device) == shard, "the same device asked twice")
                #expect((0..<shards).filter { map.owns($0, device: device) } == [shard], "\(device) owned by exactly one shard")
                members[shard].append(device)
            }
            #expect(members.reduce(0) { $0 + $1.count } == devices.count)
            #expect(Set(members.joined()).count == Set(devices).count)
            // An even spread: the 10,000 regular names within 15% of the mean on each shard.
            let regular = (0..<10_000).map { "pump-\($0)" }
            var counts = [Int](repeating: 0, count: shards)
            for device in regular { counts[map.shard(of: device)] += 1 }
            let mean = Double(regular.count) / Double(shards)
            for count in counts where shards <= 7 { #expect(abs(Double(count) - mean) <= 0.15 * mean, "\(counts)") }
        }
    }

    @Test("Splitting a batch keeps every row, in order, on its device's shard", arguments: [1, 2, 5])
    func splitsABatch(shards: Int) throws {
        var random = SeededGenerator(seed: 78 + UInt64(shards))
        let map = try ShardMap(shardCount: shards)
        var batch = WriteBatch()
        var expected = [[(SeriesKey, Int64, UInt64)]](repeating: [], count: shards)
        for _ in 0..<5_000 {
            let key = SeriesKey(device: "meter-\(random.next() % 40)", metric: random.next() % 2 == 0 ? "power" : "count")
            let time = Int64(bitPattern: random.next())
            if key.metric == "power" {
                let value = Double(bitPattern: random.next())
                try batch.append(device: key.device, metric: key.metric, timestamp: time, value: value)
                expected[map.shard(of: key.device)].append((key, time, value.bitPattern))
            } else {
                let value = Int64(bitPattern: random.next())
                try batch.append(device: key.device, metric: key.metric, timestamp: time, value: value)
                expected[map.shard(of: key.device)].append((key, time, UInt64(bitPattern: value)))
            }
        }
        let parts = try map.split(batch)
        #expect(parts.count == shards)
        #expect(parts.reduce(0) { $0 + $1.count } == batch.count)
        for (shard, part) in parts.enumerated() {
            #expect(part.seriesKeys.allSatisfy { map.shard(of: $0.device) == shard })
            let rows = (0..<part.count).map { row in
                (part.seriesKeys[Int(part.seriesOfRow[row])], part.timestamps[row], part.bits[row])
            }
            #expect(rows.count == expected[shard].count)
            #expect(zip(rows, expected[shard]).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 && $0.2 == $1.2 }, "shard \(shard): rows, in order, bit for bit")
        }
    }

    @Test("A map needs at least one shard")
    func refusesNoShards() {
        #expect(throws: StrataError.self) { try ShardMap(shardCount: 0) }
        #expect(throws: StrataError.self) { try ShardMap(shardCount: -3) }
    }
}
