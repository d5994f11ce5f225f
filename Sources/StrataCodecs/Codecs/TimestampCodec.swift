/// Delta-of-delta encoding of `Int64` timestamps, tuned for regular sampling.
///
/// Format (all of it is on disk; never change it without a new ``ColumnCodec``):
///
/// ```
/// header     zigzag LEB128 varint   first timestamp t0
///            LEB128 varint          scale g ≥ 1: every delta is a multiple of g (only if count >= 2)
///            zigzag LEB128 varint   first scaled delta (t1 &- t0) / g  (only if count >= 2)
/// bitstream  MSB-first, zero-padded to a whole byte, one code per point 2..<count,
///            where dod_i = d_i &- d_{i-1} with d_i = (t_i &- t_{i-1}) / g  (wrapping)
///
///   0                      dod = 0
///   10     + 7-bit  two's complement   dod in -64...63
///   110    + 9-bit  two's complement   dod in -256...255
///   1110   + 12-bit two's complement   dod in -2048...2047
///   11110  + 32-bit two's complement   dod in Int32 range
///   111110 + 64 raw bits               any dod
///   111111 + 10-bit n                  a run of n + 1 zero dods (1...1024)
/// ```
///
/// The encoder uses the run code whenever at least 8 zero dods follow
/// (runs longer than 1024 are split) and single `0` codes otherwise, so a
/// perfectly regular series costs about 16 bits per 1024 points.
/// The scale is the greatest common divisor of the deltas (1 when a delta
/// overflows Int64): readings every 5 or 10 minutes in milliseconds then cost
/// dods of ±5 or ±10 instead of ±300,000, which moves an irregular series from
/// the 37-bit bucket into the 9-bit one. (The idea is ClickHouse's GCD codec,
/// applied here to the deltas.)
/// `count == 0` encodes to no bytes; `count == 1` to the header alone.
/// All arithmetic wraps, so any `Int64` sequence round-trips, sorted or not.
public enum TimestampCodec {
    /// Shortest run worth the 16-bit run code instead of single `0` bits.
    @usableFromInline static let minimumRun = 8
    /// Longest run one run code can describe (10-bit length field, plus one).
    @usableFromInline static let maximumRun = 1024

    /// Upper bound on the bytes ``encode(_:into:)`` needs for `count` timestamps,
    /// including the bit writer's slack; size the output buffer with it.
    public static func maxEncodedSize(count: Int) -> Int {
        // Three varint headers, then at most 6 + 64 bits per remaining point.
        3 * VarInt.maxLength + (max(count, 0) * 70 + 7) / 8 + BitWriter.slack
    }

    /// Encodes `timestamps` into `output` and returns the bytes written.
    ///
    /// `output` must hold at least ``maxEncodedSize(count:)`` bytes. Any
    /// `Int64` values round-trip (unsorted, huge jumps, `Int64.min`/`max`).
    /// - Complexity: O(n), no allocation.
    public static func encode(_ timestamps: UnsafeBufferPointer<Int64>, into output: UnsafeMutableRawBufferPointer) -> Int {
        let count = timestamps.count
        if count == 0 { return 0 }
        precondition(output.count >= maxEncodedSize(count: count), "TimestampCodec: output smaller than maxEncodedSize")
        var offset = VarInt.write(ZigZag.encode(timestamps[0]), into: output, at: 0)
        if count == 1 { return offset }
        let scale = deltaScale(timestamps)
        offset = VarInt.write(UInt64(scale), into: output, at: offset)
        let firstDelta = (timestamps[1] &- timestamps[0]) / scale
        offset = VarInt.write(ZigZag.encode(firstDelta), into: output, at: offset)
        var writer = BitWriter(output, offset: offset)
        writeDeltaOfDeltas(timestamps, scale: scale, firstDelta: firstDelta, into: &writer)
        return writer.finish()
    }

    /// Writes the bitstream codes of points `2..<timestamps.count` (the format's
    /// code table), given the chunk's scale and its first scaled delta.
    /// Shared with ``TimestampGapCodec``, whose delta-of-delta form is this stream.
    @inline(__always)
    static func writeDeltaOfDeltas(_ timestamps: UnsafeBufferPointer<Int64>, scale: Int64, firstDelta: Int64, into writer: inout BitWriter) {
        let count = timestamps.count
        var previousDelta = firstDelta
        var index = 2
        while index < count {
            let rawDelta = timestamps[index] &- timestamps[index &- 1]
            // Skip the division, the slowest step here, in the common unscaled case.
            let delta = scale == 1 ? rawDelta : rawDelta / scale
            let dod = delta &- previousDelta
            previousDelta = delta
            if dod == 0 {
                // Measure the whole stretch of equal deltas so it can become run codes.
                let step = delta &* scale
                var end = index &+ 1
                while end < count && timestamps[end] &- timestamps[end &- 1] == step { end &+= 1 }
                var zeros = end &- index
                while zeros >= minimumRun {
                    let run = min(zeros, maximumRun)
                    writer.writeSmall(0b111111 << 10 | UInt64(run &- 1), count: 16)
                    zeros &-= run
                }
                if zeros > 0 { writer.writeSmall(0, count: zeros) }
                index = end
                continue
            }
            let bits = UInt64(bitPattern: dod)
            if dod >= -64 && dod <= 63 {
                writer.writeSmall(0b10 << 7 | (bits & 0x7F), count: 9)
            } else if dod >= -256 && dod <= 255 {
                writer.writeSmall(0b110 << 9 | (bits & 0x1FF), count: 12)
            } else if dod >= -2048 && dod <= 2047 {
                writer.writeSmall(0b1110 << 12 | (bits & 0xFFF), count: 16)
            } else if dod >= Int64(Int32.min) && dod <= Int64(Int32.max) {
                writer.writeSmall(0b11110 << 32 | (bits & 0xFFFF_FFFF), count: 37)
            } else {
                writer.writeSmall(0b111110, count: 6)
                writer.write(bits, count: 64)
            }
            index &+= 1
        }
    }

    /// The greatest common divisor of the deltas, or 1 when a delta overflows
    /// Int64 (wrapped deltas are not multiples of anything useful) or all are zero.
    static func deltaScale(_ timestamps: UnsafeBufferPointer<Int64>) -> Int64 {
        var divisor: UInt64 = 0
        for index in 1..<timestamps.count {
            let (delta, overflow) = timestamps[index].subtractingReportingOverflow(timestamps[index &- 1])
            if overflow { return 1 }
            var a = delta.magnitude, b = divisor
            // Euclid; equal deltas (the usual case) finish after one remainder.
            while b != 0 { (a, b) = (b, a % b) }
            divisor = a
            if divisor == 1 { return 1 }
        }
        return divisor == 0 || divisor > UInt64(Int64.max) ? 1 : Int64(divisor)
    }

    /// Decodes exactly `count` timestamps from `input` into `output`.
    ///
    /// `output.count` must be at least `count`. Throws ``CodecError`` when the
    /// input is truncated or malformed; never reads outside `input`.
    /// - Complexity: O(n), no allocation.
    public static func decode(_ input: UnsafeRawBufferPointer, count: Int, into output: UnsafeMutableBufferPointer<Int64>) throws(CodecError) {
        guard count >= 0 else { throw CodecError("negative timestamp count \(count)") }
        precondition(output.count >= count, "TimestampCodec: output smaller than count")
        if count == 0 { return }
        guard let out = output.baseAddress else { throw CodecError("no output buffer") }
        var offset = 0
        var current = ZigZag.decode(try VarInt.read(from: input, at: &offset))
        out[0] = current
        if count == 1 { return }
        let rawScale = try VarInt.read(from: input, at: &offset)
        guard rawScale >= 1, rawScale <= UInt64(Int64.max) else { throw CodecError("timestamp scale \(rawScale) is out of range") }
        let scale = Int64(rawScale)
        let delta = ZigZag.decode(try VarInt.read(from: input, at: &offset))
        current = current &+ delta &* scale
        out[1] = current
        var reader = BitReader(input, offset: offset)
        try readDeltaOfDeltas(&reader, count: count, scale: scale, previous: current, previousDelta: delta, into: out)
    }

    /// Decodes points `2..<count` of the bitstream into `out`, continuing from
    /// point 1 (`previous`, reached by the scaled `previousDelta`).
    /// Shared with ``TimestampGapCodec``, whose delta-of-delta form is this stream.
    @inline(__always)
    static func readDeltaOfDeltas(
        _ reader: inout BitReader, count: Int, scale: Int64, previous: Int64, previousDelta: Int64, into out: UnsafeMutablePointer<Int64>
    ) throws(CodecError) {
        var current = previous
        var delta = previousDelta
        var index = 2
        while index < count {
            reader.ensure(16)
            // Leading ones of the peeked word give the prefix; codes stop at six.
            let ones = min((~reader.buffer).leadingZeroBitCount, 6)
            switch ones {
            case 0:
                guard reader.available >= 1 else { throw CodecError("timestamp bitstream ends early at point \(index)") }
                reader.consume(1)
            case 1:
                delta = delta &+ (try signed(&reader, prefix: 2, width: 7))
            case 2:
                delta = delta &+ (try signed(&reader, prefix: 3, width: 9))
            case 3:
                delta = delta &+ (try signed(&reader, prefix: 4, width: 12))
            case 4:
                reader.ensure(37)
                delta = delta &+ (try signed(&reader, prefix: 5, width: 32))
            case 5:
                guard reader.available >= 6 else { throw CodecError("timestamp bitstream ends early at point \(index)") }
                reader.consume(6)
                delta = delta &+ Int64(bitPattern: try reader.readWide(64))
            default:
                guard reader.available >= 16 else { throw CodecError("timestamp bitstream ends early at point \(index)") }
                let run = Int(truncatingIfNeeded: (reader.buffer &<< 6) &>> 54) &+ 1
                reader.consume(16)
                guard run <= count &- index else {
                    throw CodecError("run of \(run) equal steps at point \(index) overshoots count \(count)")
                }
                // Constant-step run: the delta is unchanged, so only additions remain.
                let end = index &+ run
                let step = delta &* scale
                while index < end {
                    current = current &+ step
                    out[index] = current
                    index &+= 1
                }
                continue
            }
            current = current &+ delta &* scale
            out[index] = current
            index &+= 1
        }
    }

    /// Reads a `prefix`-bit code plus a `width`-bit two's complement payload
    /// (prefix + width ≤ 56) and returns the sign-extended payload.
    @inline(__always)
    static func signed(_ reader: inout BitReader, prefix: Int, width: Int) throws(CodecError) -> Int64 {
        guard reader.available >= prefix &+ width else { throw CodecError("timestamp bitstream ends early") }
        // Shift the prefix out, then an arithmetic right shift sign-extends the payload.
        let value = Int64(bitPattern: reader.buffer &<< UInt64(prefix)) &>> Int64(64 &- width)
        reader.consume(prefix &+ width)
        return value
    }
}

extension TimestampCodec: ColumnBufferCodec {}
