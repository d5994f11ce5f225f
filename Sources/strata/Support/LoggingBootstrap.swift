import Logging
import Foundation

extension StrataCommand {
    /// Routes the library's log to standard error before any command runs, at
    /// the level `STRATA_LOG_LEVEL` names (`trace`, `debug`, `info`, `notice`,
    /// `warning`, `error`, `critical`). Without it only `critical` entries
    /// appear: the commands report damage and recoveries themselves, in one
    /// line each, and would otherwise say it twice.
    static func main() {
        let level = ProcessInfo.processInfo.environment["STRATA_LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0.lowercased()) } ?? .critical
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        main(nil)
    }
}
