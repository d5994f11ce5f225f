/// XOR compression of `Double` columns after Facebook's Gorilla (Pelkonen et
/// al., VLDB 2015), working on raw bit patterns so every value round-trips
/// bit for bit: NaN payloads, signalling NaNs, -0.0, ±infinity, subnormals.
///
/// Format (on disk; never change it without a new ``ColumnCodec``), an
/// MSB-first bitstream zero-padded to a whole byte:
///
/// ```
/// first value        64 raw bits
/// each next value    xor = bits ^ previousBits
///   0                                        xor == 0 (value repeats)
///   10 + m bits                              xor fits the previous window: its
///                                            leading zeros >= window's, trailing
///                                            zeros >= window's; m = window length
///   11 + 6 bits leading zeros (0...63)
///      + 6 bits (meaningful length - 1)
///      + meaningful bits                     new window; trailing = 64 - leading - length
/// ```
///
/// Gorilla stores leading zeros in 5 bits and clamps at 31; 6 bits avoid the
/// clamp. `count == 0` encodes to no bytes.
public enum GorillaFloatCodec {
    /// Upper bound on the bytes ``encode(_:into:)`` needs for `count` values,
    /// including the bit writer's slack; size the output buffer with it.
    public static func maxEncodedSize(count: Int) -> Int {
        // Worst case per value after the first: 2 + 12 + 64 = 78 bits.
        8 + (max(count, 0) * 78 + 7) / 8 + BitWriter.slack
    }

    /// Encodes `values` into `output` and returns the bytes written.
    ///
    /// `output` must hold at least ``maxEncodedSize(count:)`` bytes.
    /// - Complexity: O(n), no allocation.
    public static func encode(_ values: UnsafeBufferPointer<Double>, into output: UnsafeMutableRawBufferPointer) -> Int {
        let count = values.count
        if count == 0 { return 0 }
        precondition(output.count >= maxEncodedSize(count: count), "GorillaFloatCodec: output smaller than maxEncodedSize")
        var writer = BitWriter(output, offset: 0)
        var previous = values[0].bitPattern
        writer.write(previous, count: 64)
        // No window yet: an impossible leading count makes the first nonzero xor open one.
        var windowLeading = 65
        var windowTrailing = 0
        var windowLength = 0
        var index = 1
        while index < count {
            let bits = values[index].bitPattern
            let xor = bits ^ previous
            previous = bits
            index &+= 1
            if xor == 0 {
                writer.writeSmall(0, count: 1)
                continue
            }
            let leading = xor.leadingZeroBitCount
            let trailing = xor.trailingZeroBitCount
            if leading >= windowLeading && trailing >= windowTrailing {
                writer.writeSmall(0b10, count: 2)
                writer.write(xor &>> UInt64(windowTrailing), count: windowLength)
            } else {
                let length = 64 &- leading &- trailing
                writer.writeSmall(0b11 << 12 | UInt64(leading) << 6 | UInt64(length &- 1), count: 14)
                writer.write(xor &>> UInt64(trailing), count: length)
                windowLeading = leading
                windowTrailing = trailing
                windowLength = length
            }
        }
        return writer.finish()
    }

    /// Decodes exactly `count` values from `input` into `output`.
    ///
    /// `output.count` must be at least `count`. Throws ``CodecError`` when the
    /// input is truncated or malformed; never reads outside `input`.
    /// - Complexity: O(n), no allocation.
    public static func decode(_ input: UnsafeRawBufferPointer, count: Int, into output: UnsafeMutableBufferPointer<Double>) throws(CodecError) {
        guard count >= 0 else { throw CodecError("negative value count \(count)") }
        precondition(output.count >= count, "GorillaFloatCodec: output smaller than count")
        if count == 0 { return }
        guard let out = output.baseAddress else { throw CodecError("no output buffer") }
        var reader = BitReader(input, offset: 0)
        var bits = try reader.readWide(64)
        out[0] = Double(bitPattern: bits)
        var windowTrailing = 0
        var windowLength = 0  // 0 means no window has been opened yet
        var index = 1
        while index < count {
            reader.ensure(16)
            if reader.buffer & (1 << 63) == 0 {
                guard reader.available >= 1 else { throw CodecError("float bitstream ends early at value \(index)") }
                reader.consume(1)
            } else {
                guard reader.available >= 2 else { throw CodecError("float bitstream ends early at value \(index)") }
                let control = reader.buffer &>> 62
                reader.consume(2)
                if control == 0b11 {
                    let header = try reader.read(12)
                    let leading = Int(truncatingIfNeeded: header &>> 6)
                    let length = Int(truncatingIfNeeded: header & 0x3F) &+ 1
                    guard leading &+ length <= 64 else {
                        throw CodecError("float window of \(leading) leading zeros and \(length) bits exceeds 64 at value \(index)")
                    }
                    windowTrailing = 64 &- leading &- length
                    windowLength = length
                } else if windowLength == 0 {
                    throw CodecError("float value \(index) reuses a window before any was defined")
                }
                // windowTrailing <= 63 because windowLength >= 1, so the shift is exact.
                bits ^= (try reader.readWide(windowLength)) &<< UInt64(windowTrailing)
            }
            out[index] = Double(bitPattern: bits)
            index &+= 1
        }
    }
}

extension GorillaFloatCodec: ColumnBufferCodec {}
