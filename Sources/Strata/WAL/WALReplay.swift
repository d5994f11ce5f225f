import StrataCodecs

#if canImport(Glibc)
import Glibc
#endif

/// Reads the log files of a store in order and hands every valid record's
/// batch to the caller, reporting what it could not read.
///
/// - A **torn tail** (the last file ends inside a record: a crash during an
///   append) is expected after a crash. The writer cuts it off; its points
///   were never acknowledged.
/// - **Corruption in the middle** (a record that fails its checksum with
///   more data after it, or a damaged header) is reported with file and
///   offset. Everything before it is kept; the rest of that file cannot be
///   framed and is reported as unread; later files are still replayed.
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
    }

    let directory: String
    /// True for the writer: torn tails are truncated away. A reader changes nothing.
    let repairs: Bool
    /// For `strata verify`: report torn tails even without repairing them.
    var reportsTornTails = false

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
            contents.withUnsafeBytes { bytes in
                replay(file: path, bytes: bytes, isLast: isLast, outcome: &outcome, apply: apply)
            }
        }
        return outcome
    }

    private func replay(
        file path: String, bytes: UnsafeRawBufferPointer, isLast: Bool,
        outcome: inout Outcome, apply: (WriteBatch, String, Int) -> Void
    ) {
        // A file shorter than its header was being created when the process died; it
        // never held a record (its header is synced before the first append).
        guard bytes.count >= WALFormat.headerSize else {
            if repairs {
                _ = try? FileSystem.removeFile(path)
                outcome.files.removeAll { $0 == path }
                if bytes.count > 0 {
                    outcome.problems.append(StrataError(.corruptFile, "write-ahead log file cut short while it was being created (\(bytes.count) bytes, no record); removed", path: path, offset: 0))
                }
            }
            return
        }
        let headerValid = bytes.prefix(8).elementsEqual(WALFormat.magic)
            && UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt16.self)) == WALFormat.version
            && UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 12, as: UInt32.self)) == CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[0..<12]))
        guard headerValid else {
            damaged(path, at: 0, unread: bytes.count, reason: "bad header (magic, version or checksum)", outcome: &outcome)
            return
        }
        var offset = WALFormat.headerSize
        while offset < bytes.count {
            let remaining = bytes.count - offset
            guard remaining >= WALFormat.recordHeaderSize else {
                finish(path, at: offset, remaining: remaining, isLast: isLast, reason: "the file ends inside a record header", outcome: &outcome)
                return
            }
            let length = Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
            let checksum = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self))
            let end = offset + WALFormat.recordHeaderSize + length
            guard length <= WALFormat.maximumPayload, end <= bytes.count else {
                finish(path, at: offset, remaining: remaining, isLast: isLast, reason: "a record of \(length) bytes runs past the end of the file", outcome: &outcome)
                return
            }
            let covered = UnsafeRawBufferPointer(rebasing: bytes[(offset + 8)..<end])
            guard CRC32C.checksum(covered) == checksum else {
                // A bad last record is a torn append; a bad record with data after it is damage.
                let tornAtEnd = isLast && end == bytes.count
                if tornAtEnd {
                    tornTail(path, at: offset, dropping: remaining, reason: "the last record fails its checksum", outcome: &outcome)
                } else {
                    damaged(path, at: offset, unread: remaining, reason: "a record fails its checksum", outcome: &outcome)
                }
                return
            }
            let type = bytes[offset + 8]
            let payload = UnsafeRawBufferPointer(rebasing: bytes[(offset + WALFormat.recordHeaderSize)..<end])
            if type == WALFormat.RecordType.batch.rawValue {
                do throws(WALBatchEncoding.Malformed) {
                    let batch = try WALBatchEncoding.decode(payload)
                    apply(batch, path, offset)
                    outcome.records += 1
                    outcome.points += batch.count
                } catch {
                    outcome.problems.append(StrataError(.corruptFile, "write-ahead log record passes its checksum but does not decode (\(error.reason)); skipped", path: path, offset: offset))
                }
            } else {
                outcome.problems.append(StrataError(.corruptFile, "write-ahead log record of unknown type \(type); skipped (written by a newer Strata?)", path: path, offset: offset))
            }
            offset = end
        }
    }

    private func finish(_ path: String, at offset: Int, remaining: Int, isLast: Bool, reason: String, outcome: inout Outcome) {
        if isLast {
            tornTail(path, at: offset, dropping: remaining, reason: reason, outcome: &outcome)
        } else {
            damaged(path, at: offset, unread: remaining, reason: reason, outcome: &outcome)
        }
    }

    private func tornTail(_ path: String, at offset: Int, dropping bytes: Int, reason: String, outcome: inout Outcome) {
        // A reader beside a live writer sees the record being written as a torn tail: not a problem.
        guard repairs else {
            if reportsTornTails {
                outcome.problems.append(StrataError(.corruptFile, "torn tail of the write-ahead log (\(reason)): \(bytes) bytes of an unacknowledged append; the next writer to open the store cuts them off", path: path, offset: offset))
            }
            return
        }
        var note = "torn tail of the write-ahead log (\(reason)): \(bytes) bytes of an append that was never acknowledged dropped"
        do throws(Errno) {
            let descriptor = try FileDescriptor.open(path, O_WRONLY)
            defer { descriptor.close() }
            try descriptor.truncate(to: offset)
            try descriptor.sync()
        } catch {
            note += "; cutting them off failed (\(error)), they are ignored"
        }
        outcome.problems.append(StrataError(.corruptFile, note, path: path, offset: offset))
    }

    private func damaged(_ path: String, at offset: Int, unread bytes: Int, reason: String, outcome: inout Outcome) {
        outcome.problems.append(StrataError(
            .corruptFile,
            "write-ahead log is damaged (\(reason)); the \(bytes) bytes from here to the end of the file could not be read, everything before was recovered",
            path: path, offset: offset))
        if !outcome.damagedFiles.contains(path) { outcome.damagedFiles.append(path) }
    }
}
