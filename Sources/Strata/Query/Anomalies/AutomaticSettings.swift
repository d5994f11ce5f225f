/// The tuning of the default detector, ``AnomalyDetector/automatic(_:)``.
///
/// The automatic detector learns each series' level, spread, sampling interval
/// and repetition from the series itself, so the only knob is how eagerly it
/// alerts; ``standard`` is what ``AnomalyOptions/init(from:to:)`` uses.
public struct AutomaticSettings: Sendable, Equatable {
    /// How eagerly to alert, in the open interval (0, 1): higher gives more
    /// (and weaker) alerts, lower only the strongest. Default 0.5.
    public var sensitivity: Double

    /// The settings the automatic detector uses when none are given: sensitivity 0.5.
    public static let standard = AutomaticSettings()

    /// Settings with the given sensitivity (see ``sensitivity``).
    public init(sensitivity: Double = 0.5) {
        self.sensitivity = sensitivity
    }

    func validate() throws(StrataError) {
        // Written so that NaN fails too.
        guard sensitivity > 0 && sensitivity < 1 else {
            throw StrataError(.invalidArgument, "the sensitivity must be between 0 and 1 (excluded), not \(sensitivity)")
        }
    }
}
