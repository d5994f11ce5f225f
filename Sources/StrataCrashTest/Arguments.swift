// The options of `run` and `sync` (the children's arguments, which the parent
// writes, are read in main.swift).
import Foundation

/// `strata-crash-test run [--store DIR] [--kills N] [--seed S] [--recent-base MS] [--no-clean-close] [--faults]`.
struct RunOptions {
    static let usage = "usage: strata-crash-test run [--store DIR] [--kills N] [--seed S] [--recent-base MS] [--no-clean-close] [--faults]"

    var store = NSTemporaryDirectory() + "strata-crash-test/store"
    var kills = 100
    var seed: UInt64 = 1
    var recentBase = Layout.recentBase(now: Int64(Date().timeIntervalSince1970 * 1000))
    var cleanCloses = true
    var faults = false

    /// Reads the options after `run`; nil when one is unknown or lacks its value.
    /// A value that is not a number leaves the default.
    init?(_ options: [String]) {
        var index = 0
        while index < options.count {
            if options[index] == "--no-clean-close" || options[index] == "--faults" {
                if options[index] == "--faults" { faults = true } else { cleanCloses = false }
                index += 1
                continue
            }
            guard index + 1 < options.count else { return nil }
            switch options[index] {
            case "--store": store = options[index + 1]
            case "--kills": kills = Int(options[index + 1]) ?? kills
            case "--seed": seed = UInt64(options[index + 1]) ?? seed
            case "--recent-base": recentBase = Int64(options[index + 1]) ?? recentBase
            default: return nil
            }
            index += 2
        }
    }
}

/// `strata-crash-test sync [--work DIR] [--kills N] [--seed S]` (see SyncCrashTest.swift).
struct SyncOptions {
    static let usage = "usage: strata-crash-test sync [--work DIR] [--kills N] [--seed S]"

    var work = NSTemporaryDirectory() + "strata-sync-crash-test"
    var kills = 200
    var seed: UInt64 = 1

    /// Reads the options after `sync`, in pairs (a last one without its value
    /// is ignored); nil when one is unknown. A value that is not a number
    /// leaves the default.
    init?(_ options: [String]) {
        var index = 0
        while index + 1 < options.count {
            switch options[index] {
            case "--work": work = options[index + 1]
            case "--kills": kills = Int(options[index + 1]) ?? kills
            case "--seed": seed = UInt64(options[index + 1]) ?? seed
            default: return nil
            }
            index += 2
        }
    }
}
