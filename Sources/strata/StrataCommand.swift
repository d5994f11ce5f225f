import ArgumentParser
import Strata

@main
struct StrataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "strata",
        abstract: "Store, query and inspect device time series.",
        discussion: """
            A store is a directory of compressed, immutable segment files. Start with \
            `strata demo`, which builds a realistic fleet in a fresh store and tours it.

            Exit status: 0 on success; 1 when the command fails (the reason is printed \
            on one line on standard error); 2 when input data is malformed; 3 when \
            `verify` finds damage; 64 for a usage error.
            """,
        version: StrataVersion.current,
        subcommands: [IngestCommand.self, QueryCommand.self, LatestCommand.self, DownsampleCommand.self, AnomaliesCommand.self, InspectCommand.self, CompactCommand.self, DeleteCommand.self, ExportCommand.self, SyncCommand.self, VerifyCommand.self, BackupCommand.self, DemoCommand.self, BenchCommand.self]
    )
}
