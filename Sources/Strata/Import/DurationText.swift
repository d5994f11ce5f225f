/// Durations as text: a number and a unit, `500ms`, `30s`, `15m`, `1h`, `1d`, `1w`, as
/// `strata` reads them; public so that a service embedding Strata reads the same.
public enum DurationText {
    /// Milliseconds of `text`, or nil when it is not a positive duration.
    public static func parseMilliseconds(_ text: String) -> Int64? {
        let units: [(String, Int64)] = [("ms", 1), ("s", Milliseconds.second), ("m", Milliseconds.minute), ("h", Milliseconds.hour), ("d", Milliseconds.day), ("w", Milliseconds.week)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            let digits = text.dropLast(suffix.count)
            // "ms" also ends in "s": the longer unit is tried first, so "5ms" never reads as "5m" + "s".
            guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let count = Int64(digits), count > 0 else { continue }
            let (milliseconds, overflow) = count.multipliedReportingOverflow(by: scale)
            return overflow ? nil : milliseconds
        }
        return nil
    }
}

extension DurationText {
    /// A duration for people: `90 ms`, `45 s`, `12 min`, `3 h 20 min`, `2 d 4 h`.
    package static func describe(_ milliseconds: Int64) -> String {
        if milliseconds < 1000 { return "\(milliseconds) ms" }
        let seconds = milliseconds / 1000
        if seconds < 60 { return "\(seconds) s" }
        let minutes = seconds / 60
        if minutes < 60 { return "\(minutes) min" }
        let hours = minutes / 60
        if hours < 24 { return minutes % 60 == 0 ? "\(hours) h" : "\(hours) h \(minutes % 60) min" }
        return hours % 24 == 0 ? "\(hours / 24) d" : "\(hours / 24) d \(hours % 24) h"
    }
}
