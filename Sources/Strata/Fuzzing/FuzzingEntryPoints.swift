/// Entry points for the fuzz targets in `Tests/Fuzz/` (see `Tests/Fuzz/README.md`), under
/// `@_spi(Fuzzing)`: the manifest decoder and the log replay are internal, and
/// the fuzzers live in their own package, which `@testable import` cannot
/// reach in a release build. Nothing else calls these; they only forward to
/// the code under test and change no state outside the directory they are given.
@_spi(Fuzzing)
public enum FuzzingEntryPoints {
    /// Decodes `bytes` as a `MANIFEST` file. On success, returns the encoding
    /// of what was decoded, which must decode again to the same manifest (the
    /// call checks this and traps if not).
    public static func decodeManifest(_ bytes: [UInt8]) throws(StrataError) -> [UInt8] {
        let manifest = try ManifestFile.decode(bytes, path: "MANIFEST")
        let encoded = ManifestFile.encode(manifest)
        let again: Manifest
        do throws(StrataError) {
            again = try ManifestFile.decode(encoded, path: "MANIFEST.reencoded")
        } catch {
            fatalError("a decoded manifest does not decode once encoded again: \(error)")
        }
        precondition(again == manifest, "a decoded manifest changes when encoded and decoded again")
        return encoded
    }

    /// What a read-only replay of a log directory found.
    public struct ReplayOutcome: Sendable {
        public var records: Int
        public var points: Int
        public var problems: [StrataError]
    }

    /// Replays the log files in `directory` as a reader does (`repairs` false:
    /// no file is changed), calling `apply` with every batch read.
    public static func replayLog(directory: String, reportsTornTails: Bool = true, apply: (WriteBatch) -> Void = { _ in }) throws(StrataError) -> ReplayOutcome {
        var replay = WALReplay(directory: directory, repairs: false)
        replay.reportsTornTails = reportsTornTails
        let outcome = try replay.run { batch, _, _ in apply(batch) }
        return ReplayOutcome(records: outcome.records, points: outcome.points, problems: outcome.problems)
    }
}
