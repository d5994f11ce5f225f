import StrataCodecs

/// Constants of the write-ahead log format, version 4 (versions 1 to 3 are
/// still read), described in the DocC article "Write-ahead log format".
enum WALFormat {
    /// First eight bytes of every log file: "STRATWAL".
    static let magic: [UInt8] = Array("STRATWAL".utf8)
    /// The version new files are written with.
    static let version: UInt16 = 4
    /// Versions a reader accepts.
    static let readableVersions: ClosedRange<UInt16> = 1...4
    /// magic(8) version(2) flags(2) crc32c(4)
    static let headerSize = 16
    /// Where the file header's version <u16> starts.
    static let headerVersionOffset = 8
    /// Where the file header's flags <u16> start.
    static let headerFlagsOffset = 10
    /// Where the file header's checksum <u32> starts; it covers the bytes before it.
    static let headerChecksumOffset = 12
    /// length(4) ~length(4) crc32c(4) type(1)
    static let recordHeaderSize = 13
    /// Version 1: length(4) crc32c(4) type(1)
    static let version1RecordHeaderSize = 9
    /// Where a record header's payload length <u32> starts (every version).
    static let recordLengthOffset = 0
    /// Where a record header's length complement <u32> starts (version 2 and later).
    static let recordComplementOffset = 4
    /// The end record's payload: records(8) endOffset(8).
    static let endPayloadSize = 16
    /// A whole end record.
    static let endRecordSize = recordHeaderSize + endPayloadSize
    /// Version 1: the largest plausible record payload (version 2 checks a length against its complement instead).
    static let maximumPayload = 1 << 30
    static let folder = "wal"
    static let fileExtension = "wal"
    static let damagedSuffix = ".damaged"
    /// A file filled with zeros ahead of use, renamed to its number when the
    /// log rotates into it: `NNNNNNNNNN.wal.prepared`.
    static let preparedSuffix = ".prepared"
    /// Header flag: the file was filled with zeros before its first record,
    /// so a zero tail is space not yet written, not a torn append.
    static let preallocatedFlag: UInt16 = 1
    static let sequenceDigits = 10

    /// Record types. Stored on disk: never renumber.
    enum RecordType: UInt8 {
        /// A ``WriteBatch`` naming its series: series table, then row
        /// columns. Written by versions 1 and 2; still replayed.
        case batch = 1
        /// The end of a file closed for good (version 2): the number of
        /// records before it and its own offset. Always the last record.
        case end = 2
        /// Version 3: series numbers defined for the rest of the file.
        case series = 3
        /// Version 3: rows naming their series by number (see ``WALRowsEncoding``).
        case rows = 4
        /// Version 4: a `rows` payload compressed as one LZ4 block, after
        /// its uncompressed length <varint>. Written when it saves at least
        /// an eighth: a durable append's cost grows with the bytes synced.
        case compressedRows = 5
    }

    /// Fewer rows than this are written uncompressed: too few bytes to gain.
    static let compressionMinimumRows = 64

    /// The size of a record header in a file of `version`.
    static func recordHeaderSize(version: UInt16) -> Int {
        version == 1 ? version1RecordHeaderSize : recordHeaderSize
    }

    /// Where a record header's checksum <u32> starts in a file of `version`;
    /// it covers the type byte and the payload, everything after it.
    static func recordChecksumOffset(version: UInt16) -> Int {
        version == 1 ? 4 : 8
    }

    /// Where a record header's type byte is in a file of `version`: its last byte.
    static func recordTypeOffset(version: UInt16) -> Int {
        recordHeaderSize(version: version) - 1
    }

    /// The record types a writer of `version` wrote: a valid frame of another
    /// type found while resynchronising after damage is not trusted.
    static func writtenTypes(version: UInt16) -> ClosedRange<UInt8> {
        switch version {
        case 1: RecordType.batch.rawValue...RecordType.batch.rawValue
        case 2: RecordType.batch.rawValue...RecordType.end.rawValue
        case 3: RecordType.batch.rawValue...RecordType.rows.rawValue
        default: RecordType.batch.rawValue...RecordType.compressedRows.rawValue
        }
    }

    static func fileName(_ number: UInt64) -> String {
        let digits = String(number)
        return String(repeating: "0", count: max(0, sequenceDigits - digits.count)) + digits + "." + fileExtension
    }

    static func number(ofFileName name: String) -> UInt64? {
        guard name.hasSuffix("." + fileExtension) else { return nil }
        let stem = name.dropLast(fileExtension.count + 1)
        guard stem.count == sequenceDigits, stem.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return UInt64(stem)
    }

    /// A file header of the current version.
    static func fileHeader(flags: UInt16 = 0) -> [UInt8] {
        fileHeader(version: version, flags: flags)
    }

    /// A file header of `version` (tests build version 1 files with it).
    static func fileHeader(version: UInt16, flags: UInt16 = 0) -> [UInt8] {
        var header = ByteWriter(capacity: headerSize)
        header.writeBytes(magic)
        header.writeUInt16(version)
        header.writeUInt16(flags)
        header.writeUInt32(header.bytes.withUnsafeBytes { CRC32C.checksum($0) })
        return header.bytes
    }
}
