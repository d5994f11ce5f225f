import Strata

/// The points of a line-protocol body, grouped by series in the order they appear,
/// for the live anomaly monitor.
///
/// `WriteBatch` offers no way to read its points back, so the service reads the body
/// a second time, here, once `LineProtocolParser` has accepted it and `Store.append`
/// has stored it. The body is known to be valid then, so this reader reports no
/// errors; it names series exactly as the parser does with the settings the service
/// uses (metric `measurement.field`, the device from the device tag, other tags
/// ignored, `\,` `\ ` and, in tags and field keys, `\=` unescaped) and converts
/// timestamps to milliseconds the same way (rounded toward the past). Integer and
/// boolean fields become doubles (`Double(_:)`), as the anomaly scan reads an
/// integer series.
struct LinePoints {
    /// One series' points of the body, in body order.
    struct Series {
        var key: SeriesKey
        var timestamps: [Int64] = []
        var values: [Double] = []
    }

    /// The series in the order of their first point.
    private(set) var series: [Series] = []
    private var slots: [SeriesKey: Int] = [:]

    /// Points read in all.
    var count: Int { series.reduce(0) { $0 + $1.timestamps.count } }

    init(_ bytes: UnsafeRawBufferPointer, deviceTag: String, precision: LineProtocolParser.Precision) {
        let tag = Array(deviceTag.utf8)
        var lineStart = 0
        while lineStart < bytes.count {
            var lineEnd = lineStart
            while lineEnd < bytes.count, bytes[lineEnd] != UInt8(ascii: "\n") { lineEnd += 1 }
            readLine(bytes, lineStart..<lineEnd, deviceTag: tag, precision: precision)
            lineStart = lineEnd + 1
        }
    }

    private mutating func readLine(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, deviceTag: [UInt8], precision: LineProtocolParser.Precision) {
        var position = range.lowerBound
        var end = range.upperBound
        if position == 0, end >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { position = 3 }  // byte-order mark
        while position < end, bytes[position] == UInt8(ascii: " ") || bytes[position] == UInt8(ascii: "\t") { position += 1 }
        while end > position, Self.isTrailingSpace(bytes[end - 1]) { end -= 1 }
        guard position < end, bytes[position] != UInt8(ascii: "#") else { return }

        let measurementStart = position
        position = Self.scan(bytes, from: position, to: end, stopAtEquals: false)
        let measurement = Self.unescape(bytes, measurementStart..<position, equalsEscapable: false)
        var device: String?
        while position < end, bytes[position] == UInt8(ascii: ",") {
            let keyStart = position + 1
            position = Self.scan(bytes, from: keyStart, to: end, stopAtEquals: true)
            let key = keyStart..<position
            let valueStart = position + 1
            position = Self.scan(bytes, from: valueStart, to: end, stopAtEquals: true)
            if Self.unescape(bytes, key, equalsEscapable: true) == String(decoding: deviceTag, as: UTF8.self) {
                device = Self.unescape(bytes, valueStart..<position, equalsEscapable: true)
            }
        }
        while position < end, bytes[position] == UInt8(ascii: " ") { position += 1 }

        var fields: [(metric: String, value: Double)] = []
        while position < end {
            let keyStart = position
            position = Self.scan(bytes, from: keyStart, to: end, stopAtEquals: true)
            let field = Self.unescape(bytes, keyStart..<position, equalsEscapable: true)
            let valueStart = position + 1
            position = valueStart
            while position < end, bytes[position] != UInt8(ascii: ","), bytes[position] != UInt8(ascii: " ") { position += 1 }
            if let value = Self.value(bytes, valueStart..<position) { fields.append((measurement + "." + field, value)) }
            if position < end, bytes[position] == UInt8(ascii: ",") { position += 1; continue }
            break
        }
        while position < end, bytes[position] == UInt8(ascii: " ") { position += 1 }
        let timeText = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[position..<end]), as: UTF8.self)
        guard let device, let raw = Int64(timeText), let timestamp = Self.milliseconds(raw, precision: precision) else { return }
        for field in fields {
            let key = SeriesKey(device: device, metric: field.metric)
            let slot: Int
            if let known = slots[key] {
                slot = known
            } else {
                slot = series.count
                slots[key] = slot
                series.append(Series(key: key))
            }
            series[slot].timestamps.append(timestamp)
            series[slot].values.append(field.value)
        }
    }

    private static func isTrailingSpace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r")
    }

    /// A field value: float, `42i`, `42u`, or a boolean (1 or 0).
    private static func value(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> Double? {
        guard !range.isEmpty else { return nil }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self)
        switch text {
        case "t", "T", "true", "True", "TRUE": return 1
        case "f", "F", "false", "False", "FALSE": return 0
        default: break
        }
        if text.hasSuffix("i") || text.hasSuffix("u") {
            return Int64(text.dropLast()).map { Double($0) }
        }
        return Double(text)
    }

    /// Milliseconds of a timestamp in `precision` units, rounded toward the past.
    private static func milliseconds(_ value: Int64, precision: LineProtocolParser.Precision) -> Int64? {
        func floorDivide(_ value: Int64, _ divisor: Int64) -> Int64 {
            let quotient = value / divisor
            return value % divisor < 0 ? quotient - 1 : quotient
        }
        switch precision {
        case .nanoseconds: return floorDivide(value, 1_000_000)
        case .microseconds: return floorDivide(value, 1000)
        case .milliseconds: return value
        case .seconds:
            let (product, overflow) = value.multipliedReportingOverflow(by: 1000)
            return overflow ? nil : product
        }
    }

    /// The first unescaped comma or space (or equals sign, when asked) from `start`.
    private static func scan(_ bytes: UnsafeRawBufferPointer, from start: Int, to end: Int, stopAtEquals: Bool) -> Int {
        var index = start
        while index < end {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\\") { index += 2; continue }
            if byte == UInt8(ascii: ",") || byte == UInt8(ascii: " ") || (stopAtEquals && byte == UInt8(ascii: "=")) { return index }
            index += 1
        }
        return min(index, end)
    }

    /// The text of `range` without its escapes: `\,` and `\ ` always, `\=` where `equalsEscapable`.
    private static func unescape(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, equalsEscapable: Bool) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(range.count)
        var index = range.lowerBound
        while index < range.upperBound {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\\"), index + 1 < range.upperBound {
                let next = bytes[index + 1]
                if next == UInt8(ascii: ",") || next == UInt8(ascii: " ") || (equalsEscapable && next == UInt8(ascii: "=")) {
                    out.append(next)
                    index += 2
                    continue
                }
            }
            out.append(byte)
            index += 1
        }
        return String(decoding: out, as: UTF8.self)
    }
}
