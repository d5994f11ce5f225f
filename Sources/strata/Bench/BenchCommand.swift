import ArgumentParser
import Foundation
import Strata

import Glibc

/// `strata bench`: measurements of the engine on generated workloads.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure Strata on generated workloads.",
        subcommands: [BenchFleetCommand.self]
    )
}

/// `strata bench fleet`: a fleet on one machine, ingested in arrival order, then queried.
struct BenchFleetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fleet",
        abstract: "Ingest a generated fleet in arrival order, then measure size, opening time and query latency.",
        discussion: """
            The workload: DEVICES devices each report METRICS Float64 metrics every INTERVAL \
            for DURATION, starting 2026-01-01T00:00:00Z. Metric i is of kind i mod 4: \
            temperature (0.1 °C steps), humidity (0.1 % steps), vibration (0.001 g steps), \
            power_w (whole watts), so the decimal codec applies; the first four are named by \
            their kind, later ones get a suffix (temperature-1, ...). Readings follow a daily \
            cycle with sensor noise. About 1 % of devices overheat for 45 minutes, 1 % get a \
            stuck temperature sensor, 2 % go offline for 30 to 120 minutes (a gap: those \
            readings are never produced and are counted as gap points), 10 % jitter their \
            clocks by up to 20 ms, and 5 % deliver one 10-minute block 30 minutes late (or at \
            the end of the run, if that comes first). The same seed gives the same fleet.

            The readings arrive as a collector receives them: time step by time step, each \
            device once per step, so a batch holds one reading of many devices. Batches of \
            BATCH points are built on the fly and appended with Store.append. Besides the \
            current batch, the generator keeps a small profile per device and the late \
            readings still waiting, never the dataset.

            The figures:

            Points: readings appended, devices × metrics × steps minus gap points.

            Ingest: wall time of the generate-and-append loop, and points per second. \
            "in append" is the part spent inside Store.append: the write-ahead log write \
            (and, with --sync everyBatch, its fsync), the insertion into the in-memory head, \
            and, when the background flush falls behind and the head reaches twice its \
            threshold, the flush the appender then does itself.

            References: before ingest every series is resolved once to a SeriesReference, \
            as a service keeping a table of its devices would; the time, and the resident \
            memory it added (the store's series table and the bench's table of references).

            Peak memory: the process's peak resident set size (getrusage ru_maxrss) after \
            ingest and at the end. It includes the store's in-memory head (up to \
            Configuration.headFlushThreshold points before a background flush).

            Flushed: the time of Store.flush(), then the bytes of every file under the store \
            directory but its write-ahead log (empty after the flush, though its current file \
            may hold zeros written ahead of use) and bytes per point. Compacted: the same after Store.compact(), which \
            merges segments into time windows.

            Open read-only: the store is closed, then opened again; the time of \
            Store(at:mode: .readOnly).

            Query latencies, on that read-only store: p50 and p99 (nearest rank) of SAMPLES \
            random picks. "last hour": the last hour of one random device, every metric \
            (Store.query per metric). "day at 1h": the last day (the whole run, if shorter) of \
            one random device in 1-hour buckets (Store.downsample per metric). "latest \
            values": the newest point of every series of the fleet (DEVICES × METRICS) in one \
            Store.latest call, which answers from the segment indexes; a series without a \
            point is counted as missing. Being the whole fleet a pick, it runs SAMPLES/10 \
            picks (at least 5), the first one included (no warm-up). Its latency is given \
            in wall time and in the calling thread's CPU time ("CPU"), which other work on a \
            busy machine does not inflate.

            "latest, live" is the same call on the writer right after ingest, before the \
            final flush: the segments flushed during ingest and the points still in the head \
            (both counted in the line). Then 1,000 random series (fewer for a smaller fleet) \
            are checked against the last point of Store.query, bit for bit; a mismatch fails \
            the run.

            --json prints the same figures as one JSON object (times in seconds, sizes in \
            bytes, memory in KiB). The --store directory must not exist yet: sizes are \
            measured over the whole directory.
            """
    )

    @Option(help: "Directory for the new store; must not exist.")
    var store: String

    @Option(help: "Number of devices.")
    var devices = 1_000

    @Option(help: "Metrics per device.")
    var metrics = 4

    @Option(help: "Time between a device's readings: 1s, 60s, 10m ... (at least 1s).")
    var interval = "60s"

    @Option(help: "Time span of the generated data: 6h, 1d ...")
    var duration = "1d"

    @Option(help: "Points per appended batch.")
    var batch = 10_000

    @Option(help: "Durability: everyBatch (fsync each append), interval (fsync every second) or none.")
    var sync = "everyBatch"

    @Option(help: ArgumentHelp(
        "Compaction during ingest: background (the store's default) or deferred (none until ingest ends, as for a bulk load).",
        valueName: "background|deferred"))
    var compaction = "background"

    @Option(help: ArgumentHelp(
        "Points the store's head holds before a flush (Configuration.headFlushThreshold; default the store's, 8,000,000).",
        valueName: "points"))
    var headPoints: Int?

    @Option(help: "Random picks per query latency figure.")
    var samples = 200

    @Option(help: "Seed of the generated fleet and of the query picks.")
    var seed: UInt64 = 42

    @Flag(help: "Print the figures as one JSON object.")
    var json = false

    private var intervalMilliseconds: Int64 { DurationText.parseMilliseconds(interval) ?? 0 }
    private var durationMilliseconds: Int64 { DurationText.parseMilliseconds(duration) ?? 0 }

    mutating func validate() throws {
        guard (1...10_000_000).contains(devices) else { throw ValidationError("--devices must be in 1...10000000") }
        guard (1...1_000).contains(metrics) else { throw ValidationError("--metrics must be in 1...1000") }
        guard intervalMilliseconds >= 1_000 else { throw ValidationError("--interval \(interval.debugDescription) must be a duration of at least 1s, such as 60s or 10m") }
        guard durationMilliseconds >= intervalMilliseconds else {
            throw ValidationError("--duration \(duration.debugDescription) must be a duration of at least one interval, such as 6h or 1d")
        }
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
        guard samples >= 1 else { throw ValidationError("--samples must be at least 1") }
        guard durability != nil else { throw ValidationError("--sync must be everyBatch, interval or none") }
        if let headPoints, headPoints < 1 { throw ValidationError("--head-points must be at least 1") }
        guard compaction == "background" || compaction == "deferred" else {
            throw ValidationError("--compaction must be background or deferred")
        }
    }

    private var durability: Configuration.Durability? {
        switch sync {
        case "everyBatch": .everyBatch
        case "interval": .interval(milliseconds: 1_000)
        case "none": Configuration.Durability.none
        default: nil
        }
    }

    func run() throws {
        try runReportingErrors {
            guard !FileManager.default.fileExists(atPath: store) else {
                throw CommandError(message: "\(store) already exists; give a new directory (sizes are measured over the whole directory)")
            }
            let report = try measure()
            var out = StandardOutput()
            out.line(json ? report.json() : report.text())
            out.flush()
        }
    }

    private func measure() throws -> FleetBenchReport {
        var options = FleetArrivalGenerator.Options()
        options.devices = devices
        options.metrics = metrics
        options.interval = intervalMilliseconds
        options.duration = durationMilliseconds
        options.seed = seed
        var generator = FleetArrivalGenerator(options: options)
        var report = FleetBenchReport(
            devices: devices, metrics: metrics, interval: intervalMilliseconds, duration: durationMilliseconds,
            steps: generator.steps, batch: batch, sync: sync, compaction: compaction,
            headPoints: headPoints ?? Configuration().headFlushThreshold)

        var configuration = Configuration()
        configuration.durability = durability!
        configuration.compaction.runsInBackground = compaction == "background"
        if let headPoints { configuration.headFlushThreshold = headPoints }
        let writer = try Store(at: store, configuration: configuration)

        // Each series is resolved to a reference once, as a service keeping a
        // table of its devices would; appends then name no series.
        let deviceNames = generator.deviceNames, metricNames = generator.metricNames
        let residentBefore = residentKiB()
        let registerStarted = Clock.nanoseconds()
        var references: [SeriesReference] = []
        references.reserveCapacity(devices * metrics)
        for device in deviceNames {
            for metric in metricNames {
                references.append(try writer.reference(device: device, metric: metric, type: .float64))
            }
        }
        report.registerSeconds = Clock.seconds(since: registerStarted)
        report.referencesResidentKiB = residentKiB() - residentBefore

        // Ingest: fill a batch in arrival order, append it when full.
        var sink = BatchingSink(store: writer, references: references, metrics: metrics, batchSize: batch)
        let ingestStarted = Clock.nanoseconds()
        for step in 0..<generator.steps {
            try generator.arrivals(atStep: step, into: &sink)
        }
        try generator.finish(into: &sink)
        try sink.appendPending()
        let points = sink.points
        let appendNanoseconds = sink.appendNanoseconds
        report.ingestSeconds = Clock.seconds(since: ingestStarted)
        report.appendSeconds = Double(appendNanoseconds) / 1e9
        report.points = points
        report.gapPoints = generator.gapPoints
        report.latePoints = generator.latePoints
        report.peakMemoryAfterIngestKiB = peakResidentKiB()

        try measureLiveLatest(on: writer, generator: generator, into: &report)

        let flushStarted = Clock.nanoseconds()
        try writer.flush()
        report.flushSeconds = Clock.seconds(since: flushStarted)
        report.bytesFlushed = directoryBytes(store, skipping: "wal")
        report.segmentsFlushed = writer.segments().count
        let compactStarted = Clock.nanoseconds()
        try writer.compact()
        report.compactSeconds = Clock.seconds(since: compactStarted)
        report.bytesCompacted = directoryBytes(store, skipping: "wal")
        report.segmentsCompacted = writer.segments().count
        try writer.close()

        let openStarted = Clock.nanoseconds()
        let reader = try Store(at: store, mode: .readOnly)
        report.openSeconds = Clock.seconds(since: openStarted)
        reportOpeningProblems(of: reader)

        try measureQueries(on: reader, generator: generator, into: &report)
        try reader.close()
        report.peakMemoryKiB = peakResidentKiB()
        return report
    }

    private func measureQueries(on reader: Store, generator: FleetArrivalGenerator, into report: inout FleetBenchReport) throws {
        var random = SplitMix64(seed: seed ^ 0x5EED_BE4C)
        let start = generator.options.start
        let end = start + Int64(generator.steps) * intervalMilliseconds
        let names = generator.deviceNames, metricNames = generator.metricNames
        func randomDevice() -> String { names[Int(random.next() % UInt64(names.count))] }

        var lastHour: [Double] = []
        var lastHourPoints = 0
        for _ in 0..<samples {
            let device = randomDevice()
            let started = Clock.nanoseconds()
            for metric in metricNames {
                lastHourPoints += try reader.query(device: device, metric: metric, from: max(start, end - 3_600_000), to: end).count
            }
            lastHour.append(Clock.seconds(since: started))
        }
        report.lastHour = Latency(lastHour, pointsPerPick: Double(lastHourPoints) / Double(samples))

        var day: [Double] = []
        var dayBuckets = 0
        let dayOptions = DownsampleOptions(step: 3_600_000, from: max(start, end - Milliseconds.day), to: end)
        for _ in 0..<samples {
            let device = randomDevice()
            let started = Clock.nanoseconds()
            for metric in metricNames {
                dayBuckets += try reader.downsample(device: device, metric: metric, options: dayOptions).buckets.count
            }
            day.append(Clock.seconds(since: started))
        }
        report.dayHourly = Latency(day, pointsPerPick: Double(dayBuckets) / Double(samples))

        let keys = fleetKeys(generator)
        report.latestDevices = names.count
        (report.latest, report.latestCPU, report.latestMissing) = try timeLatest(of: keys, on: reader, picks: max(5, samples / 10))
    }

    /// Every series of the fleet, sorted as Store.series() lists them (the order Store.latest takes fastest).
    private func fleetKeys(_ generator: FleetArrivalGenerator) -> [SeriesKey] {
        var keys: [SeriesKey] = []
        keys.reserveCapacity(generator.deviceNames.count * generator.metricNames.count)
        for device in generator.deviceNames {
            for metric in generator.metricNames { keys.append(SeriesKey(device: device, metric: metric)) }
        }
        return keys.sorted()
    }

    /// Times `picks` calls of Store.latest over `keys`; returns the latency in wall time and in the
    /// calling thread's CPU time (which other work on the machine does not inflate), and the series
    /// without a point (per pick).
    private func timeLatest(of keys: [SeriesKey], on store: Store, picks: Int) throws -> (wall: Latency, cpu: Latency, missing: Int) {
        var seconds: [Double] = [], cpuSeconds: [Double] = []
        var missing = 0
        for _ in 0..<picks {
            let started = Clock.nanoseconds(), cpuStarted = Clock.threadCPUNanoseconds()
            let answers = try store.latest(of: keys)
            cpuSeconds.append(Double(Clock.threadCPUNanoseconds() - cpuStarted) / 1e9)
            seconds.append(Clock.seconds(since: started))
            missing = answers.reduce(0) { $0 + ($1 == nil ? 1 : 0) }
        }
        let values = Double(keys.count - missing)
        return (Latency(seconds, pointsPerPick: values), Latency(cpuSeconds, pointsPerPick: values), missing)
    }

    /// The whole-fleet latest on the writer after ingest (segments and a head), then a check of random series against query.
    private func measureLiveLatest(on writer: Store, generator: FleetArrivalGenerator, into report: inout FleetBenchReport) throws {
        let keys = fleetKeys(generator)
        report.latestLiveSegments = writer.segments().count
        report.latestLiveHeadPoints = writer.unflushedPointCount
        (report.latestLive, report.latestLiveCPU, report.latestLiveMissing) = try timeLatest(of: keys, on: writer, picks: max(5, samples / 10))
        var random = SplitMix64(seed: seed ^ 0x1A7E_57)
        let checked = (0..<min(1_000, keys.count)).map { _ in keys[Int(random.next() % UInt64(keys.count))] }
        let answers = try writer.latest(of: checked)
        for (key, answer) in zip(checked, answers) {
            let last = try writer.query(device: key.device, metric: key.metric).last
            guard answer?.timestamp == last?.timestamp, answer?.value == last?.value else {
                throw CommandError(message: "Store.latest answers \(String(describing: answer)) for \(key), Store.query ends with \(String(describing: last))")
            }
        }
        report.latestChecked = checked.count
    }
}

/// Monotonic time for measurements.
enum Clock {
    static func nanoseconds() -> UInt64 { MonotonicClock.nanoseconds() }

    static func seconds(since started: UInt64) -> Double { Double(nanoseconds() - started) / 1e9 }

    /// CPU time of the calling thread, in nanoseconds.
    static func threadCPUNanoseconds() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }
}

/// The process's peak resident set size so far, in KiB (Linux reports ru_maxrss in KiB).
func peakResidentKiB() -> Int { ProcessMemory.peakResidentKiB() }

/// The resident memory of the process now (from /proc/self/statm), in KiB; 0 where unavailable.
func residentKiB() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = text.split(separator: " ")
    guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
    return pages * ProcessMemory.pageSize / 1024
}

/// The sizes of every regular file under `path`, summed (what the store takes on disk, before block rounding).
/// The bytes of the regular files under `path`, leaving out the folder `skipped` (a direct child).
func directoryBytes(_ path: String, skipping skipped: String? = nil) -> Int {
    guard let walker = FileManager.default.enumerator(atPath: path) else { return 0 }
    var total = 0
    while let relative = walker.nextObject() as? String {
        if let skipped, relative == skipped || relative.hasPrefix(skipped + "/") { continue }
        let attributes = try? FileManager.default.attributesOfItem(atPath: path + "/" + relative)
        if attributes?[.type] as? FileAttributeType == .typeRegular {
            total += (attributes?[.size] as? NSNumber)?.intValue ?? 0
        }
    }
    return total
}

/// Fills batches with the generator's readings, through the series'
/// references, and appends each batch when full, timing the appends.
private struct BatchingSink: FleetReadingSink {
    let store: Store
    let references: [SeriesReference]
    let metrics: Int
    let batchSize: Int
    private var pending: WriteBatch
    private(set) var appendNanoseconds: UInt64 = 0
    private(set) var points = 0

    init(store: Store, references: [SeriesReference], metrics: Int, batchSize: Int) {
        self.store = store
        self.references = references
        self.metrics = metrics
        self.batchSize = batchSize
        pending = WriteBatch(capacity: batchSize)
    }

    mutating func deliver(device: Int, metric: Int, timestamp: Int64, value: Double) throws {
        pending.append(references[device * metrics + metric], timestamp: timestamp, value: value)
        if pending.count >= batchSize { try appendPending() }
    }

    mutating func appendPending() throws {
        guard !pending.isEmpty else { return }
        let started = Clock.nanoseconds()
        try store.append(pending)
        appendNanoseconds += Clock.nanoseconds() - started
        points += pending.count
        pending = WriteBatch(capacity: batchSize)
    }
}
