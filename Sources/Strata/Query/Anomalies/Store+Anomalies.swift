extension Store {
    /// Finds the windows in which one series misbehaves, by one detector.
    ///
    /// The series is streamed in time order; memory depends on the detector's
    /// trailing window and on the number of windows found, not on the length
    /// of the range. Adjacent anomalous points (at most
    /// ``AnomalyOptions/mergeGap`` apart) form one window; windows shorter than
    /// ``AnomalyOptions/minimumDuration`` are dropped.
    ///
    /// The trailing-window detectors start judging once their window holds
    /// ``AnomalyOptions/minimumWindowPoints`` points; points before
    /// `options.from` are read to fill it, so a window starts warm.
    public func anomalies(device: String, metric: String, options: AnomalyOptions) throws(StrataError) -> [AnomalyWindow] {
        try options.validate()
        var warm = options
        if let window = options.detector.trailingWindow, options.from != .min {
            let (earlier, overflow) = options.from.subtractingReportingOverflow(window)
            warm.from = overflow ? .min : earlier
        }
        let key = SeriesKey(device: device, metric: metric)
        guard let type = state.withLock({ $0.knownType(of: key) }) else { return [] }
        var scanner = AnomalyScanner(options: options, type: type)
        _ = try scan(device: device, metric: metric, from: warm.from, to: options.to, into: &scanner)
        scanner.finish()
        return scanner.result
    }
}
