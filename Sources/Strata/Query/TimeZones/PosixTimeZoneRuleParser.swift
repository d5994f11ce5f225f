/// Reads a POSIX `TZ` string (POSIX.1-2017 section 8.3) as RFC 8536 section
/// 3.3 uses it in a TZif footer:
///
/// ```
/// std offset [dst [offset] [,start[/time],end[/time]]]
/// ```
///
/// Names are three or more letters or `<...>` quoted (letters, digits, `+`,
/// `-`). Offsets are `[+-]hh[:mm[:ss]]`, west-positive, hours 0...24.
/// Days are `Jn` (1...365), `n` (0...365) or `Mm.w.d`. Times default to
/// 02:00:00 and, per RFC 8536 section 3.3.1, take hours -167...167. A daylight
/// offset defaults to one hour ahead of standard time. Anything else, or a
/// daylight name without a rule, is an error: a footer must be exact.
struct PosixTimeZoneRuleParser {
    private let text: [UInt8]
    private var position = 0

    /// Parses `text`; the error (code `.corruptFile`) says what is wrong and where.
    static func parse(_ text: [UInt8]) throws(StrataError) -> PosixTimeZoneRule {
        var parser = PosixTimeZoneRuleParser(text: text)
        return try parser.rule()
    }

    private init(text: [UInt8]) {
        self.text = text
    }

    private mutating func rule() throws(StrataError) -> PosixTimeZoneRule {
        try name()
        let standardOffset = -(try clock(hourLimit: 24, what: "standard offset"))
        if position == text.count { return PosixTimeZoneRule(standardOffset: standardOffset, daylight: nil) }
        try name()
        var daylightOffset = standardOffset + 3600
        if position < text.count, text[position] != UInt8(ascii: ",") {
            daylightOffset = -(try clock(hourLimit: 24, what: "daylight offset"))
        }
        guard position < text.count else { throw failure("a daylight-saving name without a rule for when it applies") }
        try expect(",")
        let start = try change()
        try expect(",")
        let end = try change()
        guard position == text.count else { throw failure("unexpected text after the end rule") }
        return PosixTimeZoneRule(
            standardOffset: standardOffset,
            daylight: .init(offset: daylightOffset, start: start, end: end))
    }

    /// A zone abbreviation: `<...>` or three or more letters. Its text is not kept.
    private mutating func name() throws(StrataError) {
        if position < text.count, text[position] == UInt8(ascii: "<") {
            position += 1
            let begin = position
            while position < text.count, Self.isQuotedNameByte(text[position]) { position += 1 }
            guard position < text.count, text[position] == UInt8(ascii: ">"), position > begin else {
                throw failure("a '<' name that is empty, unterminated or holds a byte other than letters, digits, '+' or '-'")
            }
            position += 1
            return
        }
        let begin = position
        while position < text.count, Self.isLetter(text[position]) { position += 1 }
        guard position - begin >= 3 else { throw failure("a zone name of fewer than three letters") }
    }

    /// A day and an optional `/time`.
    private mutating func change() throws(StrataError) -> PosixTimeZoneRule.Change {
        let day = try self.day()
        var time: Int64 = 7200
        if position < text.count, text[position] == UInt8(ascii: "/") {
            position += 1
            time = try clock(hourLimit: 167, what: "transition time")
        }
        return .init(day: day, time: time)
    }

    private mutating func day() throws(StrataError) -> PosixTimeZoneRule.Day {
        guard position < text.count else { throw failure("a rule that ends before its day") }
        switch text[position] {
        case UInt8(ascii: "J"):
            position += 1
            return .julian(try number(in: 1...365, what: "Julian day"))
        case UInt8(ascii: "M"):
            position += 1
            let month = try number(in: 1...12, what: "month")
            try expect(".")
            let week = try number(in: 1...5, what: "week")
            try expect(".")
            let weekday = try number(in: 0...6, what: "weekday")
            return .monthWeekday(month: month, week: week, weekday: weekday)
        default:
            return .zeroBased(try number(in: 0...365, what: "day of the year"))
        }
    }

    /// `[+-]hh[:mm[:ss]]` in seconds, hours at most `hourLimit`.
    private mutating func clock(hourLimit: Int64, what: String) throws(StrataError) -> Int64 {
        var sign: Int64 = 1
        if position < text.count, text[position] == UInt8(ascii: "+") || text[position] == UInt8(ascii: "-") {
            if text[position] == UInt8(ascii: "-") { sign = -1 }
            position += 1
        }
        var seconds = try number(in: 0...hourLimit, what: what + " hours") * 3600
        if position < text.count, text[position] == UInt8(ascii: ":") {
            position += 1
            seconds += try number(in: 0...59, what: what + " minutes") * 60
            if position < text.count, text[position] == UInt8(ascii: ":") {
                position += 1
                seconds += try number(in: 0...59, what: what + " seconds")
            }
        }
        return sign * seconds
    }

    /// Decimal digits (at most three) whose value lies in `range`.
    private mutating func number(in range: ClosedRange<Int64>, what: String) throws(StrataError) -> Int64 {
        let begin = position
        var value: Int64 = 0
        while position < text.count, position - begin < 3, text[position] >= UInt8(ascii: "0"), text[position] <= UInt8(ascii: "9") {
            value = value * 10 + Int64(text[position] - UInt8(ascii: "0"))
            position += 1
        }
        guard position > begin else { throw failure("expected digits for the \(what)") }
        guard range.contains(value) else { throw failure("\(what) \(value) is outside \(range.lowerBound)...\(range.upperBound)") }
        return value
    }

    private mutating func expect(_ character: Unicode.Scalar) throws(StrataError) {
        guard position < text.count, text[position] == UInt8(ascii: character) else {
            throw failure("expected '\(character)'")
        }
        position += 1
    }

    private func failure(_ problem: String) -> StrataError {
        let shown = String(decoding: text.prefix(80), as: UTF8.self).debugDescription
        return StrataError(.corruptFile, "footer TZ string \(shown): \(problem) at character \(position)")
    }

    private static func isLetter(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")) || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
    }

    private static func isQuotedNameByte(_ byte: UInt8) -> Bool {
        isLetter(byte) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
            || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-")
    }
}
