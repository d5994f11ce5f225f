/// Eight bytes of text handled as one `UInt64` ("SIMD within a register"):
/// finding a few delimiter bytes and reading runs of digits a word at a time
/// instead of a byte at a time, where the importers spend most of their time.
///
/// Words are loaded little-endian, so the byte at the lowest offset is the
/// lowest byte of the word. Every operation is exact: no false matches from
/// carries between bytes.
enum ByteWord {
    /// 0x7F in every byte.
    static let low: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
    /// 0x01 in every byte.
    static let ones: UInt64 = 0x0101_0101_0101_0101

    /// `byte` in each of the eight bytes.
    @inline(__always)
    static func repeating(_ byte: UInt8) -> UInt64 { UInt64(byte) &* ones }

    /// 0x80 in each byte of `word` equal to the byte repeated in `pattern`, 0 elsewhere.
    ///
    /// A byte of `word ^ pattern` is zero exactly where the bytes are equal, and
    /// `((x & 0x7F…) + 0x7F…) | x` sets the top bit of every non-zero byte without
    /// a carry crossing into the next byte (the classic zero-byte test, in its exact form).
    @inline(__always)
    static func matches(_ word: UInt64, _ pattern: UInt64) -> UInt64 {
        let x = word ^ pattern
        return ~(((x & low) &+ low) | x | low)
    }

    /// The number of bytes marked in `lanes`, each byte of which holds a count
    /// (at most 255 in a byte).
    @inline(__always)
    static func sumOfLanes(_ lanes: UInt64) -> Int {
        let pairs = (lanes & 0x00FF_00FF_00FF_00FF) &+ ((lanes >> 8) & 0x00FF_00FF_00FF_00FF)
        return Int(truncatingIfNeeded: (pairs &* 0x0001_0001_0001_0001) >> 48)
    }

    /// Whether all eight bytes of `word` are ASCII digits `0`…`9`.
    ///
    /// A byte is a digit when its high half is 3 and adding 6 leaves it 3 (0x39 + 6
    /// = 0x3F, 0x3A + 6 = 0x40); a byte whose high half is 3 cannot carry into the next.
    @inline(__always)
    static func isEightDigits(_ word: UInt64) -> Bool {
        let high: UInt64 = 0xF0F0_F0F0_F0F0_F0F0
        let zeros = repeating(0x30)
        return (word & high) == zeros && ((word &+ repeating(0x06)) & high) == zeros
    }

    /// The number written by eight ASCII digits (checked by ``isEightDigits(_:)``),
    /// the first digit in the lowest byte: pairs, then fours, then the eight.
    @inline(__always)
    static func valueOfEightDigits(_ word: UInt64) -> UInt64 {
        var x = word &- repeating(0x30)
        x = (x &* 10 &+ (x >> 8)) & 0x00FF_00FF_00FF_00FF
        x = (x &* 100 &+ (x >> 16)) & 0x0000_FFFF_0000_FFFF
        return (x &* 10_000 &+ (x >> 32)) & 0xFFFF_FFFF
    }

    /// Whether the `count` bytes at `left` and at `right` are the same, compared
    /// a word at a time (the last word overlapping the one before): for the short
    /// names a parser compares on every row, cheaper than a call to `memcmp`.
    @inline(__always)
    static func equal(_ left: UnsafeRawPointer, _ right: UnsafeRawPointer, count: Int) -> Bool {
        guard count >= 8 else {
            for offset in 0..<count where left.load(fromByteOffset: offset, as: UInt8.self) != right.load(fromByteOffset: offset, as: UInt8.self) {
                return false
            }
            return true
        }
        var offset = 0
        while offset + 8 < count {
            if left.loadUnaligned(fromByteOffset: offset, as: UInt64.self) != right.loadUnaligned(fromByteOffset: offset, as: UInt64.self) {
                return false
            }
            offset += 8
        }
        return left.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self) == right.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)
    }
}
