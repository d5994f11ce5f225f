import ArgumentParser
import Strata

/// Exit statuses scripts can rely on.
enum ExitStatus {
    static let failure: Int32 = 1
    static let badInput: Int32 = 2
}

/// Prints `message` as one line on standard error, prefixed with `strata:`.
func printError(_ message: String) {
    let line = "strata: " + message.split(separator: "\n", omittingEmptySubsequences: false).joined(separator: " ") + "\n"
    // A failing standard error has nowhere left to report to.
    _ = try? StandardStream.error.write(Array(line.utf8))
}

/// Runs a command's body, turning any error into a one-line message on
/// standard error and the matching exit status.
func runReportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as ExitCode {
        throw error
    } catch let error as RowError {
        printError(error.description)
        throw ExitCode(ExitStatus.badInput)
    } catch let error as StrataError {
        printError(error.description)
        throw ExitCode(ExitStatus.failure)
    } catch let error as CommandError {
        printError(error.message)
        throw ExitCode(error.status)
    } catch {
        printError("\(error)")
        throw ExitCode(ExitStatus.failure)
    }
}

/// Prints, as warnings on standard error, what opening a store had to skip
/// or repair: unreadable segments, torn or damaged write-ahead log files.
func reportOpeningProblems(of store: Store) {
    let open = Set(store.segments().map(\.path))
    for problem in store.unreadableSegments {
        // A damaged device entry leaves the rest of its segment in use.
        let skipped = problem.path.map { !open.contains($0) } ?? true
        printError(skipped ? "warning: skipped unreadable segment: \(problem)" : "warning: damaged index entry: \(problem)")
    }
    for problem in store.recovery.problems {
        printError("warning: \(problem)")
    }
}

/// A failure found by the CLI itself.
struct CommandError: Error {
    let message: String
    var status: Int32 = ExitStatus.failure
}
