import Foundation
import Testing
@testable import Strata
import StrataTestSupport

/// Paths a hostile user gives where a store, a segment or a backup is
/// expected: each is refused with a clear error, without waiting and without
/// writing anything.
@Suite("Hostile paths for segments and backups")
struct HostilePathTests {
    @Test("a named pipe, a directory or a device given as a segment is refused at once, not waited on")
    func notRegularFiles() throws {
        let directory = TemporaryDirectory()
        let pipe = directory.appending("pipe")
        #expect(mkfifo(pipe, 0o600) == 0)
        for path in [pipe, directory.path, "/dev/null"] {
            let error = #expect(throws: StrataError.self) { try SegmentFile(path: path) }
            #expect(error?.message.contains("not a regular file") == true, "\(path): \(String(describing: error))")
        }
    }

    @Test("a backup inside the store it copies is refused, however the path is spelled")
    func backupInsideStore() throws {
        let directory = TemporaryDirectory()
        let store = directory.appending("store")
        do {
            let opened = try Store(at: store)
            try opened.append(device: "d", metric: "m", timestamp: 1, value: 1.0)
            try opened.close()
        }
        try FileManager.default.createSymbolicLink(atPath: directory.appending("link"), withDestinationPath: store)
        let before = try FileManager.default.subpathsOfDirectory(atPath: store).sorted()
        for destination in [store + "/wal/copy", store + "/segments/copy", directory.appending("link") + "/copy", store + "/../store/x"] {
            let error = #expect(throws: StrataError.self) { try StoreBackup.copy(from: store, to: destination) }
            #expect(error?.message.contains("inside the store") == true, "\(destination): \(String(describing: error))")
        }
        #expect(try FileManager.default.subpathsOfDirectory(atPath: store).sorted() == before)
    }
}
