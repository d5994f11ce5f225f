import Foundation
import Strata

extension DeviceSelection {
    /// The devices `selector` names (a name, a comma-separated list, or
    /// fnmatch patterns such as `pump-*`), in the order first matched, and
    /// the patterns that matched none: for commands that report those and
    /// go on (export, delete); ``series(in:devices:metric:)`` fails on them instead.
    static func matching(_ selector: String, in store: Store) -> (devices: [String], unmatched: [String]) {
        let known = store.devices()
        var chosen: [String] = []
        var unmatched: [String] = []
        for pattern in selector.split(separator: ",").map(String.init) {
            let matches = pattern.contains(where: { "*?[".contains($0) })
                ? known.filter { fnmatch(pattern, $0, 0) == 0 }
                : known.filter { $0.utf8.elementsEqual(pattern.utf8) }
            if matches.isEmpty { unmatched.append(pattern) }
            for name in matches where !chosen.contains(where: { $0.utf8.elementsEqual(name.utf8) }) { chosen.append(name) }
        }
        return (chosen, unmatched)
    }
}
