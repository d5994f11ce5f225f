/// Proleptic Gregorian calendar arithmetic on day numbers (days since
/// 1970-01-01), exact for every day an `Int64` count of seconds can reach.
///
/// The conversions follow the era-based method Howard Hinnant describes in
/// "chrono-Compatible Low-Level Date Algorithms" (2013): shift the year to
/// start in March so the leap day is the last day of a year, then split time
/// into 400-year eras of 146 097 days. Written here from that description.
enum CivilCalendar {
    /// Seconds in a day.
    static let secondsPerDay: Int64 = 86_400

    /// `value / divisor` rounded toward negative infinity (`divisor > 0`).
    @inline(__always)
    static func floorDivide(_ value: Int64, _ divisor: Int64) -> Int64 {
        let quotient = value / divisor
        return (value % divisor < 0) ? quotient - 1 : quotient
    }

    /// `value` modulo `divisor`, in `0..<divisor` (`divisor > 0`).
    @inline(__always)
    static func floorModulo(_ value: Int64, _ divisor: Int64) -> Int64 {
        let remainder = value % divisor
        return remainder < 0 ? remainder + divisor : remainder
    }

    /// Whether `year` has a 29 February.
    static func isLeapYear(_ year: Int64) -> Bool {
        year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
    }

    /// The number of days in `month` (1...12) of `year`.
    static func daysInMonth(_ month: Int64, of year: Int64) -> Int64 {
        switch month {
        case 2: return isLeapYear(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// The day number of `year`-`month`-`day` (month 1...12, day 1...31).
    /// `|year|` must stay below about 10^14 so the products fit.
    static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = floorDivide(shiftedYear, 400)
        let yearOfEra = shiftedYear - era * 400  // 0...399
        let shiftedMonth = month > 2 ? month - 3 : month + 9  // March = 0
        let dayOfYear = (153 * shiftedMonth + 2) / 5 + day - 1  // 0...365
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468  // 719 468: 0000-03-01 to 1970-01-01
    }

    /// The calendar year containing day number `days`.
    static func year(containing days: Int64) -> Int64 {
        let shifted = days + 719_468
        let era = floorDivide(shifted, 146_097)
        let dayOfEra = shifted - era * 146_097  // 0...146096
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153  // March = 0
        let year = yearOfEra + era * 400
        return shiftedMonth >= 10 ? year + 1 : year  // January and February belong to the next year
    }

    /// The weekday of day number `days`: 0 = Sunday ... 6 = Saturday
    /// (1970-01-01 was a Thursday).
    static func weekday(of days: Int64) -> Int64 {
        floorModulo(days + 4, 7)
    }
}
