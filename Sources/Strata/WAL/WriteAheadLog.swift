import StrataCodecs

import Glibc

/// The writer's side of the write-ahead log: appends records to the current
/// log file, makes them durable (with group commit), rotates files at each
/// flush, and deletes files whose points are in a published segment.
///
/// `append` and `rotate` are called under the store's lock, which orders
/// records exactly as the head applies them. Waiting for durability happens
/// outside it: every appender waiting at once is served by one `fdatasync`
/// (group commit), issued by whichever of them gets there first.
///
/// A file closed for good (by ``rotate()``, or by ``close()`` when it is
/// kept) is sealed with an end record before the next file exists, so every
/// file but the last one ends with its end record and a file cut short is
/// seen. The last file of a writer that crashed is sealed by the next
/// writer's replay (see ``WALReplay``) before this log creates its first file.
///
/// After each rotation a helper thread prepares the file after the new one:
/// written full of zeros (as many bytes as the file just sealed used) and
/// synced, under a temporary name. The next rotation renames it into place.
/// An `fdatasync` that only overwrites allocated blocks changes no metadata,
/// so it needs no journal commit: on ext4 it took about half the time of one
/// that grows the file, and much less while segments are being written.
final class WriteAheadLog: @unchecked Sendable {
    let directory: String
    /// Bytes written and syncs, counted for the store's metrics.
    private let metrics: StoreMetrics?

    /// Protects everything below; also the condition waiters sleep on.
    private let lock = ConditionLock()
    private var file: FileDescriptor
    private var fileNumber: UInt64
    private var fileSize: Int
    /// Records appended to the current file (its end record states the count).
    private var recordsInFile = 0
    /// Set once ``close()`` has sealed or removed the current file: nothing more goes into it.
    private var closed = false
    /// Log files closed by rotation (or found at open) whose points are not yet in a segment.
    private var closedFiles: [String] = []
    /// Bytes appended since open, over all files: a record is durable once `syncedPosition` reaches its end.
    private var writtenPosition: UInt64 = 0
    private var syncedPosition: UInt64 = 0
    private var syncing = false
    /// fdatasync calls made for appends (group commit makes this smaller than the append count).
    private(set) var syncCount = 0
    /// Set by a failed fsync or an unrepairable write: the log no longer knows what is on disk.
    private var failure: StrataError?
    /// One bit per series number the current file has defined (version 3 `series` records).
    private var definedNumbers: [UInt64] = []
    /// Whether the current file was filled with zeros ahead of its records.
    private var isPreallocated = false
    /// A zero-filled file ready for the number after the current one.
    private var prepared: (number: UInt64, file: FileDescriptor)?
    /// True while a helper thread prepares a file.
    private var preparing = false
    /// Helper threads started to prepare a file (tests check that closing starts none).
    private var preparationCount = 0
    /// Set when ``close()`` begins: a preparation under way stops early and
    /// removes its file, and no new one starts. A closed store keeps only
    /// the log files it needs, never a megabyte of zeros.
    private var closing = false
    /// The fewest bytes a prepared file is filled with.
    static let smallestPreparedFile = 1 << 20
    /// The most bytes a prepared file is filled with.
    static let largestPreparedFile = 512 << 20

    /// Opens a new log file numbered `number` in `directory`; the files in
    /// `existing` (replayed at open) are kept until the next flush publishes their points.
    /// The writer's replay has already sealed the last of them (see ``WALReplay``).
    init(directory: String, number: UInt64, existing: [String], metrics: StoreMetrics? = nil) throws(StrataError) {
        self.metrics = metrics
        self.directory = directory
        self.fileNumber = number
        self.closedFiles = existing
        (file, fileSize) = try Self.createFile(directory: directory, number: number)
        // Files prepared by an earlier writer are never used: their numbers may be taken.
        if let names = try? FileSystem.contentsOfDirectory(directory) {
            for name in names where name.hasSuffix(WALFormat.fileExtension + WALFormat.preparedSuffix) {
                _ = try? FileSystem.removeFile(directory + "/" + name)
            }
        }
    }

    deinit {
        file.close()
        prepared?.file.close()
    }

    private static func preparedPath(directory: String, number: UInt64) -> String {
        directory + "/" + WALFormat.fileName(number) + WALFormat.preparedSuffix
    }

    /// Starts filling the file numbered `number` with `bytes` zeros on a
    /// helper thread, unless one is being prepared already. Call holding the lock.
    private func startPreparing(number: UInt64, bytes: Int) {
        guard !preparing, !closing, !closed, prepared == nil, bytes > 0 else { return }
        preparing = true
        preparationCount += 1
        let directory = self.directory
        let size = min(bytes, Self.largestPreparedFile)
        BackgroundThread.start { [self] in
            let path = Self.preparedPath(directory: directory, number: number)
            let made: FileDescriptor?
            do throws(Errno) {
                made = try Self.fillWithZeros(path, size: size) { [self] in lock.withLock { closing } }
            } catch {
                _ = try? FileSystem.removeFile(path)
                made = nil
            }
            lock.withLock {
                preparing = false
                // close() waits for this.
                lock.broadcast()
                guard let made else { return }
                if closing || closed || number != fileNumber + 1 {
                    // Too late: the log moved on (or closed) without it.
                    made.close()
                    _ = try? FileSystem.removeFile(path)
                } else {
                    prepared = (number, made)
                }
            }
        }
    }

    /// Creates `path` holding a preallocated header and `size` bytes in all, zeros after the header, synced.
    /// Gives up (throwing `ECANCELED`) as soon as `abandoned` says so, checked between megabytes.
    private static func fillWithZeros(_ path: String, size: Int, abandoned: () -> Bool) throws(Errno) -> FileDescriptor {
        let descriptor = try FileDescriptor.open(path, .createOrTruncate)
        do throws(Errno) {
            try descriptor.write(WALFormat.fileHeader(flags: WALFormat.preallocatedFlag), at: 0)
            let zeros = [UInt8](repeating: 0, count: 1 << 20)
            var offset = WALFormat.headerSize
            while offset < size {
                if abandoned() { throw Errno(rawValue: ECANCELED) }
                let count = min(zeros.count, size - offset)
                try descriptor.write(count == zeros.count ? zeros : Array(zeros[0..<count]), at: offset)
                offset += count
            }
            try descriptor.sync()
            return descriptor
        } catch {
            descriptor.close()
            throw error
        }
    }

    /// The prepared file for `number` renamed into place, or nil when none is
    /// ready. Call holding the lock.
    private func takePrepared(number: UInt64) -> FileDescriptor? {
        guard let ready = prepared else { return nil }
        prepared = nil
        let from = Self.preparedPath(directory: directory, number: ready.number)
        guard ready.number == number else {
            ready.file.close()
            _ = try? FileSystem.removeFile(from)
            return nil
        }
        let to = directory + "/" + WALFormat.fileName(number)
        do throws(Errno) {
            try FileSystem.rename(from, to: to)
            // The new name must be durable before any record in it is acknowledged.
            try FileSystem.syncDirectory(directory)
            return ready.file.renamed(to: to)
        } catch {
            // Holds no record yet: removed under either name, a new file is created instead.
            ready.file.close()
            _ = try? FileSystem.removeFile(from)
            _ = try? FileSystem.removeFile(to)
            return nil
        }
    }

    private static func createFile(directory: String, number: UInt64) throws(StrataError) -> (FileDescriptor, Int) {
        let path = directory + "/" + WALFormat.fileName(number)
        do throws(Errno) {
            let descriptor = try FileDescriptor.open(path, .createNew)
            do throws(Errno) {
                try descriptor.write(WALFormat.fileHeader(), at: 0)
                try descriptor.sync()
                // The new name must be durable before any record in it is acknowledged.
                try FileSystem.syncDirectory(directory)
            } catch {
                descriptor.close()
                // Leave no half-created file behind: it would sit between sealed files.
                _ = try? FileSystem.removeFile(path)
                throw error
            }
            return (descriptor, WALFormat.headerSize)
        } catch {
            throw .io(error, "creating a write-ahead log file", path: path)
        }
    }

    /// The error that stopped the log, if any.
    var failed: StrataError? { lock.withLock { failure } }

    /// Completes the frame of `record` (its first ``WALFormat/recordHeaderSize``
    /// bytes are reserved for it, see ``WALRecord``) and appends it; returns
    /// the log position at its end, to pass to ``waitUntilDurable(_:)``. Call
    /// under the store's lock.
    ///
    /// A failed write is cut back off the file, so the log never holds a torn
    /// record in its middle; if even that fails, the log stops accepting writes.
    func append(_ record: inout WALRecord) throws(StrataError) -> UInt64 {
        try lock.withLock { () throws(StrataError) -> UInt64 in
            if let failure { throw failure }
            if closed { throw StrataError(.closed, "the write-ahead log is closed", path: file.path) }
            return try writeHoldingLock(&record)
        }
    }

    /// Appends a `rows` record whose rows name the series `numbers`. When the
    /// current file has not defined some of them yet, a `series` record built
    /// by `define` (given those numbers, each once, in first-use order) goes first.
    /// Returns the log position at the end, as ``append(_:)`` does. Call under the store's lock.
    func append(
        rows record: inout WALRecord, numbers: UnsafeBufferPointer<UInt32>,
        define: ([UInt32]) -> WALRecord
    ) throws(StrataError) -> UInt64 {
        try lock.withLock { () throws(StrataError) -> UInt64 in
            if let failure { throw failure }
            if closed { throw StrataError(.closed, "the write-ahead log is closed", path: file.path) }
            var undefined: [UInt32] = []
            for number in numbers {
                let word = Int(number >> 6), bit = UInt64(1) << (number & 63)
                if word >= definedNumbers.count {
                    definedNumbers.append(contentsOf: repeatElement(0, count: max(word + 1, definedNumbers.count * 2) - definedNumbers.count))
                }
                if definedNumbers[word] & bit == 0 {
                    definedNumbers[word] |= bit
                    undefined.append(number)
                }
            }
            if !undefined.isEmpty {
                var definitions = define(undefined)
                do throws(StrataError) {
                    _ = try writeHoldingLock(&definitions)
                } catch {
                    for number in undefined { definedNumbers[Int(number >> 6)] &= ~(UInt64(1) << (number & 63)) }
                    throw error
                }
            }
            return try writeHoldingLock(&record)
        }
    }

    /// Seals and writes `record` at the end of the current file; on failure
    /// cuts the file back. Call holding the lock.
    private func writeHoldingLock(_ record: inout WALRecord) throws(StrataError) -> UInt64 {
        record.seal()
        let start = fileSize
        do throws(Errno) {
            try file.write(record.bytes, at: start)
        } catch {
            let reason = StrataError.io(error, "appending to the write-ahead log", path: file.path)
            do throws(Errno) {
                try file.truncate(to: start)
            } catch {
                failure = StrataError(.io, "write-ahead log write failed and could not be undone (\(error)); reopen the store to recover", path: file.path, offset: start)
            }
            throw reason
        }
        let length = record.bytes.count
        metrics?.walBytesWritten.increment(by: Int64(length))
        fileSize += length
        recordsInFile += 1
        writtenPosition += UInt64(length)
        return writtenPosition
    }

    /// Returns once everything up to `position` is on stable storage, sharing
    /// one `fdatasync` among all threads waiting at the same time.
    ///
    /// A failed sync is not retried: the kernel may have dropped the dirty
    /// pages, so a later success would prove nothing. The log stops, and the
    /// store refuses writes until it is reopened and recovers from disk.
    func waitUntilDurable(_ position: UInt64) throws(StrataError) {
        lock.lock()
        defer { lock.unlock() }
        while syncedPosition < position {
            if let failure { throw failure }
            if syncing {
                lock.wait()
                continue
            }
            try syncHoldingLock()
        }
    }

    /// Syncs everything written so far (the `interval` policy's timer and close use this).
    func syncNow() throws(StrataError) {
        lock.lock()
        defer { lock.unlock() }
        while syncing { lock.wait() }
        if let failure { throw failure }
        if syncedPosition < writtenPosition { try syncHoldingLock() }
    }

    /// Runs one fdatasync with the lock released during the call, so appends go on.
    private func syncHoldingLock() throws(StrataError) {
        syncing = true
        let target = writtenPosition
        let descriptor = file
        lock.unlock()
        var result: Errno?
        do throws(Errno) { try descriptor.dataSync() } catch { result = error }
        lock.lock()
        syncing = false
        syncCount += 1
        metrics?.walSyncs.increment()
        if let result {
            failure = StrataError(.io, "fsync of the write-ahead log failed (\(result)); writes are refused until the store is reopened", path: descriptor.path)
        } else {
            syncedPosition = max(syncedPosition, target)
        }
        lock.broadcast()
        if let failure { throw failure }
    }

    /// Seals the current file (end record, synced) and starts the next one. Returns every
    /// closed file whose points are not yet in a segment: after the segment
    /// holding the head frozen with this rotation is published, pass them to
    /// ``removeFiles(_:)``. Call under the store's lock.
    ///
    /// When the next file cannot be created, the end record is cut back off
    /// and appends go on in the current file. With `closing` (the store's
    /// last flush) no file is prepared after the next one: none would be used.
    func rotate(closing: Bool = false) throws(StrataError) -> [String] {
        lock.lock()
        defer { lock.unlock() }
        while syncing { lock.wait() }
        if let failure { throw failure }
        if closed { throw StrataError(.closed, "the write-ahead log is closed", path: file.path) }
        let sealedAt = fileSize
        try sealHoldingLock()
        syncedPosition = writtenPosition
        let next: FileDescriptor
        let size: Int
        let nextPreallocated: Bool
        do throws(StrataError) {
            if let ready = takePrepared(number: fileNumber + 1) {
                (next, size, nextPreallocated) = (ready, WALFormat.headerSize, true)
            } else {
                (next, size) = try Self.createFile(directory: directory, number: fileNumber + 1)
                nextPreallocated = false
            }
        } catch {
            do throws(Errno) {
                try file.truncate(to: sealedAt)
                try file.dataSync()
                fileSize = sealedAt
            } catch {
                failure = StrataError(.io, "write-ahead log end record could not be cut back off after the next file could not be created (\(error)); reopen the store to recover", path: file.path, offset: sealedAt)
                lock.broadcast()
            }
            throw error
        }
        closedFiles.append(file.path)
        file.close()
        file = next
        fileSize = size
        isPreallocated = nextPreallocated
        recordsInFile = 0
        // Numbers mean nothing outside their file: the next one defines them again.
        for index in definedNumbers.indices { definedNumbers[index] = 0 }
        fileNumber += 1
        // The next file is likely to need as much room as the one just sealed.
        if !closing { startPreparing(number: fileNumber + 1, bytes: max(sealedAt + sealedAt / 4, Self.smallestPreparedFile)) }
        lock.broadcast()
        return closedFiles
    }

    /// Appends the current file's end record and syncs the file (data and all
    /// earlier records). Call holding the lock, with no sync running.
    private func sealHoldingLock() throws(StrataError) {
        let end = WALRecord(endOfFileAfter: recordsInFile, at: fileSize)
        do throws(Errno) {
            try file.write(end.bytes, at: fileSize)
        } catch {
            let reason = StrataError.io(error, "sealing the write-ahead log file (appending its end record)", path: file.path)
            do throws(Errno) {
                try file.truncate(to: fileSize)
            } catch {
                failure = StrataError(.io, "write-ahead log write failed and could not be undone (\(error)); reopen the store to recover", path: file.path, offset: fileSize)
                lock.broadcast()
            }
            throw reason
        }
        fileSize += end.bytes.count
        do throws(Errno) {
            // A preallocated file loses its unused zeros: only the last file may have a zero tail.
            if isPreallocated { try file.truncate(to: fileSize) }
            try file.dataSync()
        } catch {
            failure = StrataError(.io, "fsync of the write-ahead log failed (\(error)); writes are refused until the store is reopened", path: file.path)
            lock.broadcast()
            throw failure!
        }
    }

    /// Deletes log files whose points are now in a durable segment, then
    /// syncs the directory. A file that cannot be deleted stays listed and is
    /// tried again at the next flush (replaying it again is harmless).
    func removeFiles(_ paths: [String]) {
        lock.withLock { closedFiles.removeAll { paths.contains($0) } }
        var failed: [String] = []
        for path in paths {
            do throws(Errno) { try FileSystem.removeFile(path) } catch {
                if error != .noSuchFile { failed.append(path) }
            }
        }
        try? FileSystem.syncDirectory(directory)
        if !failed.isEmpty { lock.withLock { closedFiles.insert(contentsOf: failed, at: 0) } }
    }

    /// Syncs made so far (see ``syncCount``), read under the lock.
    var syncs: Int { lock.withLock { syncCount } }

    /// Whether a prepared file waits for the next rotation, read under the lock.
    var hasPreparedFile: Bool { lock.withLock { prepared != nil } }

    /// Files this log has started to prepare, read under the lock.
    var preparationsStarted: Int { lock.withLock { preparationCount } }

    /// Syncs and closes the current file: deletes it when it holds no record
    /// and no earlier file is left (a clean close leaves no log behind), else
    /// seals it with its end record. A file being prepared is abandoned and
    /// removed before this returns, so no zero-filled file outlives the store
    /// (a process exiting after close would otherwise leave it half written).
    /// Closing again does nothing.
    func close() throws(StrataError) {
        lock.lock()
        defer { lock.unlock() }
        closing = true
        while syncing || preparing { lock.wait() }
        if closed { return }
        if let failure { throw failure }
        if let ready = prepared {
            ready.file.close()
            _ = try? FileSystem.removeFile(Self.preparedPath(directory: directory, number: ready.number))
            prepared = nil
        }
        let empty = fileSize == WALFormat.headerSize && closedFiles.isEmpty
        if empty {
            _ = try? FileSystem.removeFile(file.path)
            try? FileSystem.syncDirectory(directory)
        } else {
            // The end record's sync also makes every record before it durable.
            try sealHoldingLock()
            syncedPosition = writtenPosition
            lock.broadcast()
        }
        closed = true
    }
}
