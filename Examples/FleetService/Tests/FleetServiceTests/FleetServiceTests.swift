@testable import FleetServiceCore
import Foundation
import Hummingbird
import HummingbirdTesting
import Strata
import Synchronization
import Testing

/// Runs `body` against the service on a new store in a temporary directory, through
/// Hummingbird's in-process router test client (no socket).
private func withService(live: LiveAnomalies? = nil, shard: ShardAssignment? = nil,
                         _ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-test-\(UUID().uuidString)").path
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let workers = StoreWorkers(store: try Store(at: directory), threads: 4)
    let app = Application(router: FleetRoutes(workers: workers, live: live, shard: shard).router())
    do {
        try await app.test(.router, body)
    } catch {
        try? await workers.shutDown()
        throw error
    }
    try await workers.shutDown()
}

private func json(_ response: TestResponse) throws -> [String: Any] {
    let object = try JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8))
    return try #require(object as? [String: Any])
}

@Suite struct FleetServiceTests {
    @Test func writeThenQueryReturnsTheExactPoints() async throws {
        try await withService { client in
            // Values chosen to catch lossy number formatting: a shortest-digits double,
            // a subnormal, -0.0, and an integer beyond 2^53.
            let body = """
                cpu,host=edge-1 temp=0.1 1000
                cpu,host=edge-1 temp=5e-324 2000
                cpu,host=edge-1 temp=-0.0 3000
                cpu,host=edge-1 count=9007199254740993i 3000
                """
            let write = try await client.execute(uri: "/write?precision=ms", method: .post, body: ByteBuffer(string: body))
            #expect(write.status == .noContent)

            let temp = try await client.execute(uri: "/query?device=edge-1&metric=cpu.temp", method: .get)
            #expect(temp.status == .ok)
            #expect(String(buffer: temp.body) == #"{"device":"edge-1","metric":"cpu.temp","type":"float64","points":[[1000,0.1],[2000,5e-324],[3000,-0.0]]}"# + "\n")
            let points = try #require(try json(temp)["points"] as? [[NSNumber]])
            #expect(points.map { $0[1].doubleValue.bitPattern } == [0.1, Double.leastNonzeroMagnitude, -0.0].map(\.bitPattern))

            let count = try await client.execute(uri: "/query?device=edge-1&metric=cpu.count&from=3000&to=3001", method: .get)
            #expect(String(buffer: count.body) == #"{"device":"edge-1","metric":"cpu.count","type":"int64","points":[[3000,9007199254740993]]}"# + "\n")
        }
    }

    @Test func shardedInstancesEachStoreTheirOwnDevices() async throws {
        let map = try ShardMap(shardCount: 2)
        let devices = (0..<40).map { "pump-\($0)" }
        let owners = Dictionary(uniqueKeysWithValues: devices.map { ($0, map.shard(of: $0)) })
        #expect(Set(owners.values) == [0, 1], "the fleet lands on both shards")
        try await withService(shard: try ShardAssignment(map: map, index: 0)) { first in
            try await withService(shard: try ShardAssignment(map: map, index: 1)) { second in
                let clients = [first, second]
                // A body naming a device of each shard is refused whole, by either instance.
                let mine = try #require(devices.first { owners[$0] == 0 }), theirs = try #require(devices.first { owners[$0] == 1 })
                let mixed = "m,host=\(mine) v=1 1000\nm,host=\(theirs) v=2 1000\n"
                let refused = try await first.execute(uri: "/write?precision=ms", method: .post, body: ByteBuffer(string: mixed))
                #expect(refused.status == .misdirectedRequest)
                #expect(try json(refused)["device"] as? String == theirs)
                #expect(try json(refused)["shard"] as? Int == 1)
                let nothing = try await first.execute(uri: "/query?device=\(mine)&metric=m.v", method: .get)
                #expect((try json(nothing)["points"] as? [Any])?.isEmpty == true, "nothing of a refused body is stored")

                // Each device's lines routed to its owner are stored there, and only there.
                for device in devices {
                    let body = (0..<5).map { "m,host=\(device) v=\($0) \(1000 * ($0 + 1))" }.joined(separator: "\n")
                    let write = try await clients[owners[device]!].execute(uri: "/write?precision=ms", method: .post, body: ByteBuffer(string: body))
                    #expect(write.status == .noContent)
                }
                for device in devices {
                    let owner = owners[device]!
                    let answer = try await clients[owner].execute(uri: "/query?device=\(device)&metric=m.v", method: .get)
                    #expect((try json(answer)["points"] as? [Any])?.count == 5, "\(device) on its shard \(owner)")
                    let elsewhere = try await clients[1 - owner].execute(uri: "/query?device=\(device)&metric=m.v", method: .get)
                    #expect(elsewhere.status == .misdirectedRequest)
                    #expect(try json(elsewhere)["shard"] as? Int == owner)
                }
            }
        }
    }

    @Test func malformedLineIsRejectedWithLineAndColumn() async throws {
        try await withService { client in
            let body = "cpu,host=a temp=1 1000\ncpu,host=a temp=abc 2000\n"
            let response = try await client.execute(uri: "/write", method: .post, body: ByteBuffer(string: body))
            #expect(response.status == .badRequest)
            let error = try json(response)
            #expect(error["line"] as? Int == 2)
            #expect(error["column"] as? Int == 17)
            #expect((error["error"] as? String)?.isEmpty == false)
            // Nothing of a rejected body is stored.
            let query = try await client.execute(uri: "/query?device=a&metric=cpu.temp", method: .get)
            #expect((try json(query)["points"] as? [Any])?.isEmpty == true)
        }
    }

    @Test func precisionAndDeviceTagAreHonoured() async throws {
        try await withService { client in
            let body = "env,site=roof,host=ignored humidity=40i 1700000000\n"
            let write = try await client.execute(uri: "/write?precision=s&device_tag=site", method: .post, body: ByteBuffer(string: body))
            #expect(write.status == .noContent)
            let query = try await client.execute(uri: "/query?device=roof&metric=env.humidity", method: .get)
            #expect(String(buffer: query.body) == #"{"device":"roof","metric":"env.humidity","type":"int64","points":[[1700000000000,40]]}"# + "\n")

            let badPrecision = try await client.execute(uri: "/write?precision=days", method: .post, body: ByteBuffer(string: body))
            #expect(badPrecision.status == .badRequest)
        }
    }

    @Test func typeConflictWithStoredSeriesIs409() async throws {
        try await withService { client in
            let first = try await client.execute(uri: "/write", method: .post, body: ByteBuffer(string: "m,host=a v=1i 1000000000\n"))
            #expect(first.status == .noContent)
            let second = try await client.execute(uri: "/write", method: .post, body: ByteBuffer(string: "m,host=a v=1.5 2000000000\n"))
            #expect(second.status == .conflict)
            #expect(try json(second)["code"] as? String == "typeMismatch")
        }
    }

    @Test func downsampleAndAnomaliesAnswer() async throws {
        try await withService { client in
            // One point a minute for two hours, flat at 10 with a little wobble, and one spike.
            var lines = ""
            for minute in 0..<120 {
                let value = minute == 90 ? 500.0 : 10.0 + Double(minute % 3) * 0.1
                lines += "power,host=pump-3 watts=\(value) \(Int64(minute) * 60_000)\n"
            }
            let write = try await client.execute(uri: "/write?precision=ms", method: .post, body: ByteBuffer(string: lines))
            #expect(write.status == .noContent)

            let downsample = try await client.execute(
                uri: "/downsample?device=pump-3&metric=power.watts&step=1h&agg=min,max,count", method: .get)
            #expect(downsample.status == .ok)
            let buckets = try #require(try json(downsample)["buckets"] as? [[String: Any]])
            #expect(buckets.count == 2)
            #expect(buckets.map { $0["start"] as? Int } == [0, 3_600_000])
            #expect(buckets.map { $0["count"] as? Int } == [60, 60])
            #expect(buckets[1]["max"] as? Double == 500)

            // Percentiles are computed when asked for: the first hour's median is 10.1 exactly.
            let median = try await client.execute(
                uri: "/downsample?device=pump-3&metric=power.watts&step=1h&agg=p50,p100", method: .get)
            #expect(median.status == .ok)
            let ranked = try #require(try json(median)["buckets"] as? [[String: Any]])
            #expect(ranked.map { $0["p50"] as? Double } == [10.1, 10.1])
            #expect(ranked.map { $0["p100"] as? Double } == [10.2, 500])

            let anomalies = try await client.execute(
                uri: "/anomalies?device=pump-3&metric=power.watts&detector=zscore&window=30m&threshold=4", method: .get)
            #expect(anomalies.status == .ok)
            let windows = try #require(try json(anomalies)["windows"] as? [[String: Any]])
            #expect(windows.count == 1)
            #expect(windows.first?["peak_time"] as? Int == 90 * 60_000)

            let badStep = try await client.execute(uri: "/downsample?device=pump-3&metric=power.watts&step=soon", method: .get)
            #expect(badStep.status == .badRequest)
        }
    }

    /// The windows of a JSON answer, without the series names the live answer adds.
    private func windows(_ object: [String: Any], _ member: String) throws -> [[String: AnyHashable]] {
        let list = try #require(object[member] as? [[String: Any]])
        return list.map { window in
            var fields: [String: AnyHashable] = [:]
            for (key, value) in window where key != "device" && key != "metric" { fields[key] = value as? AnyHashable }
            return fields
        }
    }

    @Test func liveAnomaliesMatchTheOfflineScan() async throws {
        let lines = LogLines()
        let live = try LiveAnomalies(log: { lines.append($0) })
        try await withService(live: live) { client in
            // A reading every 10 minutes for 50 hours (the automatic detector learns a series'
            // first day), a steady repeating pattern with one spike at reading 200 (hour 33), and a
            // second field without one; sent in three writes of 100 lines.
            let spikeMinute = 200
            func line(_ minute: Int) -> String {
                let watts = minute == spikeMinute ? 95.0 : 10.0 + Double(minute % 7) * 0.1
                let amps = 2.0 + Double(minute % 5) * 0.01
                return "power,host=pump-7 watts=\(watts),amps=\(amps) \(Int64(minute) * 600_000)\n"
            }
            for part in 0..<3 {
                var body = (part * 100..<(part + 1) * 100).map(line).joined()
                // A point older than the series' last: stored (the same value again), ignored live.
                if part == 2 { body += "power,host=pump-7 watts=\(10.0 + Double(150 % 7) * 0.1) 90000000\n" }
                let write = try await client.execute(uri: "/write?precision=ms", method: .post, body: ByteBuffer(string: body))
                #expect(write.status == .noContent)
            }

            let liveAnswer = try await client.execute(uri: "/anomalies/live", method: .get)
            #expect(liveAnswer.status == .ok)
            let state = try json(liveAnswer)
            #expect(state["series_watched"] as? Int == 2)
            #expect(state["late_points_ignored"] as? Int == 1)
            #expect(state["recent_closed_limit"] as? Int == 1_000)
            #expect((state["open"] as? [Any])?.isEmpty == true)
            let closed = try #require(state["recent_closed"] as? [[String: Any]])
            let spike = try #require(closed.first { $0["kind"] as? String == "spike" })
            #expect(spike["device"] as? String == "pump-7")
            #expect(spike["metric"] as? String == "power.watts")
            #expect(spike["start"] as? Int == spikeMinute * 600_000)
            #expect(spike["peak_time"] as? Int == spikeMinute * 600_000)
            #expect(spike["peak"] as? Double == 95)
            let score = try #require(spike["score"] as? Double)
            #expect(score > 0.5 && score <= 1)

            // The offline scan of the same series, by the default (automatic) detector.
            let offline = try await client.execute(uri: "/anomalies?device=pump-7&metric=power.watts", method: .get)
            #expect(offline.status == .ok)
            let scanned = try json(offline)
            #expect(scanned["detector"] as? String == "automatic")
            let watts = closed.filter { $0["metric"] as? String == "power.watts" }
            #expect(try windows(["w": watts], "w") == windows(scanned, "windows"))
            #expect(try windows(scanned, "windows").count >= 1)

            // The other series: no window live, none offline.
            let amps = try await client.execute(uri: "/anomalies?device=pump-7&metric=power.amps", method: .get)
            #expect(try windows(json(amps), "windows").isEmpty)
            #expect(!closed.contains { $0["metric"] as? String == "power.amps" })
        }
        let logged = lines.all
        #expect(logged.contains { $0.hasPrefix("anomaly opened: device pump-7 metric power.watts start 1970-01-02T09:20:00Z kind spike score ") })
        #expect(logged.contains { $0.hasPrefix("anomaly closed: device pump-7 metric power.watts start 1970-01-02T09:20:00Z kind spike") })
    }

    @Test func liveAnomaliesAnswer404WhenOff() async throws {
        try await withService { client in
            let response = try await client.execute(uri: "/anomalies/live", method: .get)
            #expect(response.status == .notFound)
            let automaticWithThreshold = try await client.execute(uri: "/anomalies?device=a&metric=b&threshold=3", method: .get)
            #expect(automaticWithThreshold.status == .badRequest)
        }
    }

    @Test func healthAnswers() async throws {
        try await withService { client in
            let response = try await client.execute(uri: "/health", method: .get)
            #expect(response.status == .ok)
        }
    }
}

/// Log lines collected from the service, from any thread.
private final class LogLines: Sendable {
    private let lines = Mutex<[String]>([])
    func append(_ line: String) { lines.withLock { $0.append(line) } }
    var all: [String] { lines.withLock { $0 } }
}
