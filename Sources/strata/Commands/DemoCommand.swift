import ArgumentParser
import Foundation
import Strata

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Build a realistic fleet in a new store and tour what Strata does.",
        discussion: """
            Generates DEVICES devices (default 1,000) with four metrics each (temperature \
            at 0.1 °C, humidity at 0.1 %, vibration at 0.001 g, power in whole watts as \
            Int64), one reading every 10 seconds for a day: daily cycles, sensor noise, a few \
            devices that overheat, get stuck or go offline, some clock jitter, and blocks of \
            readings that arrive late. It ingests them, then shows what was stored, how \
            small it is, and a few queries. The data is the same on every run (seeded).

            DIR must not exist yet (default: a new folder under the system's temporary \
            directory); it is kept afterwards so you can try the other commands on it.
            """
    )

    @Argument(help: "Directory for the new store.")
    var directory: String?

    @Option(help: "Number of devices.")
    var devices = 1_000

    @Option(help: "Hours of data per device (the anomaly detector learns each series' first day).")
    var hours = 48

    mutating func validate() throws {
        guard (1...100_000).contains(devices) else { throw ValidationError("--devices must be in 1...100000") }
        guard (1...24 * 366).contains(hours) else { throw ValidationError("--hours must be in 1...8784") }
    }

    func run() throws {
        try runReportingErrors { try tour() }
    }

    private func tour() throws {
        let path = directory ?? (NSTemporaryDirectory() + "strata-demo-\(ProcessInfo.processInfo.processIdentifier)")
        guard !FileManager.default.fileExists(atPath: path) else {
            throw CommandError(message: "\(path) already exists; give a new directory so the demo does not touch your data")
        }
        var out = StandardOutput()
        var options = FleetGenerator.Options()
        options.devices = devices
        options.duration = Int64(hours) * 3_600_000
        let generator = FleetGenerator(options: options)
        let total = generator.pointsPerDevice * devices

        out.line("Strata demo")
        out.line("===========")
        out.line("Fleet: \(Format.count(devices)) pumps × 4 metrics (temperature, humidity, vibration, power_w),")
        out.line("one reading every 10 s for \(hours) h: about \(Format.count(total)) points.")
        out.line("Store: \(path)")
        out.line()
        out.flush()

        let store = try Store(at: path)
        let incidents = try ingest(generator, into: store, out: &out)
        let segments = showDisk(of: store, out: &out)
        let device = FleetGenerator.deviceName(min(42, devices - 1))
        let end = options.start + options.duration
        try showLastHour(of: device, in: store, end: end, out: &out)
        let hottest = try scanTemperatures(in: store, incidents: incidents, out: &out)
        try findIncidents(in: store, devices: devices, incidents: incidents, start: options.start, end: end, out: &out)
        out.line()
        out.line("Try next:")
        out.line("   strata inspect \(path)")
        out.line("   strata inspect \(path) --segment \(segments.first.map { String($0.path.split(separator: "/").last!) } ?? "0000000001.seg") | head -20")
        out.line("   strata query \(path) --device \(device) --metric temperature --from \(TimeText.format(end - 600_000)) --format csv")
        out.line("   strata downsample \(path) --device 'pump-00*' --metric temperature --step 1h --agg min,max,mean,count")
        out.line("   strata anomalies \(path) --device \(hottest) --metric temperature --plot \(hottest).svg")
        out.line("   strata anomalies \(path) --device 'pump-*' --metric temperature --detector flatline --window 30m")
        out.flush()
    }

    /// Step 1: every device's readings appended as they come, then the late
    /// blocks, then a flush. Returns the incidents the generator made.
    private func ingest(
        _ generator: FleetGenerator, into store: Store, out: inout StandardOutput
    ) throws -> [(String, FleetGenerator.Incident)] {
        var generateSeconds = 0.0, appendSeconds = 0.0
        var lateBatches: [WriteBatch] = []
        var incidents: [(String, FleetGenerator.Incident)] = []
        var appended = 0
        for index in 0..<devices {
            let started = Date()
            let readings = try generator.readings(ofDevice: index)
            let generated = Date()
            try store.append(readings.onTime)
            appendSeconds += Date().timeIntervalSince(generated)
            generateSeconds += generated.timeIntervalSince(started)
            appended += readings.onTime.count
            if !readings.late.isEmpty { lateBatches.append(readings.late) }
            incidents += readings.incidents.map { (readings.name, $0) }
        }
        let lateStarted = Date()
        var latePoints = 0
        for batch in lateBatches {
            try store.append(batch)
            latePoints += batch.count
        }
        let flushStarted = Date()
        appendSeconds += flushStarted.timeIntervalSince(lateStarted)
        try store.flush()
        let flushSeconds = Date().timeIntervalSince(flushStarted)
        appended += latePoints

        out.line("1. Ingest")
        out.line("   generated in \(Format.seconds(generateSeconds)); appended \(Format.count(appended)) points in \(Format.seconds(appendSeconds)) (\(Format.rate(Double(appended) / appendSeconds)) points/s),")
        out.line("   of which \(Format.count(latePoints)) arrived late, out of order, from \(lateBatches.count) devices; final flush \(Format.seconds(flushSeconds)).")
        out.line()
        return incidents
    }

    /// Step 2: the segments' bytes per point, by column. Returns the segments.
    private func showDisk(of store: Store, out: inout StandardOutput) -> [SegmentFile] {
        var usage = ByteUsage()
        let segments = store.segments()
        for segment in segments { usage.add(segment) }
        let bytesPerPoint = Double(usage.totalBytes) / Double(max(1, usage.points))
        out.line("2. What is on disk")
        out.line("   \(segments.count) segment file\(segments.count == 1 ? "" : "s"), \(Format.bytes(usage.totalBytes)) for \(Format.count(usage.points)) points: \(Format.fixed(bytesPerPoint, 3)) bytes/point")
        out.line("   (raw Int64 time + 64-bit value: 16 bytes/point, so \(Format.fixed(16 / bytesPerPoint, 1))× smaller).")
        out.line("   timestamps \(Format.fixed(Double(usage.timeBytes * 8) / Double(usage.points), 2)) bits/point (one time column per device, shared by its 4 metrics),")
        out.line("   values \(Format.fixed(Double(usage.valueBytes * 8) / Double(usage.points), 2)) bits/point, index and statistics \(Format.fixed(Double(usage.indexBytes * 8) / Double(usage.points), 2)) bits/point.")
        out.line()
        return segments
    }

    /// Step 3: a range query, the first and last points of one device's last hour.
    private func showLastHour(of device: String, in store: Store, end: Int64, out: inout StandardOutput) throws {
        let queryStarted = Date()
        let lastHour = try store.query(device: device, metric: "temperature", from: end - 3_600_000, to: end)
        let querySeconds = Date().timeIntervalSince(queryStarted)
        out.line("3. The last hour of \(device)'s temperature (\(Format.count(lastHour.count)) points in \(Format.seconds(querySeconds))):")
        var table = TextTable(["time (UTC)", "temperature"], rightAligned: [1])
        let shown = Array(lastHour.prefix(3)) + Array(lastHour.suffix(2))
        for point in shown { table.add([TimeText.format(point.timestamp), ValueText.exact(point.value)]) }
        out.line(table.render(indent: "   "))
        out.line()
    }

    /// Step 4: every temperature of the fleet read, the hottest reading found,
    /// and the generator's incidents counted. Returns the hottest device.
    private func scanTemperatures(
        in store: Store, incidents: [(String, FleetGenerator.Incident)], out: inout StandardOutput
    ) throws -> String {
        let scanStarted = Date()
        var hottest: (device: String, value: Double, time: Int64) = ("", -.infinity, 0)
        var scanned = 0
        for index in 0..<devices {
            let name = FleetGenerator.deviceName(index)
            let points = try store.query(device: name, metric: "temperature")
            scanned += points.count
            let values = points.floatValues
            for (position, value) in values.enumerated() where value > hottest.value {
                hottest = (name, value, points.timestamps[position])
            }
        }
        let scanSeconds = Date().timeIntervalSince(scanStarted)
        out.line("4. A full scan: every temperature of the fleet, \(Format.count(scanned)) points, read in \(Format.seconds(scanSeconds)) (\(Format.rate(Double(scanned) / scanSeconds)) points/s).")
        out.line("   Hottest reading: \(hottest.device) at \(ValueText.exact(.float64(hottest.value))) °C, \(TimeText.format(hottest.time)).")
        for (name, incident) in incidents where name == hottest.device {
            if case .overheating(let from, let to) = incident {
                out.line("   The generator made it overheat, from \(TimeText.format(from)) to \(TimeText.format(to)).")
            }
        }
        var overheating = 0, stuck = 0, offline = 0
        for (_, incident) in incidents {
            switch incident {
            case .overheating: overheating += 1
            case .stuckSensor: stuck += 1
            case .offline: offline += 1
            }
        }
        out.line("   In all, the generator made \(overheating) device\(overheating == 1 ? "" : "s") overheat, stuck \(stuck) temperature sensor\(stuck == 1 ? "" : "s"),")
        out.line("   and took \(offline) device\(offline == 1 ? "" : "s") offline for a while.")
        out.line()
        return hottest.device
    }

    /// Step 5: the automatic detector over every pump's temperature (both cores), and
    /// which of the generator's incidents it found. A window finds an incident of its
    /// device when it starts between the incident's start and an hour after its end.
    private func findIncidents(in store: Store, devices: Int, incidents: [(String, FleetGenerator.Incident)], start: Int64, end: Int64,
                               out: inout StandardOutput) throws {
        let series = (0..<devices).map { SeriesKey(device: FleetGenerator.deviceName($0), metric: "temperature") }
        let started = Date()
        let found = try store.anomalies(in: series, options: AnomalyOptions())
        let seconds = Date().timeIntervalSince(started)
        var windows: [String: [AnomalyWindow]] = [:]
        for (key, list) in zip(series, found) { windows[key.device] = list }
        let total = found.reduce(0) { $0 + $1.count }
        var planted: [String: (found: Int, of: Int, learning: Int)] = [:]
        let learned = start + AutomaticSettings.standard.learningSpan
        var explained = Set<String>()
        for (device, incident) in incidents {
            let (name, from, to): (String, Int64, Int64)
            switch incident {
            case .overheating(let start, let stop): (name, from, to) = ("overheating", start, stop)
            case .stuckSensor(let start): (name, from, to) = ("stuck sensor", start, end)
            case .offline(let start, let stop): (name, from, to) = ("offline", start, stop)
            }
            let hits = (windows[device] ?? []).filter { $0.start >= from && $0.start <= to + 3_600_000 }
            for hit in hits { explained.insert("\(device)/\(hit.start)") }
            planted[name, default: (0, 0, 0)].of += 1
            if !hits.isEmpty { planted[name, default: (0, 0, 0)].found += 1 }
            // Values are judged after a day of learning; stuck values and silences from the start.
            if name == "overheating" && from < learned && hits.isEmpty { planted[name, default: (0, 0, 0)].learning += 1 }
        }
        out.line("5. Anomalies: the automatic detector (no options) over \(Format.count(devices)) temperatures on every core,")
        out.line("   \(Format.count(total)) window\(total == 1 ? "" : "s") in \(Format.seconds(seconds)). Incidents the generator planted, found:")
        for name in ["overheating", "stuck sensor", "offline"] {
            guard let counts = planted[name] else { continue }
            let note = counts.learning > 0 ? " (\(counts.learning) missed began in the first day, while the detector learns)" : ""
            out.line("     \(name): \(counts.found) of \(counts.of)\(note)")
        }
        out.line("   Other windows: \(Format.count(total - explained.count)) (the generator's noise and daily cycle have their own records).")
    }
}
