/// The directory names of a partitioned Parquet export
/// (``PartitionedParquetExport``): `device=NAME` and `date=DATE`, each one
/// safe path component for any device name and any day a timestamp can fall on.
public enum PartitionNaming {
    /// Milliseconds in a UTC day.
    @available(*, deprecated, renamed: "Milliseconds.day")
    public static let millisecondsPerDay = Milliseconds.day

    /// The longest path component written, in bytes: the limit of Linux
    /// file systems (`NAME_MAX`) and of APFS.
    public static let componentByteLimit = 255

    /// The bytes of an escaped name kept before the hash in the short form.
    static let shortFormPrefixLimit = 200

    /// The UTC day `timestamp` (ms since the epoch) falls on, as days since
    /// 1970-01-01 (negative before it). Defined for every Int64.
    public static func day(of timestamp: Int64) -> Int64 {
        let quotient = timestamp / Milliseconds.day
        return timestamp % Milliseconds.day < 0 ? quotient - 1 : quotient
    }

    /// `date=` and the ISO 8601 calendar date of `day` (see ``date(ofDay:)``).
    public static func dateDirectory(day: Int64) -> String {
        "date=" + date(ofDay: day)
    }

    /// The proleptic Gregorian date of `day` (days since 1970-01-01) as ISO
    /// 8601 writes it: `YYYY-MM-DD` for years 0000 to 9999, and the expanded
    /// form beyond, a sign before the year: `+10000-01-01`, `-0001-12-31`
    /// (astronomical years: year 0 is 1 BC). Each day has its own text, and
    /// dates of the same sign and year length sort as text in time order.
    /// (<https://howardhinnant.github.io/date_algorithms.html>, `civil_from_days`.)
    public static func date(ofDay day: Int64) -> String {
        // Howard Hinnant's civil_from_days, as TimeText uses it: within Int64 for every day here.
        let (year, month, dayOfMonth) = TimeText.civilFromDays(day)
        var text: String
        if year < 0 {
            text = "-" + padded(year.magnitude, 4)
        } else if year > 9999 {
            text = "+" + String(year)
        } else {
            text = padded(year.magnitude, 4)
        }
        text += "-" + padded(UInt64(month), 2) + "-" + padded(UInt64(dayOfMonth), 2)
        return text
    }

    /// `device=` and the device's name as one safe path component: see
    /// ``escaped(_:)``, and the short form when that would pass
    /// ``componentByteLimit``: the first 200 bytes or fewer of the escaped
    /// name (never cutting a `%XX`), `~`, and the 16 hex digits of the
    /// 64-bit FNV-1a hash of the name's UTF-8 bytes. `~` is always escaped
    /// in a name, so a short form never equals another name's full form.
    public static func deviceDirectory(_ device: String) -> String {
        let name = escaped(device)
        if "device=".utf8.count + name.utf8.count <= componentByteLimit { return "device=" + name }
        var prefix = Substring(name)
        if prefix.utf8.count > shortFormPrefixLimit {
            // Escaped text is ASCII: bytes and characters line up.
            prefix = prefix.prefix(shortFormPrefixLimit)
            if let percent = prefix.suffix(2).firstIndex(of: "%") { prefix = prefix[..<percent] }
        }
        return "device=" + prefix + "~" + padded(fnv1a(device), 16, radix: 16)
    }

    /// Whether ``deviceDirectory(_:)`` shortens `device`'s name (and so
    /// different names could, in principle, share a directory).
    public static func isShortened(_ device: String) -> Bool {
        "device=".utf8.count + escaped(device).utf8.count > componentByteLimit
    }

    /// `name` as one safe path component: ASCII letters, digits, `-`, `_`
    /// and `.` (except as the first character, so `.` and `..` cannot
    /// appear) stay; every other byte of the UTF-8 form becomes `%XX`
    /// (uppercase hex).
    public static func escaped(_ name: String) -> String {
        var result = ""
        for (position, byte) in name.utf8.enumerated() {
            let isSafe = (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == 0x2D || byte == 0x5F || (byte == 0x2E && position > 0)
            if isSafe {
                result.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                result += "%" + padded(UInt64(byte), 2, radix: 16)
            }
        }
        return result
    }

    /// The 64-bit FNV-1a hash of `text`'s UTF-8 bytes
    /// (<http://www.isthe.com/chongo/tech/comp/fnv/>).
    static func fnv1a(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        return hash
    }

    private static func padded(_ value: UInt64, _ width: Int, radix: Int = 10) -> String {
        let digits = String(value, radix: radix, uppercase: true)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}
