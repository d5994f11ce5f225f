import Foundation
import Testing
@testable import Strata

import Glibc
import StrataTestSupport

/// Every file and directory operation of an export (`openat`, `mkdirat`,
/// writes, fsync, `renameat`, directory sync), failed at each of its first
/// calls: the export reports the failure, and the destination holds no
/// temporary file, no partial file and no directory the export emptied.
@Suite("A failure at any export operation leaves no partial or temporary file")
struct ExportFaultMatrixTests {
    static let operations: [FaultInjection.Operation] = [.open, .makeDirectory, .write, .sync, .rename, .directorySync, .unlink]

    static func points(_ device: String, days: [Int64]) -> SeriesPoints {
        let timestamps = days.flatMap { day in (0..<50).map { day * Milliseconds.day + $0 * 60_000 } }
        return SeriesPoints(series: SeriesKey(device: device, metric: "t"), type: .float64,
                            columns: SeriesColumns(timestamps: timestamps, bits: timestamps.indices.map { Double($0).bitPattern }))
    }

    /// Files and directories below `root`, as paths relative to it.
    static func entries(under root: String) -> (files: [String], emptyDirectories: [String]) {
        var files: [String] = [], empty: [String] = []
        let manager = FileManager.default
        for relative in (manager.subpaths(atPath: root) ?? []).sorted() {
            var isDirectory: ObjCBool = false
            _ = manager.fileExists(atPath: root + "/" + relative, isDirectory: &isDirectory)
            if !isDirectory.boolValue {
                files.append(relative)
            } else if (try? manager.contentsOfDirectory(atPath: root + "/" + relative))?.isEmpty ?? true {
                empty.append(relative)
            }
        }
        return (files, empty)
    }

    /// A complete Parquet file begins and ends with `PAR1`.
    static func isWholeParquetFile(_ path: String) -> Bool {
        guard let data = FileManager.default.contents(atPath: path), data.count >= 8 else { return false }
        return data.prefix(4) == Data("PAR1".utf8) && data.suffix(4) == Data("PAR1".utf8)
    }

    @Test("partitioned export: the failure is reported, every file left is whole, none is temporary",
          arguments: operations, [0, 1, 2, 3, 5])
    func partitioned(operation: FaultInjection.Operation, skip: Int) throws {
        let directory = TemporaryDirectory()
        let destination = directory.appending("out")
        defer { FaultInjection.removeRules(under: directory.path) }
        FaultInjection.install(.init(pathPrefix: destination, operation: operation, effect: .fail(EIO), skip: skip))
        var failure: StrataError?
        do throws(StrataError) {
            let export = try PartitionedParquetExport(directory: destination)
            defer { export.close() }
            try export.write(device: "a", series: [Self.points("a", days: [0, 1])])
            try export.write(device: "b", series: [Self.points("b", days: [2, 3])])
        } catch {
            failure = error
        }
        let fired = FaultInjection.faultsNotYetFired(under: directory.path) == 0
        FaultInjection.removeRules(under: directory.path)

        #expect(fired == (failure != nil), "\(operation) skip \(skip): fired \(fired), failure \(String(describing: failure))")
        if let failure { #expect(failure.code == .io, "\(operation) skip \(skip): \(failure)") }
        if skip == 0 && operation != .unlink {
            // Every one of these operations happens at least once in an export.
            #expect(fired, "\(operation) is never checked during an export")
        }
        let (files, emptyDirectories) = Self.entries(under: destination)
        for file in files {
            #expect(file.hasSuffix("/part-0.parquet") && !file.contains("/."), "\(operation) skip \(skip): left \(file)")
            #expect(Self.isWholeParquetFile(destination + "/" + file), "\(operation) skip \(skip): \(file) is partial")
        }
        #expect(emptyDirectories.isEmpty, "\(operation) skip \(skip): left empty \(emptyDirectories)")
        if failure == nil { #expect(files.count == 4) }
    }

    @Test("single-file export over an existing file: the failure is reported, the old file stays whole, no temporary file",
          arguments: operations, [0, 1, 2])
    func singleFile(operation: FaultInjection.Operation, skip: Int) throws {
        let directory = TemporaryDirectory()
        let destination = directory.appending("out")
        try FileManager.default.createDirectory(atPath: destination, withIntermediateDirectories: true)
        let path = destination + "/export.csv"
        let old = Data("old contents\n".utf8)
        try old.write(to: URL(fileURLWithPath: path))
        let new = Array(repeating: UInt8(ascii: "n"), count: 100_000)
        defer { FaultInjection.removeRules(under: directory.path) }
        FaultInjection.install(.init(pathPrefix: destination, operation: operation, effect: .fail(ENOSPC), skip: skip))
        var failure: StrataError?
        do throws(StrataError) {
            let file = try ExportFile(path: path)
            for start in stride(from: 0, to: new.count, by: 25_000) { try file.write(Array(new[start..<(start + 25_000)])) }
            try file.commit()
        } catch {
            failure = error
        }
        let fired = FaultInjection.faultsNotYetFired(under: directory.path) == 0
        FaultInjection.removeRules(under: directory.path)

        #expect(fired == (failure != nil), "\(operation) skip \(skip): fired \(fired), failure \(String(describing: failure))")
        if skip == 0 && operation != .unlink && operation != .makeDirectory {
            #expect(fired, "\(operation) is never checked during an export")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: destination) == ["export.csv"], "\(operation) skip \(skip)")
        let contents = try Data(contentsOf: URL(fileURLWithPath: path))
        // A failed directory sync comes after the rename: the new file is in place, whole.
        #expect(contents == old || contents == Data(new), "\(operation) skip \(skip): \(contents.count) bytes")
        if failure == nil || operation == .directorySync { #expect(contents == Data(new)) } else { #expect(contents == old) }
    }
}
