import Foundation
import Testing
@testable import Strata
import StrataTestSupport

@Suite("strata compact and strata delete, as scripts run them")
struct OperatorCommandTests {
    /// A store of the beijing excerpt (hourly, 2013–2014: every week long finished).
    static func ingested(_ directory: borrowing TemporaryDirectory) throws -> String {
        let store = directory.appending("store")
        let ingest = try CommandRunner.run(["ingest", store, TestResources.path("beijing_dongsi_excerpt.csv")])
        #expect(ingest.status == 0, "\(ingest.standardError)")
        return store
    }

    /// Three of the excerpt's series as CSV (data rows only).
    static func csv(_ store: String, _ arguments: [String] = []) throws -> String {
        var rows = ""
        for metric in ["CO", "DEWP", "O3"] {
            let query = try CommandRunner.run(["query", store, "--device", "Dongsi", "--metric", metric, "--format", "csv"] + arguments)
            #expect(query.status == 0, "\(query.standardError)")
            rows += query.standardOutput.split(separator: "\n").dropFirst().joined(separator: "\n") + "\n"
        }
        return rows
    }

    @Test("compact keeps every point, prints before and after, and a second run has nothing to do")
    func compact() throws {
        let directory = TemporaryDirectory()
        let store = try Self.ingested(directory)
        let before = try Self.csv(store)
        let run = try CommandRunner.run(["compact", store])
        #expect(run.status == 0, "\(run.standardError)")
        #expect(run.standardOutput.contains("compacted \(store) in"))
        #expect(run.standardOutput.contains("bytes per point"))
        #expect(run.standardError.isEmpty, "no progress bar without a terminal")
        #expect(try Self.csv(store) == before)
        let inspect = try CommandRunner.run(["inspect", store])
        #expect(!inspect.standardOutput.contains("flushed"))
        let again = try CommandRunner.run(["compact", store])
        #expect(again.status == 0)
        #expect(again.standardOutput.contains(": 0 steps"))
        let verify = try CommandRunner.run(["verify", store])
        #expect(verify.status == 0, "\(verify.standardOutput)")
    }

    @Test("compact --retention drops what is older than the age; a bad age is a usage error")
    func retention() throws {
        let directory = TemporaryDirectory()
        let store = try Self.ingested(directory)
        // The excerpt is from 2013: a retention of 30 days expires all of it.
        let run = try CommandRunner.run(["compact", store, "--retention", "30d"])
        #expect(run.status == 0, "\(run.standardError)")
        let inspect = try CommandRunner.run(["inspect", store])
        #expect(inspect.standardOutput.contains("series    0"))
        let query = try CommandRunner.run(["query", store, "--device", "Dongsi", "--metric", "CO"])
        #expect(query.status == 1)
        #expect(query.standardError.contains("no series Dongsi/CO"))
        let bad = try CommandRunner.run(["compact", store, "--retention", "soon"])
        #expect(bad.status == 64)
        #expect(bad.standardError.contains("--retention"))
        let badRule = try CommandRunner.run(["compact", store, "--retention-rule", "Dongsi"])
        #expect(badRule.status == 64)
    }

    @Test("delete: a dry run changes nothing; the deletion hides the points at once and twice is harmless")
    func delete() throws {
        let directory = TemporaryDirectory()
        let store = try Self.ingested(directory)
        let all = try Self.csv(store)
        let from = "2013-03-02T00:00:00Z"

        let dry = try CommandRunner.run(["delete", store, "--device", "Dong*", "--from", from, "--dry-run"])
        #expect(dry.status == 0, "\(dry.standardError)")
        #expect(dry.standardOutput.contains("dry run: would delete"))
        #expect(try Self.csv(store) == all)

        let run = try CommandRunner.run(["delete", store, "--device", "Dong*", "--from", from])
        #expect(run.status == 0, "\(run.standardError)")
        #expect(run.standardOutput.contains("deleted"))
        let kept = try Self.csv(store)
        #expect(kept == (try Self.csv(store, ["--to", from])))
        #expect(try Self.csv(store, ["--from", from]).split(separator: "\n").isEmpty)
        #expect(!kept.split(separator: "\n").isEmpty)

        // The same deletion again, and one naming no device: both succeed, the latter with a note.
        #expect(try CommandRunner.run(["delete", store, "--device", "Dong*", "--from", from]).status == 0)
        let none = try CommandRunner.run(["delete", store, "--device", "nowhere"])
        #expect(none.status == 0)
        #expect(none.standardError.contains("no device matches \"nowhere\""))

        let compact = try CommandRunner.run(["compact", store])
        #expect(compact.status == 0, "\(compact.standardError)")
        #expect(compact.standardOutput.contains("deletions done") || compact.standardOutput.contains("deletion done"))
        #expect(try Self.csv(store) == kept)
        let inspect = try CommandRunner.run(["inspect", store])
        #expect(!inspect.standardOutput.contains("pending"))
    }

    @Test("compact on something that is not a store fails with status 1 and one line")
    func notAStore() throws {
        let directory = TemporaryDirectory()
        let run = try CommandRunner.run(["compact", directory.appending("missing")])
        #expect(run.status == 1)
        #expect(run.standardError.contains("not a Strata store"))
        #expect(run.standardError.split(separator: "\n").count == 1)
    }
}
