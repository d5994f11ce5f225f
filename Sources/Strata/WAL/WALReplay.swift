import StrataCodecs

#if canImport(Glibc)
import Glibc
#endif

/// Reads the log files of a store in order and hands every valid record's
/// batch to the caller, reporting what it could not read.
///
/// - A **torn tail** is expected after a crash, and only in the last file:
///   the file ends inside a record header, or a record whose header is
///   intact runs past the end of the file, or the last record fails its
///   checksum (or, in version 2, the file ends in bytes that are all zero).
///   The writer cuts it off; its points were never acknowledged.
/// - **Damage** is everything else, reported with file and offset: a record
///   that fails its checksum with more data after it, a version 2 length that
///   disagrees with its complement, a bad file header, a file that is not the
///   last one but is shorter than its header or (version 2) lacks its end
///   record, data after an end record. Everything before it is kept; the rest
///   of that file cannot be framed and is reported as unread; later files are
///   still replayed.
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

    private func replay(
        file path: String, bytes: UnsafeRawBufferPointer, isLast: Bool,
        outcome: inout Outcome, apply: (WriteBatch, String, Int) -> Void
    ) -> Ending {
        guard bytes.count >= WALFormat.headerSize else {
            shortFile(path, size: bytes.count, isLast: isLast, outcome: &outcome)
            return .unusable
        }
        let version = UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt16.self))
        let headerValid = bytes.prefix(8).elementsEqual(WALFormat.magic)
            && WALFormat.readableVersions.contains(version)
            && UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 12, as: UInt32.self)) == CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[0..<12]))
        guard headerValid else {
            damaged(path, at: 0, unread: bytes.count, reason: "bad header (magic, version or checksum)", outcome: &outcome)
            return .unusable
        }
        let framed = version >= 2
        let recordHeaderSize = WALFormat.recordHeaderSize(version: version)
        let checksumOffset = framed ? 8 : 4
        let flags = UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 10, as: UInt16.self))
        // A preallocated file's zero tail is room not yet written. Where it starts
        // (after the last nonzero byte) tells a torn last record from damage.
        let preallocated = framed && flags & WALFormat.preallocatedFlag != 0
        var zeroTail = bytes.count
        if preallocated {
            while zeroTail > WALFormat.headerSize && bytes[zeroTail - 1] == 0 { zeroTail -= 1 }
        }
        var offset = WALFormat.headerSize
        var records = 0
        var sealed = false
        /// Version 3: the series numbers this file has defined so far.
        var definitions: [UInt32: (key: SeriesKey, type: ValueType)] = [:]
        while offset < bytes.count {
            let remaining = bytes.count - offset
            if preallocated && offset >= zeroTail {
                // Only zeros follow, at a record boundary: the file's unused room.
                return unusedRoom(path, at: offset, ending: sealed ? .sealed : .open(version: version, records: records, offset: offset))
            }
            if sealed {
                // Never written: a sealed file is closed for good.
                damaged(path, at: offset, unread: remaining, reason: "data after the end record", outcome: &outcome)
                return .unusable
            }
            guard remaining >= recordHeaderSize else {
                return finish(path, at: offset, remaining: remaining, isLast: isLast, version: version, records: records,
                              reason: "the file ends inside a record header", outcome: &outcome)
            }
            let length = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
            if framed {
                let complement = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self))
                guard length == ~complement else {
                    // Space allocated for an append the crash interrupted reads back as zeros on some file systems;
                    // in a preallocated file, a header only partly written is followed by zeros.
                    if isLast && (zeroTail <= offset + recordHeaderSize
                                  || UnsafeRawBufferPointer(rebasing: bytes[offset...]).allSatisfy({ $0 == 0 })) {
                        return tornTail(path, at: offset, dropping: remaining, version: version, records: records,
                                        reason: "the file ends in zero bytes", outcome: &outcome)
                    }
                    damaged(path, at: offset, unread: remaining,
                            reason: "a record's length (\(length)) disagrees with its complement (\(~complement))", outcome: &outcome)
                    return .unusable
                }
            }
            let checksum = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset + checksumOffset, as: UInt32.self))
            let end = offset + recordHeaderSize + Int(length)
            // Version 1 has no complement: an implausible length is the only check on it.
            guard framed || Int(length) <= WALFormat.maximumPayload, end <= bytes.count else {
                return finish(path, at: offset, remaining: remaining, isLast: isLast, version: version, records: records,
                              reason: "a record of \(length) bytes runs past the end of the file", outcome: &outcome)
            }
            let typeOffset = offset + recordHeaderSize - 1
            let covered = UnsafeRawBufferPointer(rebasing: bytes[typeOffset..<end])
            guard CRC32C.checksum(covered) == checksum else {
                // A bad last record is a torn append (in a preallocated file, one with only
                // zeros after it); a bad record with data after it is damage.
                if isLast && (end == bytes.count || zeroTail <= end) {
                    return tornTail(path, at: offset, dropping: remaining, version: version, records: records,
                                    reason: "the last record fails its checksum", outcome: &outcome)
                }
                damaged(path, at: offset, unread: remaining, reason: "a record fails its checksum", outcome: &outcome)
                return .unusable
            }
            let type = bytes[typeOffset]
            let payload = UnsafeRawBufferPointer(rebasing: bytes[(offset + recordHeaderSize)..<end])
            if type == WALFormat.RecordType.batch.rawValue {
                do throws(WALBatchEncoding.Malformed) {
                    let batch = try WALBatchEncoding.decode(payload)
                    apply(batch, path, offset)
                    outcome.records += 1
                    outcome.points += batch.count
                } catch {
                    outcome.problems.append(StrataError(.corruptFile, "write-ahead log record passes its checksum but does not decode (\(error.reason)); skipped", path: path, offset: offset))
                }
            } else if version >= 3 && type == WALFormat.RecordType.series.rawValue {
                do throws(WALBatchEncoding.Malformed) {
                    for definition in try WALSeriesEncoding.decode(payload) {
                        definitions[definition.number] = (definition.key, definition.type)
                    }
                } catch {
                    outcome.problems.append(StrataError(.corruptFile, "write-ahead log record passes its checksum but does not decode (\(error.reason)); skipped", path: path, offset: offset))
                }
            } else if (version >= 3 && type == WALFormat.RecordType.rows.rawValue)
                        || (version >= 4 && type == WALFormat.RecordType.compressedRows.rawValue) {
                do throws(WALBatchEncoding.Malformed) {
                    let batch: WriteBatch
                    if type == WALFormat.RecordType.rows.rawValue {
                        batch = try Self.batch(fromRows: payload, definitions: definitions)
                    } else {
                        let rows = try WALRecord.decompressRows(payload)
                        batch = try rows.withUnsafeBytes { rows in
                            Result { () throws(WALBatchEncoding.Malformed) in try Self.batch(fromRows: rows, definitions: definitions) }
                        }.get()
                    }
                    apply(batch, path, offset)
                    outcome.records += 1
                    outcome.points += batch.count
                } catch {
                    outcome.problems.append(StrataError(.corruptFile, "write-ahead log record passes its checksum but does not decode (\(error.reason)); skipped", path: path, offset: offset))
                }
            } else if framed && type == WALFormat.RecordType.end.rawValue {
                guard let mark = WALRecord.decodeEnd(payload), mark.records == UInt64(records), mark.offset == UInt64(offset) else {
                    let found = WALRecord.decodeEnd(payload).map { "\($0.records) records ending at \($0.offset)" } ?? "a payload of \(payload.count) bytes"
                    damaged(path, at: offset, unread: remaining,
                            reason: "the end record says \(found), but \(records) records end here", outcome: &outcome)
                    return .unusable
                }
                sealed = true
            } else {
                outcome.problems.append(StrataError(.corruptFile, "write-ahead log record of unknown type \(type); skipped (written by a newer Strata?)", path: path, offset: offset))
            }
            records += 1
            offset = end
        }
        return sealed ? .sealed : .open(version: version, records: records, offset: offset)
    }

    /// A `rows` record turned back into a batch naming its series, through the
    /// numbers the file defined before it.
    private static func batch(
        fromRows payload: UnsafeRawBufferPointer, definitions: [UInt32: (key: SeriesKey, type: ValueType)]
    ) throws(WALBatchEncoding.Malformed) -> WriteBatch {
        let rows = try WALRowsEncoding.decode(payload)
        var batch = WriteBatch(capacity: rows.numbers.count)
        var slots: [UInt32: Int] = [:]
        for row in rows.numbers.indices {
            let number = rows.numbers[row]
            let slot: Int
            if let known = slots[number] {
                slot = known
            } else {
                guard let definition = definitions[number] else {
                    throw WALBatchEncoding.Malformed(reason: "a row names series #\(number), which the file does not define")
                }
                do throws(StrataError) {
                    slot = try batch.series(device: definition.key.device, metric: definition.key.metric, type: definition.type)
                } catch {
                    // Two numbers of one file naming the same series with both types.
                    throw WALBatchEncoding.Malformed(reason: error.message)
                }
                slots[number] = slot
            }
            batch.append(series: slot, timestamp: rows.timestamps[row], bits: rows.bits[row])
        }
        return batch
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

    private func finish(
        _ path: String, at offset: Int, remaining: Int, isLast: Bool, version: UInt16, records: Int, reason: String,
        outcome: inout Outcome
    ) -> Ending {
        if isLast {
            return tornTail(path, at: offset, dropping: remaining, version: version, records: records, reason: reason, outcome: &outcome)
        }
        damaged(path, at: offset, unread: remaining, reason: reason, outcome: &outcome)
        return .unusable
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
        let descriptor = try FileDescriptor.open(path, O_WRONLY)
        defer { descriptor.close() }
        try descriptor.truncate(to: offset)
        try descriptor.sync()
    }

    /// Reports (and for the writer, cuts off) the torn tail of the last file. The file then
    /// ends after `records` records at `offset`, unless cutting failed.
    private func tornTail(
        _ path: String, at offset: Int, dropping bytes: Int, version: UInt16, records: Int, reason: String,
        outcome: inout Outcome
    ) -> Ending {
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
            let descriptor = try FileDescriptor.open(path, O_WRONLY)
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
