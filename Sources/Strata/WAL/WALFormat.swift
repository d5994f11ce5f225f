/// Constants of the write-ahead log format, version 1, described in the DocC
/// article "Write-ahead log format".
enum WALFormat {
    /// First eight bytes of every log file: "STRATWAL".
    static let magic: [UInt8] = Array("STRATWAL".utf8)
    static let version: UInt16 = 1
    /// magic(8) version(2) flags(2) crc32c(4)
    static let headerSize = 16
    /// length(4) crc32c(4) type(1)
    static let recordHeaderSize = 9
    /// The largest record payload a reader accepts; larger lengths are corruption.
    static let maximumPayload = 1 << 30
    static let folder = "wal"
    static let fileExtension = "wal"
    static let damagedSuffix = ".damaged"
    static let sequenceDigits = 10

    /// Record types. Stored on disk: never renumber.
    enum RecordType: UInt8 {
        /// A ``WriteBatch``: series table, then row columns.
        case batch = 1
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
}
