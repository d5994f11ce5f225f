/// Delta, zigzag and bit-packing compression of `Int64` columns (counters,
/// gauges stored as integers).
///
/// Format (on disk; never change it without a new ``ColumnCodec``):
///
/// ```
/// header   zigzag LEB128 varint     first value v0
/// blocks   for the count - 1 deltas d_i = v_i &- v_{i-1} (wrapping), zigzagged,
///          in blocks of 128 (the last may be shorter):
///            1 byte      bit width w (0...64) = bits of the block's largest zigzag delta
///            n * w bits  the zigzag deltas, MSB-first, zero-padded to a whole byte
/// ```
///
/// A width per block adapts to changing volatility without per-value
/// prefixes; width 0 stores a constant-step block in one byte.
/// `count == 0` encodes to no bytes.
public enum IntegerCodec {
    /// Deltas per block: large enough to amortise the width byte, small
    /// enough that one outlier widens only its own block.
    @usableFromInline static let blockSize = 128

    /// Upper bound on the bytes ``encode(_:into:)`` needs for `count` values,
    /// including the bit writer's slack; size the output buffer with it.
    public static func maxEncodedSize(count: Int) -> Int {
        let count = max(count, 0)
        return VarInt.maxLength + (count + blockSize - 1) / blockSize + count * 8 + BitWriter.slack
    }

    /// Encodes `values` into `output` and returns the bytes written.
    ///
    /// `output` must hold at least ``maxEncodedSize(count:)`` bytes.
    /// - Complexity: O(n), no allocation.
    public static func encode(_ values: UnsafeBufferPointer<Int64>, into output: UnsafeMutableRawBufferPointer) -> Int {
        let count = values.count
        if count == 0 { return 0 }
        precondition(output.count >= maxEncodedSize(count: count), "IntegerCodec: output smaller than maxEncodedSize")
        var offset = VarInt.write(ZigZag.encode(values[0]), into: output, at: 0)
        var start = 1
        while start < count {
            let end = min(start &+ blockSize, count)
            // First pass finds the width, second packs: deltas are cheap to recompute.
            var union: UInt64 = 0
            for i in start..<end { union |= ZigZag.encode(values[i] &- values[i &- 1]) }
            let width = 64 &- union.leadingZeroBitCount
            output[offset] = UInt8(truncatingIfNeeded: width)
            offset &+= 1
            if width > 0 {
                var writer = BitWriter(output, offset: offset)
                for i in start..<end { writer.write(ZigZag.encode(values[i] &- values[i &- 1]), count: width) }
                offset = writer.finish()
            }
            start = end
        }
        return offset
    }

    /// Decodes exactly `count` values from `input` into `output`.
    ///
    /// `output.count` must be at least `count`. Throws ``CodecError`` when the
    /// input is truncated or malformed; never reads outside `input`.
    /// - Complexity: O(n), no allocation.
    public static func decode(_ input: UnsafeRawBufferPointer, count: Int, into output: UnsafeMutableBufferPointer<Int64>) throws(CodecError) {
        guard count >= 0 else { throw CodecError("negative value count \(count)") }
        precondition(output.count >= count, "IntegerCodec: output smaller than count")
        if count == 0 { return }
        guard let out = output.baseAddress else { throw CodecError("no output buffer") }
        var offset = 0
        var current = ZigZag.decode(try VarInt.read(from: input, at: &offset))
        out[0] = current
        var start = 1
        while start < count {
            let end = min(start &+ blockSize, count)
            guard offset < input.count else { throw CodecError("integer block at value \(start) is missing its width byte") }
            let width = Int(input[offset])
            offset &+= 1
            guard width <= 64 else { throw CodecError("integer block at value \(start) has bit width \(width) > 64") }
            let blockBytes = ((end &- start) &* width &+ 7) &>> 3
            guard blockBytes <= input.count &- offset else {
                throw CodecError("integer block at value \(start) needs \(blockBytes) bytes, \(input.count - offset) remain")
            }
            if width == 0 {
                // Every delta in the block is zero: the value repeats.
                for i in start..<end { out[i] = current }
            } else {
                var reader = BitReader(UnsafeRawBufferPointer(rebasing: input[offset..<(offset &+ blockBytes)]), offset: 0)
                if width <= 56 {
                    // The block length was checked above, so every `ensure` finds its bits:
                    // no per-value error path in the hot loop.
                    let shift = UInt64(64 &- width)
                    for i in start..<end {
                        reader.ensure(width)
                        let zigzag = reader.buffer &>> shift
                        reader.consume(width)
                        current = current &+ ZigZag.decode(zigzag)
                        out[i] = current
                    }
                } else {
                    for i in start..<end {
                        current = current &+ ZigZag.decode(try reader.readWide(width))
                        out[i] = current
                    }
                }
            }
            offset &+= blockBytes
            start = end
        }
    }
}

extension IntegerCodec: ColumnBufferCodec {}
