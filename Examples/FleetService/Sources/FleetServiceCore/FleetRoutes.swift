import Hummingbird
import HummingbirdCore
import NIOPosix
import Strata

/// The HTTP interface of the service: writes in InfluxDB line protocol, reads as JSON.
public struct FleetRoutes: Sendable {
    let workers: StoreWorkers
    /// The largest write body accepted, in bytes.
    let maximumBodyBytes: Int
    /// Live anomaly detection fed with every write, or nil when it is off.
    let live: LiveAnomalies?
    /// The devices this instance stores when the fleet is sharded; nil: all of them.
    let shard: ShardAssignment?

    public init(workers: StoreWorkers, maximumBodyBytes: Int = 16 << 20, live: LiveAnomalies? = nil, shard: ShardAssignment? = nil) {
        self.workers = workers
        self.maximumBodyBytes = maximumBodyBytes
        self.live = live
        self.shard = shard
    }

    /// A router serving `/write`, `/query`, `/downsample`, `/anomalies`, `/anomalies/live` and `/health`.
    public func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.get("health") { _, _ -> String in "ok\n" }
        router.post("write") { request, context in try await write(request, context: context) }
        router.get("query") { request, _ in try await query(request) }
        router.get("downsample") { request, _ in try await downsample(request) }
        router.get("anomalies") { request, _ in try await anomalies(request) }
        router.get("anomalies/live") { _, _ in try liveAnomalies() }
        return router
    }

    // MARK: Handlers

    /// `POST /write?precision=ns|us|ms|s&device_tag=host`: stores the body's points and
    /// answers 204 only once `Store.append` has returned, that is (with the default
    /// `everyBatch` durability) once they are fsynced in the write-ahead log.
    func write(_ request: Request, context: BasicRequestContext) async throws -> Response {
        let parameters = request.uri.queryParameters
        var parser = LineProtocolParser()
        if let text = parameters["precision"] {
            guard let precision = LineProtocolParser.Precision(rawValue: String(text)) else {
                throw APIError(.badRequest, "precision must be ns, us, ms or s, not \(text)")
            }
            parser.precision = precision
        }
        if let tag = parameters["device_tag"] { parser.deviceTag = String(tag) }

        let body = try await request.body.collect(upTo: maximumBodyBytes)
        // Parsing is quick and never blocks, so it stays on the request's task.
        let batch: WriteBatch
        do {
            batch = try body.withUnsafeReadableBytes { bytes in try parser.parse(bytes, file: "body").batch }
        } catch let error as RowError {
            // A type conflict between two lines of the body is reported here too (400, with
            // both lines named): the parser gives no separate error kind for it.
            throw APIError(error)
        }
        // A body naming a device of another shard is refused whole: storing part of it
        // would leave the client unsure what to send where.
        if let shard, let stranger = batch.seriesKeys.first(where: { !shard.owns($0.device) }) {
            throw shard.misdirected(stranger.device)
        }
        try await onStore { store in try store.append(batch) }
        live?.observe(batch)
        return Response(status: .noContent)
    }

    /// `GET /query?device=&metric=&from=&to=`: the points of one series in `[from, to)`, as
    /// `{"device", "metric", "type", "points": [[timestamp_ms, value], ...]}` (see ``JSONText``
    /// for how values are written; `type` is null for a series the store does not know).
    func query(_ request: Request) async throws -> Response {
        let parameters = request.uri.queryParameters
        let (device, metric) = try series(parameters)
        let (from, to) = try Self.range(parameters)
        let points = try await onStore { store in try store.query(device: device, metric: metric, from: from, to: to) }

        var json = JSONText(capacity: 64 + points.count * 32)
        Self.header(&json, device: device, metric: metric, type: points.type)
        json.raw(",\"points\":[")
        for index in points.indices {
            if index > 0 { json.raw(",") }
            json.raw("[")
            json.integer(points.timestamps[index])
            json.raw(",")
            json.value(points[index].value)
            json.raw("]")
        }
        json.raw("]}\n")
        return Response.json(json.text)
    }

    /// `GET /downsample?device=&metric=&step=1h&from=&to=&agg=min,max,mean,count`: one object
    /// per bucket with at least one point, `{"start": ms, "min": ..., ...}`. `min`, `max`,
    /// `first` and `last` keep the series' type; `mean`, `sum` and `stddev` are Float64
    /// (null when the bucket holds only NaNs); `count` is an integer.
    func downsample(_ request: Request) async throws -> Response {
        let parameters = request.uri.queryParameters
        let (device, metric) = try series(parameters)
        let (from, to) = try Self.range(parameters)
        let step = try Self.duration(parameters, "step", default: "1h")
        let aggregates = try (parameters["agg"].map(String.init) ?? "min,max,mean,count")
            .split(separator: ",").map { name in
                guard let aggregate = Aggregate(rawValue: String(name)) else {
                    let known = Aggregate.namedCases.map(\.rawValue).joined(separator: ", ")
                    throw APIError(.badRequest, "unknown aggregate \(name); known: \(known), and percentiles p0 … p100 (p95, p99.9)")
                }
                return aggregate
            }
        var options = DownsampleOptions(step: step, from: from, to: to)
        // Percentiles and counters are computed only when asked for.
        options.aggregates = aggregates
        let request = options
        let result = try await onStore { store in try store.downsample(device: device, metric: metric, options: request) }

        var json = JSONText(capacity: 128 + result.buckets.count * 24 * (aggregates.count + 1))
        Self.header(&json, device: device, metric: metric, type: result.type)
        json.raw(",\"step\":")
        json.integer(step)
        json.raw(",\"buckets\":[")
        for (index, bucket) in result.buckets.enumerated() {
            json.raw(index == 0 ? "{" : ",{")
            json.key("start")
            json.integer(bucket.start)
            for aggregate in aggregates {
                json.raw(",")
                json.key(aggregate.rawValue)
                switch aggregate {
                case .min: json.value(bucket.minimum)
                case .max: json.value(bucket.maximum)
                case .first: json.value(bucket.first)
                case .last: json.value(bucket.last)
                case .count: json.integer(bucket.count)
                case .mean, .sum, .stddev, .percentile, .increase, .rate:
                    // An exact integer (an Int64 sum or increase, a percentile on a value) keeps every digit.
                    switch result.buckets.value(aggregate, at: index) {
                    case .integer(let integer): json.integer(integer)
                    case .float(let number): json.number(number)
                    case nil: json.raw("null")
                    }
                }
            }
            json.raw("}")
        }
        json.raw("]}\n")
        return Response.json(json.text)
    }

    /// `GET /anomalies?device=&metric=&detector=&window=1h&threshold=4&from=&to=`: the
    /// windows in which the series misbehaved, `{"start", "end", "peak_time", "peak", "score",
    /// "magnitude", "kind", "points"}`.
    ///
    /// Without `detector` (or with `automatic`), the automatic detector, which learns the
    /// series' own level, spread, runs and sampling (optional `sensitivity`, in (0, 1),
    /// default 0.5; `window` and `threshold` are refused). Explicit detectors and their
    /// parameters: `zscore` and `robust` (`window`, `threshold` in deviations), `above` and
    /// `below` (`threshold`, the limit), `rate` (`threshold`, units per second), `flatline`
    /// (`window`, the shortest stuck stretch), `silence` (`window`, the longest allowed
    /// gap). Optional for all: `merge_gap` and `min_duration`, durations.
    func anomalies(_ request: Request) async throws -> Response {
        let parameters = request.uri.queryParameters
        let (device, metric) = try series(parameters)
        let (from, to) = try Self.range(parameters)
        let name = parameters["detector"].map(String.init) ?? "automatic"
        func threshold(_ fallback: Double) throws -> Double {
            guard let text = parameters["threshold"] else { return fallback }
            guard let value = Double(String(text)), value.isFinite else {
                throw APIError(.badRequest, "threshold must be a finite number, not \(text)")
            }
            return value
        }
        let detector: AnomalyDetector
        switch name {
        case "automatic":
            guard parameters["threshold"] == nil, parameters["window"] == nil else {
                throw APIError(.badRequest, "the automatic detector takes no window or threshold (it learns them); give sensitivity, or name a detector")
            }
            var settings = AutomaticSettings.standard
            if let text = parameters["sensitivity"] {
                guard let value = Double(String(text)), value > 0, value < 1 else {
                    throw APIError(.badRequest, "sensitivity must be a number between 0 and 1 (excluded), not \(text)")
                }
                settings.sensitivity = value
            }
            detector = .automatic(settings)
        case "zscore": detector = .zScore(window: try Self.duration(parameters, "window", default: "1h"), threshold: try threshold(4))
        case "robust": detector = .robust(window: try Self.duration(parameters, "window", default: "1h"), threshold: try threshold(4))
        case "above", "below":
            guard parameters["threshold"] != nil else { throw APIError(.badRequest, "detector \(name) needs a threshold") }
            detector = name == "above" ? .above(try threshold(0)) : .below(try threshold(0))
        case "rate":
            guard parameters["threshold"] != nil else { throw APIError(.badRequest, "detector rate needs a threshold (units per second)") }
            detector = .rateOfChange(perSecond: try threshold(0))
        case "flatline": detector = .flatline(minimumDuration: try Self.duration(parameters, "window", default: "1h"))
        case "silence": detector = .silence(maximumGap: try Self.duration(parameters, "window", default: "1h"))
        default:
            throw APIError(.badRequest, "unknown detector \(name); known: automatic (the default), zscore, robust, above, below, rate, flatline, silence")
        }
        var options = AnomalyOptions(detector: detector, from: from, to: to)
        if parameters["merge_gap"] != nil { options.mergeGap = try Self.duration(parameters, "merge_gap", default: "0ms") }
        if parameters["min_duration"] != nil { options.minimumDuration = try Self.duration(parameters, "min_duration", default: "0ms") }
        let finalOptions = options
        let windows = try await onStore { store in try store.anomalies(device: device, metric: metric, options: finalOptions) }

        var json = JSONText(capacity: 128 + windows.count * 160)
        json.raw("{")
        json.key("device")
        json.string(device)
        json.raw(",")
        json.key("metric")
        json.string(metric)
        json.raw(",")
        json.key("detector")
        json.string(name)
        json.raw(",\"windows\":[")
        for (index, window) in windows.enumerated() {
            if index > 0 { json.raw(",") }
            Self.window(&json, window)
        }
        json.raw("]}\n")
        return Response.json(json.text)
    }

    /// `GET /anomalies/live`: what the live monitor has seen so far, `{"detector",
    /// "series_watched", "late_points_ignored", "points_refused", "open": [...],
    /// "recent_closed": [...], "recent_closed_limit"}`. Each window is written as by
    /// `/anomalies`, with its `device` and `metric`; `open` holds each series' open window
    /// as it was when it opened (sorted by series), `recent_closed` the most recent closed
    /// windows, oldest first. 404 when live detection is off.
    func liveAnomalies() throws -> Response {
        guard let live else { throw APIError(.notFound, "live anomaly detection is off (--live-anomalies off)") }
        let (open, recent) = live.snapshot()
        var json = JSONText(capacity: 256 + (open.count + recent.count) * 200)
        json.raw("{")
        json.key("detector")
        if case .automatic = live.monitor.options.detector { json.string("automatic") } else { json.string("explicit") }
        json.raw(",")
        json.key("series_watched")
        json.integer(live.monitor.seriesCount)
        json.raw(",")
        json.key("late_points_ignored")
        json.integer(live.monitor.latePointsIgnored)
        json.raw(",")
        json.key("points_refused")
        json.integer(live.monitor.pointsRefused)
        for (name, entries) in [("open", open), ("recent_closed", recent)] {
            json.raw(",")
            json.key(name)
            json.raw("[")
            for (index, entry) in entries.enumerated() {
                if index > 0 { json.raw(",") }
                Self.window(&json, entry.window, series: entry.series)
            }
            json.raw("]")
        }
        json.raw(",")
        json.key("recent_closed_limit")
        json.integer(live.recentLimit)
        json.raw("}\n")
        return Response.json(json.text)
    }

    /// One window as a JSON object, led by its series when given.
    private static func window(_ json: inout JSONText, _ window: AnomalyWindow, series: SeriesKey? = nil) {
        json.raw("{")
        if let series {
            json.key("device")
            json.string(series.device)
            json.raw(",")
            json.key("metric")
            json.string(series.metric)
            json.raw(",")
        }
        json.raw("\"start\":")
        json.integer(window.start)
        json.raw(",\"end\":")
        json.integer(window.end)
        json.raw(",\"peak_time\":")
        json.integer(window.peakTime)
        json.raw(",\"peak\":")
        json.number(window.peak)
        json.raw(",\"score\":")
        json.number(window.score)
        json.raw(",\"magnitude\":")
        json.number(window.magnitude)
        json.raw(",\"kind\":")
        json.string(window.kind.rawValue)
        json.raw(",\"points\":")
        json.integer(window.points)
        json.raw("}")
    }

    // MARK: Helpers

    /// Runs `work` on the store's threads, turning store errors into HTTP answers.
    private func onStore<Result: Sendable>(_ work: @escaping @Sendable (Store) throws -> Result) async throws -> Result {
        do {
            return try await workers.run { store in try work(store) }
        } catch let error as StrataError {
            throw APIError(error)
        } catch is NIOThreadPoolError.ThreadPoolInactive {
            throw APIError(.serviceUnavailable, "the service is shutting down")
        }
    }

    private static func header(_ json: inout JSONText, device: String, metric: String, type: ValueType?) {
        json.raw("{")
        json.key("device")
        json.string(device)
        json.raw(",")
        json.key("metric")
        json.string(metric)
        json.raw(",")
        json.key("type")
        if let type { json.string(type.description) } else { json.raw("null") }
    }

    /// The series a read names; a device of another shard is misdirected (its points are not here).
    private func series(_ parameters: FlatDictionary<Substring, Substring>) throws -> (device: String, metric: String) {
        guard let device = parameters["device"], !device.isEmpty else { throw APIError(.badRequest, "the device parameter is missing") }
        guard let metric = parameters["metric"], !metric.isEmpty else { throw APIError(.badRequest, "the metric parameter is missing") }
        if let shard, !shard.owns(String(device)) { throw shard.misdirected(String(device)) }
        return (String(device), String(metric))
    }

    /// `from` (included) and `to` (excluded), as epoch milliseconds or RFC 3339; everything by default.
    private static func range(_ parameters: FlatDictionary<Substring, Substring>) throws -> (from: Int64, to: Int64) {
        func time(_ name: String, default fallback: Int64) throws -> Int64 {
            guard let text = parameters[Substring(name)] else { return fallback }
            guard let time = TimeText.parse(String(text)) else {
                throw APIError(.badRequest, "\(name) must be epoch milliseconds or an RFC 3339 time, not \(text)")
            }
            return time
        }
        let range = (from: try time("from", default: .min), to: try time("to", default: .max))
        guard range.from < range.to else { throw APIError(.badRequest, "the range is empty: from is not before to") }
        return range
    }

    private static func duration(_ parameters: FlatDictionary<Substring, Substring>, _ name: String, default fallback: String) throws -> Int64 {
        let text = parameters[Substring(name)].map(String.init) ?? fallback
        if text == "0ms" { return 0 }
        guard let milliseconds = DurationText.parseMilliseconds(text) else {
            throw APIError(.badRequest, "\(name) must be a duration such as 500ms, 30s, 15m, 1h or 1d, not \(text)")
        }
        return milliseconds
    }
}
