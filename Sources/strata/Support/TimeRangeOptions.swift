import ArgumentParser
import Strata

/// `--from` and `--to`, shared by the commands that read a time range.
struct TimeRangeOptions: ParsableArguments {
    @Option(help: "Start of the range, included (epoch ms or RFC 3339).")
    var from: String?

    @Option(help: "End of the range, excluded (epoch ms or RFC 3339); omitted: no end, the largest timestamp included.")
    var to: String?

    /// The start in milliseconds, `Int64.min` when not given.
    var start: Int64 { from.flatMap(TimeText.parse) ?? .min }
    /// The end in milliseconds; `Int64.max` when not given, which the library reads as no upper bound.
    var end: Int64 { to.flatMap(TimeText.parse) ?? .max }

    mutating func validate() throws {
        for (name, value) in [("--from", from), ("--to", to)] {
            if let value, TimeText.parse(value) == nil {
                throw ValidationError("\(name) \(value.debugDescription) is neither epoch milliseconds nor RFC 3339 (write negative milliseconds as \(name)=-86400000)")
            }
        }
        // An end of Int64.max has no upper bound, so it follows every start.
        if start >= end && end != .max { throw ValidationError("the range is empty: --from is not before --to") }
    }
}

/// `--device` and `--metric` for commands that take several series.
struct SeriesSelectionOptions: ParsableArguments {
    @Option(help: DeviceSelector.help)
    var device: String

    @Option(help: "One metric (default: every metric of each device).")
    var metric: String?

    mutating func validate() throws {
        try DeviceSelector.validate(devices: device, metric: metric)
    }
}
