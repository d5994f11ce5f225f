import Foundation
import ArgumentParser
import Strata

extension DeviceSelection {
    /// The devices `selector` names (see ``DeviceSelector``: names, a
    /// comma-separated list, fnmatch patterns such as `pump-*`, with `\`
    /// escapes), in the order first matched, and the terms (as written) that
    /// matched none: for commands that report those and go on (export,
    /// delete); ``series(in:devices:metric:)`` fails on them instead.
    static func matching(_ selector: String, in store: Store) throws -> (devices: [String], unmatched: [String]) {
        try matching(selector, among: store.devices())
    }

    /// The same, among `known` devices (listed once each, in the catalog's order).
    static func matching(_ selector: String, among known: [String]) throws -> (devices: [String], unmatched: [String]) {
        let parsed: DeviceSelector
        do {
            parsed = try DeviceSelector(parsing: selector)
        } catch {
            // Commands check --device in validate(); this is the same usage error, reached another way.
            throw CommandError(message: error.message, status: ExitCode.validationFailure.rawValue)
        }
        var chosen: [String] = []
        // Names compare as bytes, as the store compares them (String equality would merge canonically equivalent names).
        var seen = Set<[UInt8]>()
        var unmatched: [String] = []
        for term in parsed.terms {
            let matches = known.filter(term.matches)
            if matches.isEmpty { unmatched.append(term.written) }
            for name in matches where seen.insert(Array(name.utf8)).inserted { chosen.append(name) }
        }
        return (chosen, unmatched)
    }
}
