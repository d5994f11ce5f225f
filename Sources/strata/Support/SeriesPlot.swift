import Foundation
import Strata

/// Draws a series as an SVG chart: the min–max band and the mean of about
/// 600 buckets, anomaly windows shaded, time and value axes labelled; with
/// `scores`, a second track under it shows the detector's per-point score (the
/// highest in each column) against the alert threshold.
enum SeriesPlot {
    static let width = 1000.0, height = 420.0
    static let left = 78.0, right = 24.0, top = 44.0, bottom = 52.0
    /// The score track: its height and its distance below the series' plot (room for the time labels).
    static let trackHeight = 110.0, trackGap = 34.0
    /// Columns of the score track.
    static let scoreColumns = 600

    static func write(store: Store, series: SeriesKey, from: Int64, to: Int64, anomalies: [AnomalyWindow],
                      scores: AnomalyOptions? = nil, to path: String) throws {
        guard let range = try store.timeRange(device: series.device, metric: series.metric) else {
            throw CommandError(message: "\(series): nothing to plot")
        }
        let start = max(from, range.lowerBound)
        guard to > .min, start <= min(to == .max ? range.upperBound : to - 1, range.upperBound) else {
            throw CommandError(message: "\(series): no point in the range to plot")
        }
        let end = min(to == .max ? range.upperBound : to - 1, range.upperBound)
        // end - start can pass Int64.max (a series from Int64.min to Int64.max): unsigned, and Double for drawing.
        let distance = UInt64(bitPattern: end &- start)
        let span = Double(end) - Double(start) + 1
        var options = DownsampleOptions(step: Int64(distance / 600 + 1), from: start, to: end == .max ? .max : end + 1)
        // A range from Int64.min has no `from` to align to; epoch buckets then start there too (clamped).
        options.alignment = start == .min ? .epoch : .from
        let buckets = try store.downsample(device: series.device, metric: series.metric, options: options).buckets
            .filter { $0.valueCount > 0 }
        let lows = buckets.compactMap { $0.number(.min) }.filter(\.isFinite)
        let highs = buckets.compactMap { $0.number(.max) }.filter(\.isFinite)
        guard var low = lows.min(), var high = highs.max() else { throw CommandError(message: "\(series): no finite value to plot") }
        if low == high { low -= 1; high += 1 }
        let ticks = niceTicks(low, high)
        low = min(low, ticks.first!); high = max(high, ticks.last!)

        let plotWidth = width - left - right, plotHeight = height - top - bottom
        func x(_ time: Int64) -> Double { left + plotWidth * (Double(time) - Double(start)) / span }
        func y(_ value: Double) -> Double { top + plotHeight * (1 - (value - low) / (high - low)) }
        func f(_ value: Double) -> String { String(format: "%.1f", value) }

        let totalHeight = height + (scores == nil ? 0 : trackGap + trackHeight)
        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(totalHeight))" viewBox="0 0 \(Int(width)) \(Int(totalHeight))" font-family="Helvetica, Arial, sans-serif" font-size="12">
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(f(left))" y="24" font-size="16" font-weight="bold">\(escape(series.device)) / \(escape(series.metric))</text>
            <text x="\(f(width - right))" y="24" text-anchor="end" fill="#555">\(anomalies.count) anomaly window\(anomalies.count == 1 ? "" : "s") · \(escape(TimeText.format(start))) – \(escape(TimeText.format(end)))</text>

            """
        for window in anomalies where window.end > start && window.start <= end {
            let x0 = x(max(window.start, start)), x1 = max(x0 + 2, window.end > end ? left + plotWidth : x(window.end))
            svg += "<rect x=\"\(f(x0))\" y=\"\(f(top))\" width=\"\(f(x1 - x0))\" height=\"\(f(plotHeight))\" fill=\"#e53935\" fill-opacity=\"0.18\"><title>\(escape(TimeText.format(window.start))) – \(escape(TimeText.format(window.end))), \(window.kind.rawValue), score \(String(format: "%.2f", window.score))</title></rect>\n"
        }
        for tick in ticks {
            svg += "<line x1=\"\(f(left))\" x2=\"\(f(width - right))\" y1=\"\(f(y(tick)))\" y2=\"\(f(y(tick)))\" stroke=\"#e0e0e0\"/>\n"
            svg += "<text x=\"\(f(left - 8))\" y=\"\(f(y(tick) + 4))\" text-anchor=\"end\">\(escape(label(tick)))</text>\n"
        }
        for index in 0...5 {
            let time = fraction(index, of: 5, between: start, and: end)
            svg += "<line x1=\"\(f(x(time)))\" x2=\"\(f(x(time)))\" y1=\"\(f(top + plotHeight))\" y2=\"\(f(top + plotHeight + 5))\" stroke=\"#333\"/>\n"
            let text = span > 2 * Double(Milliseconds.day) ? date(time) : timeOfDay(time)
            // The end labels hang inward so they are not cut off at the edges.
            let anchor = index == 0 ? "start" : index == 5 ? "end" : "middle"
            svg += "<text x=\"\(f(x(time)))\" y=\"\(f(top + plotHeight + 20))\" text-anchor=\"\(anchor)\">\(escape(text))</text>\n"
        }
        // Min–max band, then the mean on top.
        var band = buckets.map { "\(f(x($0.start))),\(f(y($0.number(.max) ?? low)))" }
        band += buckets.reversed().map { "\(f(x($0.start))),\(f(y($0.number(.min) ?? low)))" }
        svg += "<polygon points=\"\(band.joined(separator: " "))\" fill=\"#1e88e5\" fill-opacity=\"0.25\" stroke=\"none\"/>\n"
        let mean = buckets.compactMap { bucket in bucket.mean.map { "\(f(x(bucket.start))),\(f(y($0)))" } }
        svg += "<polyline points=\"\(mean.joined(separator: " "))\" fill=\"none\" stroke=\"#1565c0\" stroke-width=\"1.4\"/>\n"
        if let scores {
            svg += try scoreTrack(store: store, series: series, options: scores, anomalies: anomalies, start: start, end: end, x: x)
        }
        svg += """
            <rect x="\(f(left))" y="\(f(top))" width="\(f(plotWidth))" height="\(f(plotHeight))" fill="none" stroke="#333"/>
            <text x="\(f(left + plotWidth / 2))" y="\(f(totalHeight - 10))" text-anchor="middle">time (UTC)\(span > 2 * Double(Milliseconds.day) ? "" : ", " + date(start))</text>
            <text transform="translate(18 \(f(top + plotHeight / 2))) rotate(-90)" text-anchor="middle">\(escape(series.metric))</text>
            <text x="\(f(width - right))" y="\(f(totalHeight - 10))" text-anchor="end" fill="#777" font-size="11">band: min–max per \(DurationText.describe(options.step)) · line: mean\(anomalies.isEmpty ? "" : " · red: anomalies")\(scores == nil ? "" : " · below: highest score per column, dashed: alert threshold")</text>
            </svg>

            """
        try writeFile(svg, to: path, store: store)
    }

    /// The score track drawn under the series: the highest score of the points
    /// in each of ``scoreColumns`` columns as a bar, the windows shaded, and
    /// the threshold above which a point is anomalous (1 − sensitivity for the
    /// automatic detector, 0.5 for the explicit ones). The scores are streamed:
    /// memory is the columns'.
    private static func scoreTrack(store: Store, series: SeriesKey, options: AnomalyOptions, anomalies: [AnomalyWindow],
                                   start: Int64, end: Int64, x: (Int64) -> Double) throws -> String {
        let plotWidth = width - left - right
        let trackTop = height - bottom + trackGap
        func y(_ score: Double) -> Double { trackTop + trackHeight * (1 - min(max(score, 0), 1)) }
        func f(_ value: Double) -> String { String(format: "%.1f", value) }
        var highest = [Double?](repeating: nil, count: scoreColumns)
        // Distances from the start as unsigned: the range may span all of Int64.
        let distance = Double(UInt64(bitPattern: end &- start)) + 1
        try store.anomalyScores(device: series.device, metric: series.metric, options: options) { point in
            guard point.time >= start, point.time <= end else { return }
            let offset = Double(UInt64(bitPattern: point.time &- start))
            let column = min(scoreColumns - 1, Int(offset / distance * Double(scoreColumns)))
            highest[column] = max(highest[column] ?? 0, point.score)
        }
        let threshold: Double
        if case .automatic(let settings) = options.detector { threshold = 1 - settings.sensitivity } else { threshold = 0.5 }
        var track = "<g id=\"score-track\">\n"
        for window in anomalies where window.end > start && window.start <= end {
            let x0 = x(max(window.start, start)), x1 = max(x0 + 2, window.end > end ? left + plotWidth : x(window.end))
            track += "<rect x=\"\(f(x0))\" y=\"\(f(trackTop))\" width=\"\(f(x1 - x0))\" height=\"\(f(trackHeight))\" fill=\"#e53935\" fill-opacity=\"0.18\"/>\n"
        }
        for tick in [0.0, 0.5, 1.0] {
            track += "<line x1=\"\(f(left))\" x2=\"\(f(width - right))\" y1=\"\(f(y(tick)))\" y2=\"\(f(y(tick)))\" stroke=\"#e0e0e0\"/>\n"
            track += "<text x=\"\(f(left - 8))\" y=\"\(f(y(tick) + 4))\" text-anchor=\"end\">\(label(tick))</text>\n"
        }
        var bars = ""
        for (column, score) in highest.enumerated() {
            guard let score else { continue }
            let center = left + plotWidth * (Double(column) + 0.5) / Double(scoreColumns)
            bars += "M\(f(center)) \(f(y(0)))V\(f(y(score)))"
        }
        if !bars.isEmpty {
            track += "<path class=\"score\" d=\"\(bars)\" stroke=\"#6a1b9a\" stroke-width=\"\(f(max(1, plotWidth / Double(scoreColumns))))\" fill=\"none\"/>\n"
        }
        track += "<line class=\"threshold\" x1=\"\(f(left))\" x2=\"\(f(width - right))\" y1=\"\(f(y(threshold)))\" y2=\"\(f(y(threshold)))\" stroke=\"#e53935\" stroke-dasharray=\"5 4\"><title>alert threshold \(label(threshold))</title></line>\n"
        track += "<rect x=\"\(f(left))\" y=\"\(f(trackTop))\" width=\"\(f(plotWidth))\" height=\"\(f(trackHeight))\" fill=\"none\" stroke=\"#333\"/>\n"
        track += "<text transform=\"translate(18 \(f(trackTop + trackHeight / 2))) rotate(-90)\" text-anchor=\"middle\">score</text>\n"
        return track + "</g>\n"
    }

    /// Writes `svg` to `path` whole or not at all (``ExportFile``), never
    /// inside the store; failures name the path and the reason.
    private static func writeFile(_ svg: String, to path: String, store: Store) throws {
        do throws(StrataError) {
            try ExportDestination.refuseInside(store: store.directory, destination: path)
        } catch {
            throw CommandError(message: "\(path): cannot write the plot: \(error.message)", status: ExitStatus.badInput)
        }
        do throws(StrataError) {
            let file = try ExportFile(path: path)
            try file.write(Array(svg.utf8))
            try file.commit()
        } catch {
            throw CommandError(message: "\(error.path ?? path): cannot write the plot: \(error.message)")
        }
    }

    /// The time `index`/`parts` of the way from `start` to `end`, without overflow.
    static func fraction(_ index: Int, of parts: Int, between start: Int64, and end: Int64) -> Int64 {
        let distance = UInt64(bitPattern: end &- start), count = UInt64(parts), share = UInt64(index)
        let offset = distance / count * share + distance % count * share / count
        return Int64(bitPattern: UInt64(bitPattern: start) &+ offset)
    }

    /// The UTC date of `time`, every year written whole (`+10000-01-01`).
    static func date(_ time: Int64) -> String {
        PartitionNaming.date(ofDay: PartitionNaming.day(of: time))
    }

    /// `HH:MM` of `time`, UTC.
    static func timeOfDay(_ time: Int64) -> String {
        let text = TimeText.format(time)
        guard let separator = text.firstIndex(of: "T") else { return text }
        return String(text[text.index(after: separator)...].prefix(5))
    }

    /// About five round tick values covering [low, high].
    static func niceTicks(_ low: Double, _ high: Double) -> [Double] {
        let raw = (high - low) / 5
        let magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 2.5, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
        var tick = floor(low / step) * step
        var ticks: [Double] = []
        while tick <= high + step * 0.5 && ticks.count < 12 {
            ticks.append(tick)
            tick += step
        }
        return ticks
    }

    static func label(_ value: Double) -> String {
        let text = String(format: "%.6g", value)
        return text == "-0" ? "0" : text
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
