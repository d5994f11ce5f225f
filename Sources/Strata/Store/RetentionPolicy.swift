/// How long a store keeps points, by the age of their timestamps (read as
/// milliseconds since the Unix epoch) against the wall clock.
///
/// Expired points disappear from queries at once. Compaction drops a segment
/// whose points have all expired without reading it, and trims the expired
/// points out of the segments it rewrites, which gives the space back.
///
/// ```swift
/// var configuration = Configuration()
/// configuration.retention = RetentionPolicy(maximumAgeMilliseconds: 30 * Milliseconds.day,
///                                           rules: [.init(devicePrefix: "test-", maximumAgeMilliseconds: Milliseconds.day)])
/// ```
public struct RetentionPolicy: Sendable, Equatable {
    /// A retention age for the devices whose names start with a prefix.
    public struct Rule: Sendable, Equatable {
        /// The start of the device names the rule applies to (compared byte for byte).
        public var devicePrefix: String
        /// Points older than this many milliseconds expire.
        public var maximumAgeMilliseconds: Int64

        /// A rule: devices whose names start with `devicePrefix` keep points for `maximumAgeMilliseconds`.
        public init(devicePrefix: String, maximumAgeMilliseconds: Int64) {
            self.devicePrefix = devicePrefix
            self.maximumAgeMilliseconds = maximumAgeMilliseconds
        }
    }

    /// The age past which points expire for devices no rule matches; nil
    /// keeps them forever. Default nil.
    public var maximumAgeMilliseconds: Int64?
    /// Ages for device prefixes; of the rules matching a device, the one with
    /// the longest prefix decides, over ``maximumAgeMilliseconds``.
    public var rules: [Rule]

    /// A policy; the default keeps every point forever.
    public init(maximumAgeMilliseconds: Int64? = nil, rules: [Rule] = []) {
        self.maximumAgeMilliseconds = maximumAgeMilliseconds
        self.rules = rules
    }

    /// True when nothing ever expires.
    public var keepsEverything: Bool { maximumAgeMilliseconds == nil && rules.isEmpty }

    /// The age limit for `device`, or nil when its points never expire.
    public func maximumAge(for device: String) -> Int64? {
        var best: Rule?
        for rule in rules where device.utf8.starts(with: rule.devicePrefix.utf8) {
            if best == nil || rule.devicePrefix.utf8.count > best!.devicePrefix.utf8.count { best = rule }
        }
        return best?.maximumAgeMilliseconds ?? maximumAgeMilliseconds
    }

    /// The first timestamp `device` keeps at wall-clock time `now`: points
    /// before it have expired. Nil when nothing expires.
    func cutoff(for device: String, now: Int64) -> Int64? {
        guard let age = maximumAge(for: device) else { return nil }
        let (cutoff, overflow) = now.subtractingReportingOverflow(age)
        return overflow ? .min : cutoff
    }

    func validate() throws(StrataError) {
        if let age = maximumAgeMilliseconds, age <= 0 {
            throw StrataError(.invalidArgument, "the retention age must be positive, not \(age) ms")
        }
        for rule in rules where rule.maximumAgeMilliseconds <= 0 {
            throw StrataError(.invalidArgument, "the retention age for devices starting with \"\(rule.devicePrefix)\" must be positive, not \(rule.maximumAgeMilliseconds) ms")
        }
    }
}
