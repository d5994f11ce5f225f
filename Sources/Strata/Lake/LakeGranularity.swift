/// How much time one partition of a lake holds (see ``LakeSync``): a UTC
/// day, month or year per device. A day suits readings every second or
/// minute; sparse or hourly data makes a day's file small, and engines such
/// as Spark and DuckDB spend more on listing and opening many small files
/// than on reading them: a month or a year then serves better.
public enum LakeGranularity: String, Sendable, CaseIterable {
    /// `date=YYYY-MM-DD`: one UTC day.
    case day
    /// `month=YYYY-MM`: one UTC calendar month.
    case month
    /// `year=YYYY`: one UTC calendar year.
    case year

    /// The code stored in sync state.
    var code: UInt8 {
        switch self {
        case .day: 1
        case .month: 2
        case .year: 3
        }
    }

    init?(code: UInt8) {
        guard let found = Self.allCases.first(where: { $0.code == code }) else { return nil }
        self = found
    }

    /// The partition holding UTC day `day` (days since 1970-01-01), named by its first day.
    func partition(ofDay day: Int64) -> Int64 {
        switch self {
        case .day:
            return day
        case .month:
            let (year, month, _) = TimeText.civilFromDays(day)
            return TimeText.daysFromCivil(year: year, month: month, day: 1)
        case .year:
            let (year, _, _) = TimeText.civilFromDays(day)
            return TimeText.daysFromCivil(year: year, month: 1, day: 1)
        }
    }

    /// The partition holding `timestamp` (milliseconds since the epoch).
    func partition(of timestamp: Int64) -> Int64 {
        partition(ofDay: PartitionNaming.day(of: timestamp))
    }

    /// The first day of the partition after the one starting on `first`.
    func next(after first: Int64) -> Int64 {
        switch self {
        case .day:
            return first + 1
        case .month:
            let (year, month, _) = TimeText.civilFromDays(first)
            return month == 12 ? TimeText.daysFromCivil(year: year + 1, month: 1, day: 1) : TimeText.daysFromCivil(year: year, month: month + 1, day: 1)
        case .year:
            let (year, _, _) = TimeText.civilFromDays(first)
            return TimeText.daysFromCivil(year: year + 1, month: 1, day: 1)
        }
    }

    /// The timestamps of the partition starting on day `first`: from its
    /// first millisecond to the next partition's, both clamped to Int64
    /// (the first and last partitions of time are cut by its ends).
    func timeRange(ofPartition first: Int64) -> (from: Int64, to: Int64) {
        (Self.startOfDay(first), Self.startOfDay(next(after: first)))
    }

    /// The first millisecond of `day`, clamped to Int64.
    static func startOfDay(_ day: Int64) -> Int64 {
        let (start, overflow) = day.multipliedReportingOverflow(by: Milliseconds.day)
        return overflow ? (day < 0 ? .min : .max) : start
    }

    /// The partition's directory: `date=2024-03-07`, `month=2024-03` or
    /// `year=2024` (dates as ``PartitionNaming/date(ofDay:)`` writes them).
    func directoryName(ofPartition first: Int64) -> String {
        let date = PartitionNaming.date(ofDay: first)
        switch self {
        case .day: return "date=" + date
        case .month: return "month=" + date.dropLast(3)
        case .year: return "year=" + date.dropLast(6)
        }
    }

    /// The partition's name in a Parquet file's key/value metadata: `strata.date`, `strata.month` or `strata.year`.
    func metadata(ofPartition first: Int64) -> (key: String, value: String) {
        let directory = directoryName(ofPartition: first)
        let equals = directory.firstIndex(of: "=")!
        return ("strata." + directory[..<equals], String(directory[directory.index(after: equals)...]))
    }
}

extension LakeGranularity {
    /// The partition a directory of this granularity names (the inverse of
    /// ``directoryName(ofPartition:)``), nil for any other name.
    func partition(ofDirectoryName name: String) -> Int64? {
        let prefix: String
        switch self {
        case .day: prefix = "date="
        case .month: prefix = "month="
        case .year: prefix = "year="
        }
        guard name.hasPrefix(prefix) else { return nil }
        var text = Substring(name.dropFirst(prefix.count))
        var sign: Int64 = 1
        if text.first == "-" || text.first == "+" {
            if text.first == "-" { sign = -1 }
            text = text.dropFirst()
        }
        let fields = text.split(separator: "-", omittingEmptySubsequences: false)
        let expected = self == .day ? 3 : self == .month ? 2 : 1
        guard fields.count == expected, fields.allSatisfy({ !$0.isEmpty && $0.utf8.count <= 18 && $0.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } }),
              let year = Int64(fields[0]) else { return nil }
        let month = expected >= 2 ? Int64(fields[1])! : 1
        let day = expected == 3 ? Int64(fields[2])! : 1
        guard (1...12).contains(month), (1...31).contains(day) else { return nil }
        let first = TimeText.daysFromCivil(year: sign * year, month: month, day: day)
        // Only the exact text this granularity writes names a partition.
        return directoryName(ofPartition: first) == name && partition(ofDay: first) == first ? first : nil
    }

    /// For each partition, the row range of each series falling in it (points sorted by time).
    func rowsByPartition(_ series: [SeriesPoints]) -> [(first: Int64, slices: [(series: Int, rows: Range<Int>)])] {
        var partitions: [Int64: [(series: Int, rows: Range<Int>)]] = [:]
        for (position, points) in series.enumerated() {
            var start = 0
            while start < points.count {
                let first = partition(of: points.timestamps[start])
                // The first point of a later partition, by binary search on the partition itself
                // (a partition's end can pass Int64.max).
                var end = start + 1, high = points.count
                while end < high {
                    let middle = end + (high - end) / 2
                    if partition(of: points.timestamps[middle]) == first { end = middle + 1 } else { high = middle }
                }
                partitions[first, default: []].append((position, start..<end))
                start = end
            }
        }
        return partitions.map { ($0.key, $0.value) }.sorted { $0.first < $1.first }
    }
}
