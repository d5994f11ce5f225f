import StrataCodecs

/// Rewrites the checksums of a damaged file (and the framing they cover) so
/// that a mutated file gets past them to the parser behind. Each fix-up only
/// touches fields it finds inside the file; anything else is left as it is.
enum Fixups {
    static func crc(_ bytes: [UInt8], _ range: Range<Int>) -> UInt32 {
        bytes.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[range])) }
    }

    static func u16(_ b: [UInt8], _ at: Int) -> UInt16 { UInt16(b[at]) | UInt16(b[at + 1]) << 8 }
    static func u32(_ b: [UInt8], _ at: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(b[at + $1]) << (8 * UInt32($1)) } }
    static func u64(_ b: [UInt8], _ at: Int) -> UInt64 { (0..<8).reduce(0) { $0 | UInt64(b[at + $1]) << (8 * UInt64($1)) } }
    static func put32(_ b: inout [UInt8], _ at: Int, _ v: UInt32) { for i in 0..<4 { b[at + i] = UInt8(truncatingIfNeeded: v >> (8 * UInt32(i))) } }
    static func put64(_ b: inout [UInt8], _ at: Int, _ v: UInt64) { for i in 0..<8 { b[at + i] = UInt8(truncatingIfNeeded: v >> (8 * UInt64(i))) } }

    /// MANIFEST: magic(8) version(2) flags(2) bodyLength(4) body crc32c(4 over all before it).
    static func manifest(_ b: inout [UInt8]) {
        guard b.count >= 20 else { return }
        put32(&b, 12, UInt32(b.count - 20))
        put32(&b, b.count - 4, crc(b, 0..<(b.count - 4)))
    }

    /// A log file: the header's checksum, then every record's length (cut to
    /// the file's end), its complement (versions 2+) and its checksum.
    static func wal(_ b: inout [UInt8]) {
        guard b.count >= 16 else { return }
        put32(&b, 12, crc(b, 0..<12))
        let version = u16(b, 8)
        let framed = version >= 2
        let headerSize = framed ? 13 : 9
        let checksumOffset = framed ? 8 : 4
        var offset = 16
        while offset + headerSize <= b.count {
            var length = Int(u32(b, offset))
            if length > b.count - offset - headerSize {
                length = b.count - offset - headerSize
                put32(&b, offset, UInt32(length))
            }
            if framed { put32(&b, offset + 4, ~UInt32(length)) }
            let end = offset + headerSize + length
            put32(&b, offset + checksumOffset, crc(b, (offset + headerSize - 1)..<end))
            offset = end
        }
    }

    /// A segment: header checksum; versions 1-5 the index length, index and
    /// footer checksums; version 6 each directory record's entry checksum (for
    /// records whose entry lies in the file), the directory and footer checksums.
    static func segment(_ b: inout [UInt8]) {
        guard b.count >= 16 else { return }
        put32(&b, 12, crc(b, 0..<12))
        let version = u16(b, 8)
        if version < 6 {
            guard b.count >= 16 + 32 else { return }
            let footer = b.count - 32
            let indexOffset = u64(b, footer)
            guard indexOffset >= 16, indexOffset <= UInt64(footer) else { return }
            put64(&b, footer + 8, UInt64(footer) - indexOffset)
            put32(&b, footer + 16, crc(b, Int(indexOffset)..<footer))
            put32(&b, footer + 20, crc(b, footer..<(footer + 20)))
        } else {
            guard b.count >= 16 + 72 else { return }
            let footer = b.count - 72
            let directory = u64(b, footer + 8)
            guard directory >= 16, directory <= UInt64(footer) else { return }
            let devices = min(u64(b, footer + 16), (UInt64(footer) - directory) / 20)
            for position in 0..<Int(devices) {
                let record = Int(directory) + position * 20
                let offset = u64(b, record), length = UInt64(u32(b, record + 8))
                guard offset <= UInt64(b.count), length <= UInt64(b.count) - offset else { continue }
                put32(&b, record + 12, crc(b, Int(offset)..<Int(offset + length)))
            }
            put32(&b, footer + 56, crc(b, Int(directory)..<footer))
            put32(&b, footer + 60, crc(b, footer..<(footer + 60)))
        }
    }
}
