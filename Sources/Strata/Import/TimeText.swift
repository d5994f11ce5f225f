/// Timestamps as text: epoch milliseconds or RFC 3339, the forms `strata` and the
/// importers accept; public so that a service embedding Strata accepts the same.
///
/// Calendar arithmetic uses the proleptic Gregorian calendar in UTC through
/// the days-from-civil conversion described by Howard Hinnant
/// ("chrono-Compatible Low-Level Date Algorithms"), so dates before 1970
/// and far in the future are exact, with no time zone database involved.
public enum TimeText {
    /// Parses epoch milliseconds (`1425168000000`, `-86400000`) or an RFC 3339
    /// date-time (`2015-03-01T00:00:00Z`, `2015-03-01T01:00:00.250+01:00`; a
    /// space may replace the `T`, and a bare date `2015-03-01` means midnight UTC).
    public static func parse(_ text: String) -> Int64? {
        var copy = text
        return copy.withUTF8 { parse(UnsafeRawBufferPointer($0)) }
    }

    /// ``parse(_:)-(String)`` on UTF-8 bytes, for importers that read spans of their input.
    package static func parse(_ bytes: UnsafeRawBufferPointer) -> Int64? {
        if let milliseconds = NumberText.parseInt64(bytes) { return milliseconds }
        // A date has at least 10 bytes (`2015-03-01`); anything shorter is a bad number.
        guard bytes.count >= 10 else { return nil }
        return parseRFC3339(bytes)
    }

    private static func parseRFC3339(_ bytes: UnsafeRawBufferPointer) -> Int64? {
        var position = 0
        func number(_ digits: Int) -> Int64? {
            guard position + digits <= bytes.count else { return nil }
            var value: Int64 = 0
            for _ in 0..<digits {
                let digit = Int64(bytes[position]) - 48
                guard (0...9).contains(digit) else { return nil }
                value = value * 10 + digit
                position += 1
            }
            return value
        }
        func expect(_ byte: UInt8) -> Bool {
            guard position < bytes.count, bytes[position] == byte else { return false }
            position += 1
            return true
        }
        var negativeYear = false
        if bytes.first == 0x2D { negativeYear = true; position = 1 }
        guard var year = number(4), expect(0x2D), let month = number(2), expect(0x2D), let day = number(2) else { return nil }
        if negativeYear { year = -year }
        guard (1...12).contains(month), (1...daysInMonth(year: year, month: month)).contains(day) else { return nil }
        var milliseconds = daysFromCivil(year: year, month: month, day: day) * Milliseconds.day
        if position == bytes.count { return milliseconds }

        guard position < bytes.count, bytes[position] == 0x54 || bytes[position] == 0x74 || bytes[position] == 0x20 else { return nil }
        position += 1
        guard let hour = number(2), expect(0x3A), let minute = number(2), expect(0x3A), let second = number(2),
              hour < 24, minute < 60, second < 61
        else { return nil }
        milliseconds += ((hour * 60 + minute) * 60 + min(second, 59)) * 1000
        if expect(0x2E) {
            // Fractions beyond milliseconds are truncated toward the past.
            var scale: Int64 = 100
            var digits = 0
            while position < bytes.count, (0x30...0x39).contains(bytes[position]) {
                milliseconds += Int64(bytes[position] - 0x30) * scale
                scale /= 10
                digits += 1
                position += 1
            }
            guard digits > 0 else { return nil }
        }
        guard position < bytes.count else { return milliseconds }  // no zone: UTC
        if expect(0x5A) || expect(0x7A) { return position == bytes.count ? milliseconds : nil }
        guard bytes[position] == 0x2B || bytes[position] == 0x2D else { return nil }
        let sign: Int64 = bytes[position] == 0x2B ? 1 : -1
        position += 1
        guard let offsetHours = number(2), expect(0x3A), let offsetMinutes = number(2), position == bytes.count,
              offsetHours < 24, offsetMinutes < 60
        else { return nil }
        return milliseconds - sign * (offsetHours * 60 + offsetMinutes) * 60_000
    }

    /// Formats epoch milliseconds as RFC 3339 in UTC: `2015-03-01T00:00:00Z`,
    /// with `.250` when the milliseconds are not zero.
    public static func format(_ milliseconds: Int64) -> String {
        let (days, remainder) = floorDivision(milliseconds, Milliseconds.day)
        let (year, month, day) = civilFromDays(days)
        let hour = remainder / 3_600_000, minute = remainder / 60_000 % 60, second = remainder / 1000 % 60
        let millis = remainder % 1000
        var text = pad(year, 4) + "-" + pad(month, 2) + "-" + pad(day, 2)
        text += "T" + pad(hour, 2) + ":" + pad(minute, 2) + ":" + pad(second, 2)
        if millis != 0 { text += "." + pad(millis, 3) }
        return text + "Z"
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let digits = String(value.magnitude)
        return (value < 0 ? "-" : "") + String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    private static func floorDivision(_ a: Int64, _ b: Int64) -> (Int64, Int64) {
        let quotient = a / b, remainder = a % b
        return remainder < 0 ? (quotient - 1, remainder + b) : (quotient, remainder)
    }

    static func isLeap(_ year: Int64) -> Bool { year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) }

    static func daysInMonth(year: Int64, month: Int64) -> Int64 {
        switch month {
        case 2: isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date.
    static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = (shiftedYear >= 0 ? shiftedYear : shiftedYear - 399) / 400
        let yearOfEra = shiftedYear - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The proleptic Gregorian date of a day count since 1970-01-01.
    static func civilFromDays(_ days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
