import Testing
import Foundation
@testable import Strata
import StrataTestSupport

@Suite("strata bench fleet, run small as a built binary")
struct BenchFleetCommandTests {
    @Test("--json reports every point it appended, a compact store, and the query latencies")
    func smallFleet() throws {
        let directory = TemporaryDirectory()
        let store = directory.appending("fleet")
        let (devices, metrics, steps) = (50, 3, 36)  // every 10 minutes for 6 hours
        let run = try CommandRunner.run([
            "bench", "fleet", "--store", store, "--devices", "\(devices)", "--metrics", "\(metrics)",
            "--interval", "10m", "--duration", "6h", "--batch", "500", "--samples", "20", "--json",
        ])
        #expect(run.status == 0, "\(run.standardError)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(run.standardOutput.utf8)) as? [String: Any])

        // Gaps (devices offline) are the only readings never produced, so the count is predictable.
        let points = try #require(report["points"] as? Int)
        let gapPoints = try #require(report["gap_points"] as? Int)
        #expect(report["steps"] as? Int == steps)
        #expect(points + gapPoints == devices * metrics * steps)
        #expect(points > 0)

        // The store holds exactly what the benchmark says it appended.
        let reader = try Store(at: store, mode: .readOnly)
        var stored = 0
        for (key, _) in reader.series() { stored += try reader.query(device: key.device, metric: key.metric).count }
        #expect(reader.series().count == devices * metrics)
        try reader.close()
        #expect(stored == points)

        let bytesPerPoint = try #require(report["bytes_per_point_compacted"] as? Double)
        #expect(bytesPerPoint > 0 && bytesPerPoint < 16)
        #expect((report["bytes_compacted"] as? Int ?? 0) > 0)
        #expect((report["peak_memory_kib"] as? Int ?? 0) > 0)
        #expect((report["points_per_second"] as? Double ?? 0) > 0)
        #expect(report["open_seconds"] is Double)
        // Files: at least one segment after the flush, and compaction leaves no more than the flush did.
        let flushedSegments = try #require(report["segments_flushed"] as? Int)
        let compactedSegments = try #require(report["segments_compacted"] as? Int)
        #expect(flushedSegments >= 1 && compactedSegments >= 1 && compactedSegments <= flushedSegments)
        #expect(report["compaction"] as? String == "background")
        #expect((report["references_resident_kib"] as? Int).map { $0 >= 0 } == true)

        // Store.latest over the whole fleet: every series has a point; the live run was checked against query.
        for name in ["latest_values", "latest_live"] {
            let latency = try #require(report[name] as? [String: Any], "\(name) is missing")
            #expect(latency["points_per_pick"] as? Double == Double(devices * metrics), "\(name)")
        }
        #expect(report["latest_missing"] as? Int == 0)
        #expect(report["latest_live_missing"] as? Int == 0)
        #expect(report["latest_checked"] as? Int == devices * metrics)
        #expect((report["latest_live_head_points"] as? Int ?? 0) > 0)

        for name in ["last_hour", "day_hourly", "latest_values", "latest_live"] {
            let latency = try #require(report[name] as? [String: Any], "\(name) is missing")
            let p50 = try #require(latency["p50_seconds"] as? Double, "\(name).p50_seconds")
            let p99 = try #require(latency["p99_seconds"] as? Double, "\(name).p99_seconds")
            #expect(p50 > 0 && p50 <= p99, "\(name)")
            #expect((latency["picks"] as? Int ?? 0) > 0, "\(name)")
        }
        // The last hour of a device at 10-minute steps is 6 readings per metric, unless it was offline.
        let lastHour = try #require(report["last_hour"] as? [String: Any])
        #expect((lastHour["points_per_pick"] as? Double ?? 0) > 0)
    }

    @Test("the generator is seeded: the same seed gives the same points and gaps")
    func seeded() throws {
        let directory = TemporaryDirectory()
        var reports: [[String: Any]] = []
        for name in ["a", "b"] {
            let run = try CommandRunner.run([
                "bench", "fleet", "--store", directory.appending(name), "--devices", "200", "--metrics", "2",
                "--interval", "10m", "--duration", "1d", "--samples", "5", "--sync", "none", "--json",
            ])
            #expect(run.status == 0, "\(run.standardError)")
            reports.append(try #require(try JSONSerialization.jsonObject(with: Data(run.standardOutput.utf8)) as? [String: Any]))
        }
        #expect(reports[0]["points"] as? Int == reports[1]["points"] as? Int)
        #expect(reports[0]["gap_points"] as? Int == reports[1]["gap_points"] as? Int)
        #expect(reports[0]["late_points"] as? Int == reports[1]["late_points"] as? Int)
        // 200 devices over a day: some go offline and some deliver late, so both paths run.
        #expect((reports[0]["gap_points"] as? Int ?? 0) > 0)
        #expect((reports[0]["late_points"] as? Int ?? 0) > 0)
    }

    @Test("an existing store directory is refused, an unknown --sync is a usage error")
    func refusals() throws {
        let directory = TemporaryDirectory()
        let existing = try CommandRunner.run(["bench", "fleet", "--store", directory.path, "--devices", "2", "--duration", "1h"])
        #expect(existing.status == 1)
        #expect(existing.standardError.contains("already exists"))
        let badSync = try CommandRunner.run(["bench", "fleet", "--store", directory.appending("x"), "--sync", "sometimes"])
        #expect(badSync.status == 64)
    }
}
