import StrataCodecs

/// What the framing of a log file yields, in file order.
enum WALFrame {
    /// A record whose frame is sound and whose checksum holds.
    case record(offset: Int, type: UInt8, payload: Range<Int>)
    /// `length` bytes from `offset` that hold no valid record, with a valid
    /// record right after them: skipped, and reading goes on there.
    case damage(offset: Int, length: Int, reason: String)
    /// From `offset` to the end of the file nothing can be framed. `tornAppend`
    /// says whether it has the shape an append interrupted by a crash leaves
    /// (only the last file can end so without damage).
    case unreadableTail(offset: Int, reason: String, tornAppend: Bool)
    /// Only zeros from `offset`, a record boundary, in a preallocated file:
    /// room not written yet.
    case unusedRoom(offset: Int)
}

/// Splits the bytes of a log file (after its header) into records, and after
/// damage resynchronises on the next valid record and reports the bytes
/// skipped, as LevelDB's log reader does (it drops the rest of a 32 KiB block;
/// these records are not in blocks, so the next valid frame is searched for;
/// see the DocC article "Write-ahead log format").
///
/// A candidate record after damage must be of a type its version wrote, fit
/// in the file, have a length that agrees with its complement (version 2 and
/// later) and pass its checksum: a false match needs two 32-bit coincidences.
/// When a damaged record's length agrees with its complement, its extent is
/// trusted and the search starts at its end, so a valid-looking frame inside
/// its payload (values a user wrote) is never taken for a record.
struct WALFrameReader {
    private let bytes: UnsafeRawBufferPointer
    private let version: UInt16
    private let framed: Bool
    private let headerSize: Int
    private let checksumOffset: Int
    private let typeOffset: Int
    private let writtenTypes: ClosedRange<UInt8>
    private let preallocated: Bool
    /// In a preallocated file, the end of its last nonzero byte; else the file size.
    private let zeroTail: Int
    private var offset = WALFormat.headerSize
    private var finished = false
    /// Bytes the resynchronising search may still checksum: bounds the work a
    /// file crafted to hold many near-valid frames can cause.
    private var searchBudget: Int

    /// Frames `bytes`, a whole file whose header is valid and says `version` and `flags`.
    init(bytes: UnsafeRawBufferPointer, version: UInt16, flags: UInt16) {
        self.bytes = bytes
        self.version = version
        framed = version >= 2
        headerSize = WALFormat.recordHeaderSize(version: version)
        checksumOffset = WALFormat.recordChecksumOffset(version: version)
        typeOffset = WALFormat.recordTypeOffset(version: version)
        writtenTypes = WALFormat.writtenTypes(version: version)
        // A preallocated file's zero tail is room not yet written. Where it starts
        // (after the last nonzero byte) tells a torn last record from damage.
        preallocated = framed && flags & WALFormat.preallocatedFlag != 0
        var zeroTail = bytes.count
        if preallocated {
            while zeroTail > WALFormat.headerSize && bytes[zeroTail - 1] == 0 { zeroTail -= 1 }
        }
        self.zeroTail = zeroTail
        searchBudget = 16 * bytes.count + (1 << 20)
    }

    /// The version and flags of a valid file header, or nil (too short, bad magic, version or checksum).
    static func fileHeader(_ bytes: UnsafeRawBufferPointer) -> (version: UInt16, flags: UInt16)? {
        guard bytes.count >= WALFormat.headerSize else { return nil }
        let version = UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: WALFormat.headerVersionOffset, as: UInt16.self))
        let flags = UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: WALFormat.headerFlagsOffset, as: UInt16.self))
        let stored = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: WALFormat.headerChecksumOffset, as: UInt32.self))
        let covered = UnsafeRawBufferPointer(rebasing: bytes[0..<WALFormat.headerChecksumOffset])
        guard bytes.prefix(WALFormat.magic.count).elementsEqual(WALFormat.magic),
              WALFormat.readableVersions.contains(version), stored == CRC32C.checksum(covered) else { return nil }
        return (version, flags)
    }

    /// The bytes of a log file worth copying: a preallocated file without the
    /// zeros after its last record (room not written yet), any other file whole.
    static func usedLength(of bytes: UnsafeRawBufferPointer) -> Int {
        guard let (version, flags) = fileHeader(bytes), flags & WALFormat.preallocatedFlag != 0 else { return bytes.count }
        var frames = WALFrameReader(bytes: bytes, version: version, flags: flags)
        while let frame = frames.next() {
            switch frame {
            case .record: continue
            case .unusedRoom(let offset): return offset
            // Damage or a torn tail is copied as it is, for the copy's recovery to judge.
            case .damage, .unreadableTail: return bytes.count
            }
        }
        return bytes.count
    }

    /// The next frame, or nil at the end of the file (or after an unreadable tail or unused room).
    mutating func next() -> WALFrame? {
        guard !finished, offset < bytes.count else { return nil }
        let start = offset
        if preallocated && start >= zeroTail {
            finished = true
            return .unusedRoom(offset: start)
        }
        switch inspect(at: start) {
        case .valid(let type, let end):
            offset = end
            return .record(offset: start, type: type, payload: (start + headerSize)..<end)
        case .invalid(let flaw):
            if let resumeAt = flaw.searchFrom.flatMap({ resynchronise(from: $0) }) {
                offset = resumeAt
                return .damage(offset: start, length: resumeAt - start, reason: flaw.reason)
            }
            finished = true
            return .unreadableTail(offset: start, reason: flaw.reason, tornAppend: flaw.tornAppend)
        }
    }

    /// Why a frame is not a record: in words, whether it looks like an
    /// interrupted append, and where a search for the next record may start
    /// (nil: nothing after it can be a record).
    private struct Flaw {
        var reason: String
        var tornAppend: Bool
        var searchFrom: Int?
    }

    private enum Inspection {
        case valid(type: UInt8, end: Int)
        case invalid(Flaw)
    }

    private func inspect(at start: Int) -> Inspection {
        guard bytes.count - start >= headerSize else {
            return .invalid(Flaw(reason: "the file ends inside a record header", tornAppend: true, searchFrom: nil))
        }
        let length = Int(loadUInt32(start + WALFormat.recordLengthOffset))
        if framed {
            let complement = loadUInt32(start + WALFormat.recordComplementOffset)
            guard UInt32(length) == ~complement else {
                // Space allocated for an append the crash interrupted reads back as zeros on some file systems;
                // in a preallocated file, a header only partly written is followed by zeros.
                let zeros = zeroTail <= start + headerSize || onlyZeros(from: start)
                return .invalid(Flaw(reason: zeros ? "the file ends in zero bytes" : "a record's length (\(length)) disagrees with its complement (\(~complement))",
                                     tornAppend: zeros, searchFrom: start + 1))
            }
        }
        let end = start + headerSize + length
        // Version 1 has no complement: an implausible length is the only check on it.
        guard framed || length <= WALFormat.maximumPayload, end <= bytes.count else {
            // A length its complement confirms runs past the end: nothing after it is a record.
            return .invalid(Flaw(reason: "a record of \(length) bytes runs past the end of the file", tornAppend: true,
                                 searchFrom: framed ? nil : start + 1))
        }
        let stored = loadUInt32(start + checksumOffset)
        guard CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[(start + typeOffset)..<end])) == stored else {
            // A bad last record is a torn append (in a preallocated file, one with only zeros after it).
            return .invalid(Flaw(reason: "a record fails its checksum", tornAppend: end == bytes.count || zeroTail <= end,
                                 searchFrom: framed ? end : start + 1))
        }
        return .valid(type: bytes[start + typeOffset], end: end)
    }

    /// The offset of the first valid record at or after `start` of a type this
    /// version wrote, or nil when none is left (or the search used its budget).
    private mutating func resynchronise(from start: Int) -> Int? {
        var candidate = start
        while candidate + headerSize <= bytes.count {
            // Only zeros from here in a preallocated file: no record can start there.
            if preallocated && candidate >= zeroTail { return nil }
            if let end = plausibleEnd(at: candidate) {
                searchBudget -= end - candidate
                guard searchBudget >= 0 else { return nil }
                if case .valid = inspect(at: candidate) { return candidate }
            }
            candidate += 1
        }
        return nil
    }

    /// Where a frame at `start` would end, when its header is plausible before any checksum is computed.
    private func plausibleEnd(at start: Int) -> Int? {
        let length = Int(loadUInt32(start + WALFormat.recordLengthOffset))
        if framed {
            guard UInt32(length) == ~loadUInt32(start + WALFormat.recordComplementOffset) else { return nil }
        } else {
            guard length <= WALFormat.maximumPayload else { return nil }
        }
        guard writtenTypes.contains(bytes[start + typeOffset]) else { return nil }
        let end = start + headerSize + length
        return end <= bytes.count ? end : nil
    }

    private func onlyZeros(from start: Int) -> Bool {
        UnsafeRawBufferPointer(rebasing: bytes[start...]).allSatisfy { $0 == 0 }
    }

    private func loadUInt32(_ at: Int) -> UInt32 {
        UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt32.self))
    }
}
