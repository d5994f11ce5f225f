import Logging
import Foundation

extension StrataCommand {
    /// Routes the library's log to standard error before any command runs, at
    /// the level `STRATA_LOG_LEVEL` names (`trace`, `debug`, `info`, `notice`,
    /// `warning`, `error`, `critical`); `warning` by default, so that a
    /// command's own output stays clean while damage found on the way is
    /// still reported.
    static func main() {
        let level = ProcessInfo.processInfo.environment["STRATA_LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0.lowercased()) } ?? .warning
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        main(nil)
    }
}
