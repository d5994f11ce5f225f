/// Lengths of time in milliseconds, the unit of every timestamp and duration
/// Strata takes: `RetentionPolicy(maximumAgeMilliseconds: 30 * Milliseconds.day)`.
///
/// Timestamps are UTC epoch milliseconds, so a day is always 86,400,000 of
/// them: UTC has no daylight saving time, and Strata, like Unix time, does
/// not count leap seconds.
public enum Milliseconds {
    /// 1,000 milliseconds.
    public static let second: Int64 = 1_000
    /// 60,000 milliseconds.
    public static let minute: Int64 = 60 * second
    /// 3,600,000 milliseconds.
    public static let hour: Int64 = 60 * minute
    /// 86,400,000 milliseconds: a UTC day.
    public static let day: Int64 = 24 * hour
    /// 604,800,000 milliseconds.
    public static let week: Int64 = 7 * day
}
