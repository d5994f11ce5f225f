extension TimeZoneRules: Equatable {
    /// Rules are equal when they name the same zone (read from the same database,
    /// the rules themselves are then the same).
    public static func == (lhs: TimeZoneRules, rhs: TimeZoneRules) -> Bool {
        lhs.identifier == rhs.identifier
    }
}
