import Foundation
import Strata

/// A one-line progress display on standard error, redrawn in place: a bar,
/// the share done, the rate, the elapsed time and an estimate of what is
/// left. It draws only when standard error is a terminal, so scripts and
/// logs get the plain summary alone.
final class ProgressBar {
    private let label: String
    private let unit: String
    private let enabled: Bool
    private let started = Date()
    private var lastDraw = Date.distantPast
    private var drawn = false

    init(label: String, unit: String) {
        self.label = label
        self.unit = unit
        enabled = StandardStream.error.isTerminal
    }

    /// Shows `done` of `total` units; redraws at most ten times a second.
    func update(done: Int, total: Int, detail: String = "") {
        guard enabled else { return }
        let now = Date()
        guard done >= total || now.timeIntervalSince(lastDraw) >= 0.1 else { return }
        lastDraw = now
        let elapsed = now.timeIntervalSince(started)
        let fraction = total > 0 ? min(1, Double(done) / Double(total)) : 0
        let width = 24
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        var line = "\(label) \(bar) \(Format.fixed(fraction * 100, 0))%  \(Format.count(done))/\(Format.count(total)) \(unit)"
        line += "  \(Format.rate(rate)) \(unit)/s  \(Format.seconds(elapsed))"
        if fraction > 0.01 && fraction < 1 { line += ", about \(Format.seconds(elapsed / fraction - elapsed)) left" }
        if !detail.isEmpty { line += "  \(detail)" }
        _ = try? StandardStream.error.write(Array(("\r\u{1B}[K" + line).utf8))
        drawn = true
    }

    /// Clears the line, leaving the terminal ready for the summary.
    func finish() {
        guard enabled && drawn else { return }
        _ = try? StandardStream.error.write(Array("\r\u{1B}[K".utf8))
    }
}
