import Foundation
import Strata

/// Latency percentiles of one kind of query, in seconds.
struct Latency {
    var picks = 0
    var p50 = 0.0
    var p99 = 0.0
    /// Points (or buckets) a pick returned, on average: shows the queries did real work.
    var pointsPerPick = 0.0

    init() {}

    init(_ seconds: [Double], pointsPerPick: Double) {
        let sorted = seconds.sorted()
        picks = sorted.count
        // Nearest rank: the smallest sample at or above the given share of samples.
        func percentile(_ share: Double) -> Double {
            sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, max(0, Int((share * Double(sorted.count)).rounded(.up)) - 1))]
        }
        p50 = percentile(0.5)
        p99 = percentile(0.99)
        self.pointsPerPick = pointsPerPick
    }
}

/// Everything `strata bench fleet` measured, printed as text or JSON.
struct FleetBenchReport {
    var devices: Int
    var metrics: Int
    var interval: Int64
    var duration: Int64
    var steps: Int
    var batch: Int
    var sync: String
    var compaction: String
    var headPoints: Int

    var points = 0
    var gapPoints = 0
    var latePoints = 0
    var registerSeconds = 0.0
    /// Resident memory the store's series table (and the bench's table of references) added.
    var referencesResidentKiB = 0
    var ingestSeconds = 0.0
    var appendSeconds = 0.0
    var peakMemoryAfterIngestKiB = 0
    var peakMemoryKiB = 0
    var flushSeconds = 0.0
    var bytesFlushed = 0
    var segmentsFlushed = 0
    var compactSeconds = 0.0
    var bytesCompacted = 0
    var segmentsCompacted = 0
    var openSeconds = 0.0
    var lastHour = Latency()
    var dayHourly = Latency()
    var latest = Latency()
    var latestDevices = 0
    var latestMissing = 0
    /// The whole-fleet latest on the writer after ingest: its latency, what the store held then, and how many series were checked against query.
    var latestLive = Latency()
    /// The same calls' thread CPU time.
    var latestCPU = Latency()
    var latestLiveCPU = Latency()
    var latestLiveMissing = 0
    var latestLiveSegments = 0
    var latestLiveHeadPoints = 0
    var latestChecked = 0

    private func perPoint(_ bytes: Int) -> Double { Double(bytes) / Double(max(1, points)) }
    private var pointsPerSecond: Double { Double(points) / max(ingestSeconds, 1e-9) }
    private var appendPointsPerSecond: Double { Double(points) / max(appendSeconds, 1e-9) }
    private var days: Double { Double(duration) / Double(Milliseconds.day) }
    private func perDay(_ files: Int) -> String { Format.fixed(Double(files) / max(days, 1e-9), 1) }

    func text() -> String {
        func milliseconds(_ seconds: Double) -> String { String(format: "%.3f ms", seconds * 1000) }
        func latency(_ value: Latency, _ unit: String) -> String {
            "p50 \(milliseconds(value.p50)), p99 \(milliseconds(value.p99)) (\(value.picks) picks, \(Format.fixed(value.pointsPerPick, 1)) \(unit)/pick)"
        }
        let rows: [(String, String)] = [
            ("fleet", "\(Format.count(devices)) devices × \(metrics) metrics, every \(DurationText.describe(interval)) for \(DurationText.describe(duration)) (\(Format.count(steps)) steps)"),
            ("batches", "\(Format.count(batch)) points, sync \(sync), compaction \(compaction), head flushed at \(Format.count(headPoints)) points"),
            ("points", "\(Format.count(points)) (\(Format.count(gapPoints)) never produced: devices offline; \(Format.count(latePoints)) delivered late)"),
            ("references", "\(Format.seconds(registerSeconds)) to resolve \(Format.count(devices * metrics)) series; \(Format.bytes(referencesResidentKiB * 1024)) resident, \(referencesResidentKiB * 1024 / max(1, devices * metrics)) bytes/series"),
            ("ingest", "\(Format.seconds(ingestSeconds)), \(Format.rate(pointsPerSecond)) points/s"),
            ("  in append", "\(Format.seconds(appendSeconds)), \(Format.rate(appendPointsPerSecond)) points/s"),
            ("peak memory", "\(Format.bytes(peakMemoryAfterIngestKiB * 1024)) after ingest, \(Format.bytes(peakMemoryKiB * 1024)) overall"),
            ("flushed", "\(Format.seconds(flushSeconds)); \(Format.bytes(bytesFlushed)), \(Format.fixed(perPoint(bytesFlushed), 3)) bytes/point; \(segmentsFlushed) segments (\(perDay(segmentsFlushed)) a day of data)"),
            ("compacted", "\(Format.seconds(compactSeconds)); \(Format.bytes(bytesCompacted)), \(Format.fixed(perPoint(bytesCompacted), 3)) bytes/point; \(segmentsCompacted) segments (\(perDay(segmentsCompacted)) a day of data)"),
            ("open read-only", milliseconds(openSeconds)),
            ("last hour", latency(lastHour, "points")),
            ("day at 1h", latency(dayHourly, "buckets")),
            ("latest values", latency(latest, "values") + ", \(Format.count(latestDevices)) devices, \(latestMissing) missing"),
            ("  CPU", "p50 \(milliseconds(latestCPU.p50)), p99 \(milliseconds(latestCPU.p99))"),
            ("latest, live", latency(latestLive, "values") + ", \(latestLiveSegments) segments and \(Format.count(latestLiveHeadPoints)) points in the head, \(latestLiveMissing) missing; \(latestChecked) series checked against query"),
            ("  CPU", "p50 \(milliseconds(latestLiveCPU.p50)), p99 \(milliseconds(latestLiveCPU.p99))"),
        ]
        let width = rows.map(\.0.count).max() ?? 0
        return rows.map { label, value in
            label + String(repeating: " ", count: width - label.count) + "  " + value
        }.joined(separator: "\n")
    }

    func json() -> String {
        func number(_ value: Double) -> String { value.isFinite ? String(format: "%.9g", value) : "null" }
        func latency(_ value: Latency) -> String {
            "{\"picks\": \(value.picks), \"p50_seconds\": \(number(value.p50)), \"p99_seconds\": \(number(value.p99)), \"points_per_pick\": \(number(value.pointsPerPick))}"
        }
        let fields: [(String, String)] = [
            ("devices", "\(devices)"), ("metrics", "\(metrics)"), ("interval_ms", "\(interval)"), ("duration_ms", "\(duration)"),
            ("steps", "\(steps)"), ("batch", "\(batch)"), ("sync", "\"\(sync)\""), ("compaction", "\"\(compaction)\""), ("head_points", "\(headPoints)"),
            ("points", "\(points)"), ("gap_points", "\(gapPoints)"), ("late_points", "\(latePoints)"),
            ("register_seconds", number(registerSeconds)), ("references_resident_kib", "\(referencesResidentKiB)"), ("ingest_seconds", number(ingestSeconds)), ("points_per_second", number(pointsPerSecond)),
            ("append_seconds", number(appendSeconds)), ("append_points_per_second", number(appendPointsPerSecond)),
            ("peak_memory_after_ingest_kib", "\(peakMemoryAfterIngestKiB)"), ("peak_memory_kib", "\(peakMemoryKiB)"),
            ("flush_seconds", number(flushSeconds)), ("bytes_flushed", "\(bytesFlushed)"),
            ("bytes_per_point_flushed", number(perPoint(bytesFlushed))), ("segments_flushed", "\(segmentsFlushed)"),
            ("compact_seconds", number(compactSeconds)), ("bytes_compacted", "\(bytesCompacted)"),
            ("bytes_per_point_compacted", number(perPoint(bytesCompacted))), ("segments_compacted", "\(segmentsCompacted)"),
            ("open_seconds", number(openSeconds)),
            ("last_hour", latency(lastHour)), ("day_hourly", latency(dayHourly)), ("latest_values", latency(latest)),
            ("latest_devices", "\(latestDevices)"), ("latest_missing", "\(latestMissing)"),
            ("latest_values_cpu", latency(latestCPU)), ("latest_live", latency(latestLive)), ("latest_live_cpu", latency(latestLiveCPU)),
            ("latest_live_missing", "\(latestLiveMissing)"),
            ("latest_live_segments", "\(latestLiveSegments)"), ("latest_live_head_points", "\(latestLiveHeadPoints)"),
            ("latest_checked", "\(latestChecked)"),
        ]
        return "{" + fields.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}"
    }
}
