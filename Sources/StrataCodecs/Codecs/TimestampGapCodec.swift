/// `Int64` timestamps as a regular grid with gaps: the codec for sampled series
/// with missing readings (``ColumnCodec/timestampGaps``).
///
/// Format (all of it is on disk; never change it without a new ``ColumnCodec``):
///
/// ```
/// count == 0   no bytes
/// count == 1   zigzag LEB128 varint   the timestamp
/// count >= 2   layout <u8>
///                bits 0...3  e: scale exponent, 0...15
///                bits 4...5  form: 0 constant, 1 grid, 2 delta-of-delta (3 is invalid)
///                bit 6       start is stored divided by the scale
///                bit 7       step is 1 (the step field is omitted)
///              LEB128 varint          scale mantissa m ≥ 1; scale g = m · 10^e
///              zigzag LEB128 varint   start: t0 / g when bit 6 is set, else t0
///              zigzag LEB128 varint   step (scaled), only when bit 7 is clear
///              bitstream              MSB-first, zero-padded to a whole byte; by form:
///
/// constant        none: every delta is step · g.
/// delta-of-delta  step is the first scaled delta (t1 - t0) / g; the bitstream is
///                 exactly ``TimestampCodec``'s, for points 2..<count.
/// grid            step s is the regular scaled step. 4 bits k (0...15), then
///                 run, event, run, event, ... until count points are decoded,
///                 where run = n further points each one step after the previous
///                 (n ≥ 0, order-k Exp-Golomb: the low k bits of n follow the Elias
///                 gamma code of (n >> k) + 1), and event = one point whose scaled
///                 delta d is:
///
///   0                            d = 2s         one missing step
///   10  + order-0 Exp-Golomb x   d = (x + 3)s   x + 2 missing steps
///   110    + 8-bit  two's c. e   d = s + e
///   1110   + 16-bit two's c. e   d = s + e
///   11110  + 32-bit two's c. e   d = s + e
///   11111  + 64-bit two's c. e   d = s + e
/// ```
///
/// Decoding the grid form stops as soon as `count` points exist, so a run
/// follows an event only when points remain, and the last run is never zero.
/// The step `s` of the grid form is the most frequent delta (a Boyer–Moore
/// majority vote), so a series sampled every hour with readings missing costs
/// one run code and a one- to few-bit gap code per gap, where the
/// delta-of-delta stream pays two delta-of-delta codes and a 16-bit run code.
/// The writer measures the exact size of the grid and delta-of-delta streams and
/// keeps the smaller; it writes the constant form whenever all deltas are equal.
///
/// The scale `g` is the greatest common divisor of the deltas (1 when a delta
/// overflows Int64 or all are zero), as in ``TimestampCodec``; storing it as
/// mantissa and decimal exponent makes hourly milliseconds (36 · 10^5) one byte,
/// and storing the start in units of `g` saves a byte or two more, so the header
/// of a typical chunk is 5 bytes instead of 11.
/// All arithmetic wraps, so any `Int64` sequence round-trips, sorted or not.
///
/// Published ideas used: Exp-Golomb codes (Teuhola, "A compression method for
/// clustered bit-vectors", 1978), Elias gamma codes (Elias, "Universal codeword sets
/// and representations of the integers", 1975), the majority vote (Boyer and Moore,
/// "MJRTY", 1981) and the delta-of-delta buckets of Gorilla (Pelkonen et al., VLDB 2015).
public enum TimestampGapCodec {
    /// The three ways a chunk of two or more timestamps is stored (the layout byte's bits 4...5).
    enum Form: UInt8 {
        case constant = 0
        case grid = 1
        case deltaOfDelta = 2
    }

    /// Largest decimal exponent of the scale (the layout byte's low four bits).
    static let maximumExponent = 15
    /// Exp-Golomb orders the writer considers for run lengths (a 4-bit field).
    static let runOrderCount = 16
    /// Bits one grid delta can take at most: a zero run at order 15 and a 64-bit exception.
    static let maximumBitsPerGridDelta = 16 + 69

    /// Upper bound on the bytes ``encode(_:into:)`` needs for `count` timestamps,
    /// including the bit writer's slack; size the output buffer with it.
    public static func maxEncodedSize(count: Int) -> Int {
        // Layout byte and three varints; then the order field, a code of at most
        // 85 bits per delta and a final run of at most 2 · 64 + 15 bits.
        1 + 3 * VarInt.maxLength + (max(count, 0) * maximumBitsPerGridDelta + 4 + 143 + 7) / 8 + BitWriter.slack
    }

    /// Encodes `timestamps` into `output` and returns the bytes written.
    ///
    /// `output` must hold at least ``maxEncodedSize(count:)`` bytes. Any
    /// `Int64` values round-trip (unsorted, duplicates, huge jumps, `Int64.min`/`max`).
    /// - Complexity: O(n), no allocation.
    public static func encode(_ timestamps: UnsafeBufferPointer<Int64>, into output: UnsafeMutableRawBufferPointer) -> Int {
        let count = timestamps.count
        if count == 0 { return 0 }
        precondition(output.count >= maxEncodedSize(count: count), "TimestampGapCodec: output smaller than maxEncodedSize")
        if count == 1 { return VarInt.write(ZigZag.encode(timestamps[0]), into: output, at: 0) }
        let survey = DeltaSurvey(timestamps)
        let scale = survey.scale
        if survey.isConstant {
            return writeHeader(.constant, start: timestamps[0], scale: scale, step: survey.step, into: output)
        }
        let plan = StreamPlan(timestamps, survey: survey)
        let firstDelta = (timestamps[1] &- timestamps[0]) / scale
        let gridBytes = headerSize(start: timestamps[0], scale: scale, step: survey.step) + (plan.gridBits + 7) / 8
        let deltaOfDeltaBytes = headerSize(start: timestamps[0], scale: scale, step: firstDelta) + (plan.deltaOfDeltaBits + 7) / 8
        if deltaOfDeltaBytes < gridBytes {
            let offset = writeHeader(.deltaOfDelta, start: timestamps[0], scale: scale, step: firstDelta, into: output)
            var writer = BitWriter(output, offset: offset)
            TimestampCodec.writeDeltaOfDeltas(timestamps, scale: scale, firstDelta: firstDelta, into: &writer)
            return writer.finish()
        }
        let offset = writeHeader(.grid, start: timestamps[0], scale: scale, step: survey.step, into: output)
        var writer = BitWriter(output, offset: offset)
        writeGrid(timestamps, survey: survey, runOrder: plan.runOrder, into: &writer)
        let written = writer.finish()
        assert(written == gridBytes, "TimestampGapCodec: planned \(gridBytes) grid bytes, wrote \(written)")
        return written
    }

    /// What one pass over the deltas learns: the scale, the most frequent delta
    /// and whether all deltas are equal.
    struct DeltaSurvey {
        /// The greatest common divisor of the deltas, or 1 when a delta
        /// overflows Int64 (wrapped deltas are not multiples of anything useful) or all are zero.
        let scale: Int64
        /// The majority delta divided by `scale`: the grid's regular step.
        let step: Int64
        /// The majority delta itself, compared against raw deltas to skip divisions.
        let rawStep: Int64
        /// Every delta equals the first one.
        let isConstant: Bool

        /// Surveys a buffer of at least two timestamps.
        @inline(__always)
        init(_ timestamps: UnsafeBufferPointer<Int64>) {
            let firstDelta = timestamps[1] &- timestamps[0]
            var divisor: UInt64 = 0
            var overflowed = false
            var candidate = firstDelta
            var votes = 0
            var isConstant = true
            for index in 1..<timestamps.count {
                let (delta, overflow) = timestamps[index].subtractingReportingOverflow(timestamps[index &- 1])
                // Boyer–Moore: the candidate left is the majority delta whenever one exists.
                // Written as selects, not branches: on jittered deltas a branch here
                // mispredicts half the time.
                let fresh = votes == 0
                candidate = fresh ? delta : candidate
                votes = fresh ? 1 : votes &+ (delta == candidate ? 1 : -1)
                isConstant = isConstant && delta == firstDelta
                overflowed = overflowed || overflow
                if !overflow && divisor != 1 && delta.magnitude != divisor {
                    // Euclid; skipped for a delta equal to the divisor so far (the usual case).
                    var a = delta.magnitude, b = divisor
                    while b != 0 { (a, b) = (b, a % b) }
                    divisor = a
                }
            }
            let scale = overflowed || divisor == 0 || divisor > UInt64(Int64.max) ? 1 : Int64(divisor)
            self.scale = scale
            rawStep = isConstant ? firstDelta : candidate
            step = rawStep / scale
            self.isConstant = isConstant
        }
    }

    /// The exact bit counts of the grid and delta-of-delta streams of a chunk,
    /// and the run-length order that makes the grid stream smallest.
    struct StreamPlan {
        /// Bits of the grid stream at the best run order.
        let gridBits: Int
        /// Bits of ``TimestampCodec``'s stream after the first delta.
        let deltaOfDeltaBits: Int
        /// The Exp-Golomb order of the run lengths that gives `gridBits`.
        let runOrder: Int

        @inline(__always)
        init(_ timestamps: UnsafeBufferPointer<Int64>, survey: DeltaSurvey) {
            let count = timestamps.count
            let scale = survey.scale, rawStep = survey.rawStep, step = survey.step
            (gridBits, deltaOfDeltaBits, runOrder) = withUnsafeTemporaryAllocation(of: Int.self, capacity: runOrderCount) { runBits in
                runBits.initialize(repeating: 0)
                var eventBits = 0
                var zeroRuns = 0
                var deltaOfDeltaBits = 0
                // The first delta: a run of one or an event in the grid, the header's step in the other stream.
                var previousRaw = timestamps[1] &- timestamps[0]
                var previousScaled = previousRaw / scale
                var run = 0
                if previousRaw == rawStep {
                    run = 1
                } else {
                    zeroRuns = 1
                    eventBits &+= eventCodeBits(previousScaled, step: step)
                }
                var stretch = 0
                for index in 2..<count {
                    let raw = timestamps[index] &- timestamps[index &- 1]
                    // Divide only where the delta changes: a regular chunk needs no division.
                    let scaled: Int64
                    if raw == previousRaw {
                        scaled = previousScaled
                        stretch &+= 1
                    } else {
                        scaled = scale == 1 ? raw : raw / scale
                        deltaOfDeltaBits &+= zeroStretchBits(stretch) &+ deltaOfDeltaCodeBits(scaled &- previousScaled)
                        stretch = 0
                        previousRaw = raw
                        previousScaled = scaled
                    }
                    if raw == rawStep {
                        run &+= 1
                    } else {
                        // Zero runs cost 1 + order bits at every order: counted, summed at the end.
                        if run == 0 { zeroRuns &+= 1 } else { addRunLengths(run, to: runBits) }
                        run = 0
                        eventBits &+= eventCodeBits(scaled, step: step)
                    }
                }
                deltaOfDeltaBits &+= zeroStretchBits(stretch)
                if run > 0 { addRunLengths(run, to: runBits) }
                var bestBits = Int.max, bestOrder = 0
                for order in 0..<runOrderCount {
                    let bits = runBits[order] &+ zeroRuns &* (1 &+ order)
                    if bits < bestBits { bestBits = bits; bestOrder = order }
                }
                return (4 &+ bestBits &+ eventBits, deltaOfDeltaBits, bestOrder)
            }
        }
    }

    /// Adds the Exp-Golomb code length of a run of `length` at every order.
    @inline(__always)
    static func addRunLengths(_ length: Int, to runBits: UnsafeMutableBufferPointer<Int>) {
        for order in 0..<runOrderCount { runBits[order] &+= expGolombLength(UInt64(length), order: order) }
    }

    /// Bits the delta-of-delta stream spends on `zeros` equal deltas in a row:
    /// 16-bit run codes of up to 1024, and single `0` bits below eight.
    @inline(__always)
    static func zeroStretchBits(_ zeros: Int) -> Int {
        let rest = zeros % TimestampCodec.maximumRun
        return zeros / TimestampCodec.maximumRun &* 16 &+ (rest >= TimestampCodec.minimumRun ? 16 : rest)
    }

    /// Bits of ``TimestampCodec``'s code for a nonzero delta-of-delta.
    @inline(__always)
    static func deltaOfDeltaCodeBits(_ dod: Int64) -> Int {
        // Bucket by the two's complement width, as sums of comparisons rather than
        // a chain of branches: jittered dods straddle the first bucket boundary.
        let width = significantBits(dod)
        return 9 &+ (width > 7 ? 3 : 0) &+ (width > 9 ? 4 : 0) &+ (width > 12 ? 21 : 0) &+ (width > 32 ? 33 : 0)
    }

    /// Bits of the narrowest two's complement field that holds `value` (1...64).
    @inline(__always)
    static func significantBits(_ value: Int64) -> Int {
        // Zigzag maps −2^(w−1)...2^(w−1) − 1 onto 0..<2^w.
        let zigzag = UInt64(bitPattern: (value &<< 1) ^ (value &>> 63))
        return max(UInt64.bitWidth &- zigzag.leadingZeroBitCount, 1)
    }

    /// Missing steps when scaled delta `delta` is a whole number (≥ 2) of steps, else nil.
    @inline(__always)
    static func missingSteps(_ delta: Int64, step: Int64) -> Int64? {
        // A gap is at least two steps; testing that first keeps jittered deltas,
        // just above the step, clear of the division.
        guard step > 0, delta &- step >= step, delta > step, delta % step == 0 else { return nil }
        return delta / step &- 1
    }

    /// Bits of the grid event code for scaled delta `delta`.
    @inline(__always)
    static func eventCodeBits(_ delta: Int64, step: Int64) -> Int {
        if let missing = missingSteps(delta, step: step) {
            return missing == 1 ? 1 : 2 &+ expGolombLength(UInt64(missing &- 2), order: 0)
        }
        let width = significantBits(delta &- step)
        return 11 &+ (width > 8 ? 9 : 0) &+ (width > 16 ? 17 : 0) &+ (width > 32 ? 32 : 0)
    }

    /// Length of the order-`order` Exp-Golomb code of `value`.
    @inline(__always)
    static func expGolombLength(_ value: UInt64, order: Int) -> Int {
        let quotientWidth = UInt64.bitWidth &- ((value &>> UInt64(order)) &+ 1).leadingZeroBitCount
        return 2 &* quotientWidth &- 1 &+ order
    }

    /// Writes the order-`order` Exp-Golomb code of `value` (< 2⁶³).
    @inline(__always)
    static func writeExpGolomb(_ value: UInt64, order: Int, into writer: inout BitWriter) {
        let quotient = (value &>> UInt64(order)) &+ 1
        let width = UInt64.bitWidth &- quotient.leadingZeroBitCount
        if width <= 28 {
            // Leading zeros and quotient in one write: the quotient's top bit ends the zeros.
            writer.writeSmall(quotient, count: 2 &* width &- 1)
        } else {
            writer.write(0, count: width &- 1)
            writer.write(quotient, count: width)
        }
        if order > 0 { writer.writeSmall(value, count: order) }
    }

    /// Writes the grid stream: the run order, then runs and events.
    @inline(__always)
    static func writeGrid(_ timestamps: UnsafeBufferPointer<Int64>, survey: DeltaSurvey, runOrder: Int, into writer: inout BitWriter) {
        let scale = survey.scale, rawStep = survey.rawStep, step = survey.step
        writer.writeSmall(UInt64(runOrder), count: 4)
        var run = 0
        for index in 1..<timestamps.count {
            let raw = timestamps[index] &- timestamps[index &- 1]
            if raw == rawStep {
                run &+= 1
                continue
            }
            writeExpGolomb(UInt64(run), order: runOrder, into: &writer)
            run = 0
            let delta = scale == 1 ? raw : raw / scale
            if let missing = missingSteps(delta, step: step) {
                if missing == 1 {
                    writer.writeSmall(0, count: 1)
                } else {
                    writer.writeSmall(0b10, count: 2)
                    writeExpGolomb(UInt64(missing &- 2), order: 0, into: &writer)
                }
                continue
            }
            let excess = delta &- step
            let bits = UInt64(bitPattern: excess)
            if excess >= -128 && excess <= 127 {
                writer.writeSmall(0b110 << 8 | (bits & 0xFF), count: 11)
            } else if excess >= Int64(Int16.min) && excess <= Int64(Int16.max) {
                writer.writeSmall(0b1110 << 16 | (bits & 0xFFFF), count: 20)
            } else if excess >= Int64(Int32.min) && excess <= Int64(Int32.max) {
                writer.writeSmall(0b11110 << 32 | (bits & 0xFFFF_FFFF), count: 37)
            } else {
                writer.writeSmall(0b11111, count: 5)
                writer.write(bits, count: 64)
            }
        }
        if run > 0 { writeExpGolomb(UInt64(run), order: runOrder, into: &writer) }
    }

    /// The scale as mantissa and decimal exponent (at most ``maximumExponent``).
    @inline(__always)
    static func decimalParts(of scale: Int64) -> (mantissa: UInt64, exponent: Int) {
        var mantissa = UInt64(scale), exponent = 0
        while exponent < maximumExponent && mantissa % 10 == 0 {
            mantissa /= 10
            exponent &+= 1
        }
        return (mantissa, exponent)
    }

    /// Bytes of the header ``writeHeader(_:start:scale:step:into:)`` writes.
    @inline(__always)
    static func headerSize(start: Int64, scale: Int64, step: Int64) -> Int {
        let stored = start % scale == 0 ? start / scale : start
        return 1 &+ VarInt.length(decimalParts(of: scale).mantissa) &+ VarInt.length(ZigZag.encode(stored))
            &+ (step == 1 ? 0 : VarInt.length(ZigZag.encode(step)))
    }

    /// Writes the layout byte, scale, start and step; returns the offset after them.
    @inline(__always)
    static func writeHeader(_ form: Form, start: Int64, scale: Int64, step: Int64, into output: UnsafeMutableRawBufferPointer) -> Int {
        let (mantissa, exponent) = decimalParts(of: scale)
        let startIsScaled = start % scale == 0
        var layout = UInt8(exponent) | form.rawValue << 4
        if startIsScaled { layout |= 0x40 }
        if step == 1 { layout |= 0x80 }
        output[0] = layout
        var offset = VarInt.write(mantissa, into: output, at: 1)
        offset = VarInt.write(ZigZag.encode(startIsScaled ? start / scale : start), into: output, at: offset)
        if step != 1 { offset = VarInt.write(ZigZag.encode(step), into: output, at: offset) }
        return offset
    }

    /// Decodes exactly `count` timestamps from `input` into `output`.
    ///
    /// `output.count` must be at least `count`. Throws ``CodecError`` when the
    /// input is truncated or malformed; never reads outside `input`.
    /// - Complexity: O(n), no allocation.
    public static func decode(_ input: UnsafeRawBufferPointer, count: Int, into output: UnsafeMutableBufferPointer<Int64>) throws(CodecError) {
        guard count >= 0 else { throw CodecError("negative timestamp count \(count)") }
        precondition(output.count >= count, "TimestampGapCodec: output smaller than count")
        if count == 0 { return }
        guard let out = output.baseAddress else { throw CodecError("no output buffer") }
        var offset = 0
        if count == 1 {
            out[0] = ZigZag.decode(try VarInt.read(from: input, at: &offset))
            return
        }
        guard input.count >= 1 else { throw CodecError("timestamp header is missing") }
        let layout = input[0]
        offset = 1
        guard let form = Form(rawValue: (layout >> 4) & 0b11) else { throw CodecError("timestamp layout \(layout) has no form") }
        let mantissa = try VarInt.read(from: input, at: &offset)
        guard mantissa >= 1, mantissa <= UInt64(Int64.max) else { throw CodecError("timestamp scale mantissa \(mantissa) is out of range") }
        var scale = Int64(mantissa)
        for _ in 0..<Int(layout & 0x0F) {
            let (product, overflow) = scale.multipliedReportingOverflow(by: 10)
            guard !overflow else { throw CodecError("timestamp scale overflows Int64") }
            scale = product
        }
        let storedStart = ZigZag.decode(try VarInt.read(from: input, at: &offset))
        var start = storedStart
        if layout & 0x40 != 0 {
            let (product, overflow) = storedStart.multipliedReportingOverflow(by: scale)
            guard !overflow else { throw CodecError("timestamp start overflows Int64") }
            start = product
        }
        let step = layout & 0x80 != 0 ? 1 : ZigZag.decode(try VarInt.read(from: input, at: &offset))
        let rawStep = step &* scale
        out[0] = start
        switch form {
        case .constant:
            var current = start
            for index in 1..<count {
                current = current &+ rawStep
                out[index] = current
            }
        case .deltaOfDelta:
            let second = start &+ rawStep
            out[1] = second
            var reader = BitReader(input, offset: offset)
            try TimestampCodec.readDeltaOfDeltas(&reader, count: count, scale: scale, previous: second, previousDelta: step, into: out)
        case .grid:
            var reader = BitReader(input, offset: offset)
            try readGrid(&reader, count: count, start: start, scale: scale, step: step, into: out)
        }
    }

    /// Decodes points `1..<count` of a grid stream.
    @inline(__always)
    static func readGrid(
        _ reader: inout BitReader, count: Int, start: Int64, scale: Int64, step: Int64, into out: UnsafeMutablePointer<Int64>
    ) throws(CodecError) {
        let runOrder = Int(try reader.read(4))
        let rawStep = step &* scale
        var current = start
        var index = 1
        while true {
            let run = try readExpGolomb(&reader, order: runOrder)
            guard run <= UInt64(count &- index) else {
                throw CodecError("run of \(run) regular steps at point \(index) overshoots count \(count)")
            }
            let end = index &+ Int(run)
            while index < end {
                current = current &+ rawStep
                out[index] = current
                index &+= 1
            }
            if index == count { return }
            reader.ensure(8)
            // Leading ones of the peeked word give the event; codes stop at five.
            let delta: Int64
            switch min((~reader.buffer).leadingZeroBitCount, 5) {
            case 0:
                guard reader.available >= 1 else { throw CodecError("timestamp bitstream ends early at point \(index)") }
                reader.consume(1)
                delta = step &* 2
            case 1:
                guard reader.available >= 2 else { throw CodecError("timestamp bitstream ends early at point \(index)") }
                reader.consume(2)
                let missing = Int64(bitPattern: try readExpGolomb(&reader, order: 0) &+ 2)
                delta = step &* (missing &+ 1)
            case 2:
                delta = step &+ (try TimestampCodec.signed(&reader, prefix: 3, width: 8))
            case 3:
                reader.ensure(20)
                delta = step &+ (try TimestampCodec.signed(&reader, prefix: 4, width: 16))
            case 4:
                reader.ensure(37)
                delta = step &+ (try TimestampCodec.signed(&reader, prefix: 5, width: 32))
            default:
                guard reader.available >= 5 else { throw CodecError("timestamp bitstream ends early at point \(index)") }
                reader.consume(5)
                delta = step &+ Int64(bitPattern: try reader.readWide(64))
            }
            current = current &+ delta &* scale
            out[index] = current
            index &+= 1
            if index == count { return }
        }
    }

    /// Reads an order-`order` Exp-Golomb code (order ≤ 15); throws when the
    /// input ends inside it or its value does not fit 64 bits.
    @inline(__always)
    static func readExpGolomb(_ reader: inout BitReader, order: Int) throws(CodecError) -> UInt64 {
        reader.ensure(56)
        let zeros = reader.buffer.leadingZeroBitCount
        var quotient: UInt64
        if zeros < 28 && 2 &* zeros &+ 1 <= reader.available {
            // The whole gamma code is buffered: its top 2z + 1 bits are the quotient.
            quotient = reader.buffer &>> UInt64(63 &- 2 &* zeros)
            reader.consume(2 &* zeros &+ 1)
        } else {
            quotient = try readLongGamma(&reader)
        }
        var value = quotient &- 1
        if order > 0 {
            guard value &>> UInt64(64 &- order) == 0 else { throw CodecError("Exp-Golomb code does not fit 64 bits") }
            value = value &<< UInt64(order) | (try reader.read(order))
        }
        return value
    }

    /// Reads an Elias gamma code whose zeros are not all buffered (or that is truncated).
    static func readLongGamma(_ reader: inout BitReader) throws(CodecError) -> UInt64 {
        var zeros = 0
        while true {
            reader.ensure(56)
            guard reader.available > 0 else { throw CodecError("timestamp bitstream ends inside a gamma code") }
            // Bits past `available` are zero padding, so count only the buffered ones.
            let leading = min(reader.buffer.leadingZeroBitCount, reader.available)
            if leading > 0 { reader.consume(leading) }
            zeros &+= leading
            guard zeros <= 63 else { throw CodecError("gamma code longer than 64 bits") }
            if reader.available > 0 && reader.buffer &>> 63 == 1 { break }
        }
        return try reader.readWide(zeros &+ 1)
    }
}

extension TimestampGapCodec: ColumnBufferCodec {}
