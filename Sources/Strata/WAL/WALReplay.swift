import StrataCodecs

import Glibc

/// Reads the log files of a store in order and hands every valid record's
/// batch to the caller, reporting what it could not read. Each file is framed
/// by a ``WALFrameReader`` and its records decoded by a ``WALRecordDecoder``.
///
/// - A **torn tail** is expected after a crash, and only in the last file:
///   the file ends inside a record header, or a record whose header is
///   intact runs past the end of the file, or the last record fails its
///   checksum (or, in version 2, the file ends in bytes that are all zero),
///   with no valid record after it. The writer cuts it off; its points were
///   never acknowledged.
/// - **Damage** is everything else, reported with file and offset: a record
///   that fails its checksum with more data after it, a version 2 length that
///   disagrees with its complement, a bad file header, a file that is not the
///   last one but is shorter than its header or (version 2) lacks its end
///   record, data after an end record. Replay resynchronises on the next valid
///   record and reports the bytes skipped: only the damaged records are lost
///   (and, in version 3, rows whose series a lost `series` record defined).
///   When no valid record follows, the rest of the file is reported as unread.
///   Later files are replayed either way; a damaged file is never cut or
///   sealed, the store sets it aside once its readable points are in a segment.
///
/// A writer (`repairs`) also seals the last file when it is of version 2 and
/// has no end record (its writer crashed): after the torn tail is cut off, the
/// end record is appended and synced, before the writer creates its own file.
/// So every version 2 file but the last carries an end record.
struct WALReplay {
    /// What replay found.
    struct Outcome {
        /// Log files read, oldest first (paths).
        var files: [String] = []
        var records = 0
        var points = 0
        var bytes = 0
        /// Torn tails cut off and corruption found, each naming file and offset.
        var problems: [StrataError] = []
        /// Files with corruption in the middle; the writer moves them aside once their readable points are in a segment.
        var damagedFiles: [String] = []
        var highestNumber: UInt64 = 0
        /// Version 2 files found ending with their end record, or sealed by this (repairing) replay.
        var sealedFiles: [String] = []
    }

    let directory: String
    /// True for the writer: torn tails are truncated away and the last file is
    /// sealed. A reader changes nothing.
    let repairs: Bool
    /// For `strata verify`: report torn tails even without repairing them.
    var reportsTornTails = false

    /// How a file's replay ended.
    private enum Ending {
        /// Its end record was read.
        case sealed
        /// No end record; the file ends (after any torn tail was cut off) after `records` records at `offset`.
        case open(version: UInt16, records: Int, offset: Int)
        /// Damaged, removed, or a torn tail that could not be cut off: nothing to seal.
        case unusable
    }

    func run(_ apply: (WriteBatch, _ file: String, _ offset: Int) -> Void) throws(StrataError) -> Outcome {
        var outcome = Outcome()
        let names: [String]
        do throws(Errno) {
            names = try FileSystem.contentsOfDirectory(directory).filter { WALFormat.number(ofFileName: $0) != nil }.sorted()
        } catch {
            if error == .noSuchFile { return outcome }
            throw .io(error, "listing the write-ahead log", path: directory)
        }
        for (position, name) in names.enumerated() {
            let path = directory + "/" + name
            outcome.highestNumber = max(outcome.highestNumber, WALFormat.number(ofFileName: name)!)
            let contents: [UInt8]
            do throws(Errno) {
                contents = try FileSystem.readFile(path)
            } catch {
                // A reader may race with the writer deleting a flushed file: nothing to replay then.
                if error == .noSuchFile && !repairs { continue }
                throw .io(error, "reading the write-ahead log", path: path)
            }
            outcome.files.append(path)
            outcome.bytes += contents.count
            let isLast = position == names.count - 1
            let ending = contents.withUnsafeBytes { bytes in
                replay(file: path, bytes: bytes, isLast: isLast, outcome: &outcome, apply: apply)
            }
            switch ending {
            case .sealed:
                outcome.sealedFiles.append(path)
            case .open(let version, let records, let offset) where version >= 2:
                if !isLast {
                    // Closed for good (a later file exists) yet not sealed: its end was cut off.
                    damaged(path, at: offset, reason: "cut short: no end record",
                            consequence: "a later log file exists, so this one was closed for good and sealed; whatever followed its \(records) records (all recovered) is lost",
                            outcome: &outcome)
                } else if repairs {
                    try seal(path, records: records, at: offset)
                    outcome.sealedFiles.append(path)
                }
            case .open, .unusable:
                break
            }
        }
        return outcome
    }

    /// What replay learned of one file so far.
    private struct FileProgress {
        var records = 0
        var sealed = false
        /// Damage was found (and reported): the file is set aside, never repaired.
        var damaged = false
        /// Records after the damage that pass their checksum but do not decode (their
        /// series were defined by a record the damage took): the first is reported, the rest counted.
        var undecodableAfterDamage: [Int] = []

        func ending(version: UInt16, at offset: Int) -> Ending {
            sealed ? .sealed : .open(version: version, records: records, offset: offset)
        }
    }

    /// Replays one file: its frames (see ``WALFrameReader``) through a ``WALRecordDecoder``.
    private func replay(
        file path: String, bytes: UnsafeRawBufferPointer, isLast: Bool,
        outcome: inout Outcome, apply: (WriteBatch, String, Int) -> Void
    ) -> Ending {
        guard bytes.count >= WALFormat.headerSize else {
            shortFile(path, size: bytes.count, isLast: isLast, outcome: &outcome)
            return .unusable
        }
        guard let (version, flags) = WALFrameReader.fileHeader(bytes) else {
            damaged(path, at: 0, unread: bytes.count, reason: "bad header (magic, version or checksum)", outcome: &outcome)
            return .unusable
        }
        var frames = WALFrameReader(bytes: bytes, version: version, flags: flags)
        var decoder = WALRecordDecoder(version: version)
        var progress = FileProgress()
        defer {
            if progress.undecodableAfterDamage.count > 1 {
                let more = progress.undecodableAfterDamage.dropFirst()
                outcome.problems.append(StrataError(.corruptFile, "\(more.count) more write-ahead log records after the damage pass their checksum but do not decode (as the one reported before them); skipped", path: path, offset: more.first))
            }
        }
        while let frame = frames.next() {
            switch frame {
            case .record(let offset, let type, let payload):
                if progress.sealed {
                    // Never written: a sealed file is closed for good.
                    damaged(path, at: offset, unread: bytes.count - offset, reason: "data after the end record", outcome: &outcome)
                    return .unusable
                }
                let decoded = decoder.decode(type: type, payload: UnsafeRawBufferPointer(rebasing: bytes[payload]))
                guard take(decoded, of: path, at: offset, progress: &progress, outcome: &outcome, apply: apply) else {
                    damaged(path, at: offset, unread: bytes.count - offset, reason: Self.endMismatch(decoded, progress), outcome: &outcome)
                    return .unusable
                }
            case .damage(let offset, let length, let reason):
                progress.damaged = true
                damaged(path, at: offset, reason: reason,
                        consequence: "\(length) bytes skipped, up to the next valid record at offset \(offset + length); the records before and after them were recovered",
                        outcome: &outcome)
            case .unusedRoom(let offset):
                return progress.damaged ? .unusable : unusedRoom(path, at: offset, ending: progress.ending(version: version, at: offset))
            case .unreadableTail(let offset, let reason, let tornAppend):
                if isLast && tornAppend {
                    return tornTail(path, at: offset, dropping: bytes.count - offset, version: version, records: progress.records,
                                    reason: reason, keepingDamagedFile: progress.damaged, outcome: &outcome)
                }
                damaged(path, at: offset, unread: bytes.count - offset, reason: reason, outcome: &outcome)
                return .unusable
            }
        }
        guard progress.damaged else { return progress.ending(version: version, at: bytes.count) }
        if version >= 2 && !progress.sealed && !isLast {
            damaged(path, at: bytes.count, reason: "cut short: no end record",
                    consequence: "a later log file exists, so this one was closed for good and sealed; whatever followed its last record is lost",
                    outcome: &outcome)
        }
        return .unusable
    }

    /// Applies one decoded record. False for an end record that disagrees with
    /// the file: nothing after it can be trusted.
    private func take(
        _ decoded: WALRecordDecoder.Decoded, of path: String, at offset: Int, progress: inout FileProgress,
        outcome: inout Outcome, apply: (WriteBatch, String, Int) -> Void
    ) -> Bool {
        switch decoded {
        case .batch(let batch):
            apply(batch, path, offset)
            outcome.records += 1
            outcome.points += batch.count
        case .definitions:
            break
        case .malformed(let reason):
            if progress.damaged {
                // Typically rows whose series a lost `series` record defined: one problem for all of them.
                progress.undecodableAfterDamage.append(offset)
                if progress.undecodableAfterDamage.count > 1 { break }
            }
            outcome.problems.append(StrataError(.corruptFile, "write-ahead log record passes its checksum but does not decode (\(reason)); skipped", path: path, offset: offset))
        case .unknown(let type):
            outcome.problems.append(StrataError(.corruptFile, "write-ahead log record of unknown type \(type); skipped (written by a newer Strata?)", path: path, offset: offset))
        case .end(let mark):
            guard let mark, mark.offset == UInt64(offset) else { return false }
            if mark.records != UInt64(progress.records) {
                // Damage skipped records: the end record says how many there were.
                guard progress.damaged else { return false }
                let read = UInt64(progress.records)
                let difference = mark.records > read ? "\(mark.records - read) lost to the damage before it" : "\(read - mark.records) more than it counts"
                damaged(path, at: offset, reason: "the end record counts \(mark.records) records before it and \(read) were read",
                        consequence: difference, outcome: &outcome)
            }
            progress.sealed = true
        }
        progress.records += 1
        return true
    }

    /// Why an end record was refused (see ``take(_:of:at:progress:outcome:apply:)``).
    private static func endMismatch(_ decoded: WALRecordDecoder.Decoded, _ progress: FileProgress) -> String {
        guard case .end(let mark) = decoded else { return "an unexpected record" }
        let found = mark.map { "\($0.records) records ending at \($0.offset)" } ?? "a payload of the wrong size"
        return "the end record says \(found), but \(progress.records) records end here"
    }


    /// A file shorter than its header.
    private func shortFile(_ path: String, size: Int, isLast: Bool, outcome: inout Outcome) {
        guard isLast else {
            // A later file exists, so this one was created whole and closed: it was cut short.
            damaged(path, at: 0, reason: "cut short: \(size) bytes, shorter than the \(WALFormat.headerSize)-byte file header",
                    consequence: "a later log file exists, so this one was created whole; whatever it held is lost", outcome: &outcome)
            return
        }
        // The last file was being created when the process died: the header is synced
        // before the first append, so it never held an acknowledged record.
        let reason = "the file ends inside its \(WALFormat.headerSize)-byte header: its creation was interrupted"
        guard repairs else {
            if reportsTornTails {
                outcome.problems.append(StrataError(.corruptFile, "torn tail of the write-ahead log (\(reason)): \(size) bytes and no record; the next writer to open the store removes the file", path: path, offset: 0))
            }
            return
        }
        var note = "torn tail of the write-ahead log (\(reason)): \(size) bytes and no record; the file was removed"
        do throws(Errno) {
            try FileSystem.removeFile(path)
            outcome.files.removeAll { $0 == path }
        } catch {
            note += "; removing it failed (\(error)), it is ignored"
        }
        outcome.problems.append(StrataError(.corruptFile, note, path: path, offset: 0))
    }

    /// The end of a preallocated file's records, with only zeros after: for
    /// the writer, the zeros are cut off (the file is then sealed, or is sealed
    /// already). Nothing is reported: no append was lost.
    private func unusedRoom(_ path: String, at offset: Int, ending: Ending) -> Ending {
        guard repairs else { return ending }
        // On failure the zeros stay, and are read as unused room again next time.
        try? cutOff(path, at: offset)
        return ending
    }

    /// Truncates the file at `path` to `offset` bytes, synced.
    private func cutOff(_ path: String, at offset: Int) throws(Errno) {
        let descriptor = try FileDescriptor.open(path, .writeOnly)
        defer { descriptor.close() }
        try descriptor.truncate(to: offset)
        try descriptor.sync()
    }

    /// Reports (and for the writer, cuts off) the torn tail of the last file. The file then
    /// ends after `records` records at `offset`, unless cutting failed. A file
    /// damaged before its tail is set aside as found: nothing is cut off.
    private func tornTail(
        _ path: String, at offset: Int, dropping bytes: Int, version: UInt16, records: Int, reason: String,
        keepingDamagedFile: Bool = false, outcome: inout Outcome
    ) -> Ending {
        if keepingDamagedFile {
            if repairs || reportsTornTails {
                outcome.problems.append(StrataError(.corruptFile, "torn tail of the write-ahead log (\(reason)): \(bytes) bytes of an append that was never acknowledged; the file is damaged before it and is set aside as found", path: path, offset: offset))
            }
            return .unusable
        }
        // A reader beside a live writer sees the record being written as a torn tail: not a problem.
        guard repairs else {
            if reportsTornTails {
                outcome.problems.append(StrataError(.corruptFile, "torn tail of the write-ahead log (\(reason)): \(bytes) bytes of an unacknowledged append; the next writer to open the store cuts them off", path: path, offset: offset))
            }
            return .open(version: version, records: records, offset: offset)
        }
        var note = "torn tail of the write-ahead log (\(reason)): \(bytes) bytes of an append that was never acknowledged dropped"
        var ending = Ending.open(version: version, records: records, offset: offset)
        do throws(Errno) {
            try cutOff(path, at: offset)
        } catch {
            note += "; cutting them off failed (\(error)), they are ignored"
            ending = .unusable
        }
        outcome.problems.append(StrataError(.corruptFile, note, path: path, offset: offset))
        return ending
    }

    /// Appends the end record to the last file, which ends after `records` records at `offset`.
    private func seal(_ path: String, records: Int, at offset: Int) throws(StrataError) {
        let record = WALRecord(endOfFileAfter: records, at: offset)
        do throws(Errno) {
            let descriptor = try FileDescriptor.open(path, .writeOnly)
            defer { descriptor.close() }
            do throws(Errno) {
                try descriptor.write(record.bytes, at: offset)
                try descriptor.sync()
            } catch {
                // Leave the file as it was (a torn end record would be cut off by the next writer anyway).
                try? descriptor.truncate(to: offset)
                throw error
            }
        } catch {
            throw .io(error, "sealing the last write-ahead log file (appending its end record)", path: path)
        }
    }

    private func damaged(_ path: String, at offset: Int, unread bytes: Int, reason: String, outcome: inout Outcome) {
        damaged(path, at: offset, reason: reason, consequence: "the \(bytes) bytes from here to the end of the file could not be read, everything before was recovered", outcome: &outcome)
    }

    private func damaged(_ path: String, at offset: Int, reason: String, consequence: String, outcome: inout Outcome) {
        outcome.problems.append(StrataError(.corruptFile, "write-ahead log is damaged (\(reason)); \(consequence)", path: path, offset: offset))
        if !outcome.damagedFiles.contains(path) { outcome.damagedFiles.append(path) }
    }
}
