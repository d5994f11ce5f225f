import CStrataSystem
import Foundation
import Logging

extension StrataCommand {
    /// Routes the library's log to standard error before any command runs, at
    /// the level `STRATA_LOG_LEVEL` names (`trace`, `debug`, `info`, `notice`,
    /// `warning`, `error`, `critical`). Without it only `critical` entries
    /// appear: the commands report damage and recoveries themselves, in one
    /// line each, and would otherwise say it twice.
    ///
    /// And first, has the allocator keep freed memory: a command builds and
    /// drops arrays of hundreds of megabytes (an ingest's parsed blocks, then
    /// its merged batch, log record and head), and reusing them instead of
    /// faulting in fresh pages took the ingest of 100 M points from 34 s to
    /// 24 s on a 2-core virtual machine.
    static func main() {
        _ = strata_keep_freed_memory()
        let level = ProcessInfo.processInfo.environment["STRATA_LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0.lowercased()) } ?? .critical
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        main(nil)
    }
}
