/// Encodes small unsigned integers (definition levels, dictionary indices)
/// with Parquet's RLE/bit-packing hybrid (`Encodings.md`, "Run Length
/// Encoding / Bit-Packing Hybrid (RLE = 3)").
///
/// The output is a sequence of runs:
/// - an RLE run: header `count << 1` as a ULEB128 varint, then the repeated
///   value in `ceil(bitWidth / 8)` little-endian bytes;
/// - a bit-packed run: header `groups << 1 | 1`, then `groups` groups of 8
///   values, each group `bitWidth` bytes, values packed from the least
///   significant bit of the first byte.
///
/// Runs of 8 or more equal values become RLE runs; everything else is
/// bit-packed. Only the last bit-packed run may be padded (with zeros) to a
/// multiple of 8: readers stop at the page's value count.
struct RLEBitPackedHybridEncoder {
    /// Bits per value, 0 to 32.
    let bitWidth: Int
    /// The encoded runs.
    private(set) var bytes: [UInt8] = []
    /// Values waiting to be bit-packed, always flushed in groups of 8.
    private var literals: [UInt32] = []
    /// The value of the RLE run being counted, and its length so far.
    private var runValue: UInt32 = 0
    private var runLength = 0

    /// Literal runs are capped at 63 groups (504 values), the longest run
    /// older readers (which parse the header as one byte) accept.
    private static let maximumLiteralCount = 504

    init(bitWidth: Int) {
        precondition((0...32).contains(bitWidth))
        self.bitWidth = bitWidth
    }

    /// The smallest bit width that holds `value`.
    static func bitWidth(for value: UInt32) -> Int {
        value == 0 ? 0 : 32 - value.leadingZeroBitCount
    }

    /// Appends one value.
    mutating func append(_ value: UInt32) {
        if runLength > 0 && value == runValue {
            runLength += 1
            return
        }
        endRun()
        runValue = value
        runLength = 1
    }

    /// Appends `count` copies of `value`.
    mutating func append(_ value: UInt32, count: Int) {
        guard count > 0 else { return }
        append(value)
        runLength += count - 1
    }

    /// Flushes everything and returns the encoded bytes.
    mutating func finish() -> [UInt8] {
        endRun()
        flushLiterals(padding: true)
        return bytes
    }

    /// Moves the counted run out: as an RLE run when it is long enough once
    /// the pending literals are topped up to a whole group, else as literals.
    private mutating func endRun() {
        guard runLength > 0 else { return }
        var remaining = runLength
        runLength = 0
        // Literals must end on a group boundary before an RLE run starts.
        let topUp = (8 - literals.count % 8) % 8
        if remaining - topUp >= 8 {
            for _ in 0..<topUp { appendLiteral(runValue) }
            remaining -= topUp
            flushLiterals(padding: false)
            writeRLERun(value: runValue, count: remaining)
        } else {
            for _ in 0..<remaining { appendLiteral(runValue) }
        }
    }

    private mutating func appendLiteral(_ value: UInt32) {
        literals.append(value)
        if literals.count == Self.maximumLiteralCount { flushLiterals(padding: false) }
    }

    private mutating func writeRLERun(value: UInt32, count: Int) {
        writeVarint(UInt64(count) << 1)
        for byte in 0..<((bitWidth + 7) / 8) { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * byte))) }
    }

    private mutating func flushLiterals(padding: Bool) {
        guard !literals.isEmpty else { return }
        precondition(padding || literals.count % 8 == 0, "only the final bit-packed run may be padded")
        while literals.count % 8 != 0 { literals.append(0) }
        writeVarint(UInt64(literals.count / 8) << 1 | 1)
        var accumulator: UInt64 = 0
        var bitsHeld = 0
        for value in literals {
            accumulator |= UInt64(value) << bitsHeld
            bitsHeld += bitWidth
            while bitsHeld >= 8 {
                bytes.append(UInt8(truncatingIfNeeded: accumulator))
                accumulator >>= 8
                bitsHeld -= 8
            }
        }
        // 8 values of any width fill whole bytes, so nothing is left over.
        literals.removeAll(keepingCapacity: true)
    }

    private mutating func writeVarint(_ value: UInt64) {
        var remaining = value
        while remaining >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: remaining) | 0x80)
            remaining >>= 7
        }
        bytes.append(UInt8(remaining))
    }
}
