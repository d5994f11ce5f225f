/// Compression of `Int64` columns that picks, for each chunk, the smallest of
/// four layouts: a constant, runs of equal values, frame of reference, or
/// deltas. Both frame of reference and deltas bit-pack with *patched
/// exceptions*: one width fits most values, and the few that need more bits
/// (a spike, a counter reset) keep their high bits in a separate list instead
/// of widening every value.
///
/// Ideas used:
/// - PFOR and PFOR-DELTA, patched frame of reference (Zukowski, Héman, Nes and
///   Boncz, "Super-Scalar RAM-CPU Cache Compression", ICDE 2006): pack every
///   value's low bits at one width and patch the exceptions afterwards, so the
///   decoder's main loop has no branch per value.
/// - The width choice of FastPFor (Lemire and Boytsov, "Decoding billions of
///   integers per second through vectorization", SP&E 2015): from a histogram
///   of bit lengths, the width minimising packed bits plus exception bits, and
///   exceptions stored as their high bits only.
///
/// Unlike those, the exception lists (positions, high bits) are bit-packed at
/// their own widths, the high bits are zigzagged so that an exception *below*
/// the base costs as little as one above it, and the base need not be the
/// minimum: a base above a few low outliers (the drop of a counter reset,
/// the negative delta after a spike) turns them into exceptions too.
///
/// Format (on disk; never change it without a new ``ColumnCodec``). `count`
/// comes from the chunk header; `count == 0` encodes to no bytes.
///
/// ```
/// mode <u8>     0 constant      value <zvarint>                 every value
///               1 run-length    runCount r <varint> (1...count), base <zvarint>,
///                               stream(r: run value − base), stream(r: run length − 1)
///               2 frame of ref. base <zvarint>, stream(count: vᵢ − base)
///               3 delta         first <zvarint>, base <zvarint>,
///                               stream(count − 1: (vᵢ − vᵢ₋₁) − base, i ≥ 1)
/// stream(n) of offsets oᵢ (64-bit two's complement, wrapping):
///   width b <u8>                0...64
///   exceptionCount e <varint>   0...n; 0 when b = 64
///   highWidth h <u8>            1...64, present only when e > 0
///   packed                      low b bits of every oᵢ, LSB-first, ⌈n·b / 8⌉ bytes
///   positions                   when e > 0: the exceptions' indices, strictly ascending,
///                               each in p = bitLength(n − 1) bits, LSB-first, ⌈e·p / 8⌉ bytes
///   highs                       when e > 0: zigzag(oᵢ >> b) (arithmetic shift) of each
///                               exception, h bits, LSB-first, ⌈e·h / 8⌉ bytes
/// ```
///
/// An exception is an offset that does not fit in `b` bits as an unsigned
/// number; its value is the packed low bits OR'd with the high bits shifted
/// left by `b`. All arithmetic wraps, so every `Int64` sequence round-trips.
public enum PatchedIntegerCodec {
    /// How a chunk is laid out: the first byte of every non-empty encoding.
    public enum Mode: UInt8, Sendable, CaseIterable, CustomStringConvertible {
        /// Every value equal: the value alone.
        case constant = 0
        /// Runs of equal values: run values and run lengths, each a stream.
        case runLength = 1
        /// Values minus a base, one stream.
        case frameOfReference = 2
        /// Successive differences minus a base, one stream.
        case delta = 3

        /// A short stable name for `strata inspect` (`const`, `rle`, `for`, `delta`).
        public var description: String {
            switch self {
            case .constant: "const"
            case .runLength: "rle"
            case .frameOfReference: "for"
            case .delta: "delta"
            }
        }
    }

    /// The mode an encoding was written in, read from its first byte; nil for
    /// an empty or unknown encoding.
    public static func mode(ofEncoded input: UnsafeRawBufferPointer) -> Mode? {
        input.first.flatMap(Mode.init(rawValue:))
    }

    /// Upper bound on the bytes ``encode(_:into:)`` needs for `count` values:
    /// the encoder never writes more than frame of reference at width 64 would
    /// (mode, base, width, exception count and 8 bytes a value).
    public static func maxEncodedSize(count: Int) -> Int {
        16 + 8 * max(count, 0)
    }

    // MARK: - Encoding

    /// Encodes `values` into `output` and returns the bytes written.
    ///
    /// `output` must hold at least ``maxEncodedSize(count:)`` bytes.
    /// - Complexity: O(n): one pass to survey the chunk, one to build the
    ///   width histograms of every candidate, one to pack (plus one over the
    ///   runs when they are long enough to be a candidate). It allocates only
    ///   per-chunk scratch space, never per value.
    public static func encode(_ values: UnsafeBufferPointer<Int64>, into output: UnsafeMutableRawBufferPointer) -> Int {
        precondition(output.count >= maxEncodedSize(count: values.count), "PatchedIntegerCodec: output smaller than maxEncodedSize")
        return encode(values, into: output, forcing: nil)
    }

    /// Encodes `values` with the cheapest candidate, or with `forced` whatever
    /// its size (for tests of every layout on every shape; the output must then
    /// hold 16 bytes a value and 64 more, as a forced layout may be poor).
    static func encode(_ values: UnsafeBufferPointer<Int64>, into output: UnsafeMutableRawBufferPointer, forcing forced: Candidate?) -> Int {
        let count = values.count
        if count == 0 { return 0 }
        let survey = withUnsafeTemporaryAllocation(of: Int64.self, capacity: 2 * LowestValues.capacity) { lowest in
            Survey(values, lowest: lowest.baseAddress!)
        }
        if survey.minimum == survey.maximum && forced == nil {
            output[0] = Mode.constant.rawValue
            return VarInt.write(ZigZag.encode(survey.minimum), into: output, at: 1)
        }
        return withUnsafeTemporaryAllocation(of: Int.self, capacity: WidthHistogram.slots * Candidate.histogramCount) { storage in
            storage.initialize(repeating: 0)
            let histograms = WidthHistograms(storage: storage.baseAddress!)
            // Runs are worth pricing only when they average two values or more.
            let considerRuns = forced == nil ? survey.runCount * 2 <= count : forced == .runLength
            survey.fillHistograms(values, histograms, runs: considerRuns)

            // The size of each candidate, header included; the smallest wins (ties to the earlier candidate).
            var best = Candidate.frameOfReferenceMinimum
            var bestSize = Int.max
            var bestWidths = (0, 0)
            for index in 0..<Candidate.histogramCount {
                let candidate = Candidate(rawValue: index)!
                if let forced, forced != candidate { continue }
                let size: Int
                var widths = (0, 0)
                switch candidate {
                case .frameOfReferenceMinimum, .frameOfReferenceRobust:
                    let base = candidate == .frameOfReferenceMinimum ? survey.minimum : survey.robustValueBase
                    let stream = histograms[candidate].cheapestStream(count: count)
                    widths.0 = stream.width
                    size = 1 + zigzagVarIntLength(base) + stream.bytes
                case .deltaMinimum, .deltaRobust:
                    let base = candidate == .deltaMinimum ? survey.minimumDelta : survey.robustDeltaBase
                    let stream = histograms[candidate].cheapestStream(count: count - 1)
                    widths.0 = stream.width
                    size = 1 + zigzagVarIntLength(values[0]) + zigzagVarIntLength(base) + stream.bytes
                case .runLength:
                    guard considerRuns else { continue }
                    let runValues = histograms[.runLength].cheapestStream(count: survey.runCount)
                    let runLengths = histograms[.runLengths].cheapestStream(count: survey.runCount)
                    widths = (runValues.width, runLengths.width)
                    size = 1 + varIntLength(UInt64(survey.runCount)) + zigzagVarIntLength(survey.minimum) + runValues.bytes + runLengths.bytes
                case .runLengths:
                    continue
                }
                if size < bestSize {
                    best = candidate
                    bestSize = size
                    bestWidths = widths
                }
            }
            // Room for run values and lengths even when every value is a run of its own.
            return withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 2 * count) { offsets in
                write(best, widths: bestWidths, survey: survey, values, scratch: offsets.baseAddress!, into: output)
            }
        }
    }

    /// The layouts the encoder prices; also the index of each one's histogram.
    enum Candidate: Int, CaseIterable {
        case frameOfReferenceMinimum, frameOfReferenceRobust, deltaMinimum, deltaRobust
        /// Run values (priced together with ``runLengths``).
        case runLength
        /// The histogram of run lengths; not a candidate of its own.
        case runLengths

        /// One histogram per case; `allCases` would allocate an array every chunk.
        static let histogramCount = 6
    }

    /// What one pass over a chunk learns: range, runs, and the bases to try.
    struct Survey {
        var minimum = Int64.max
        var maximum = Int64.min
        /// Runs of equal values (1 for a constant chunk).
        var runCount = 1
        var minimumDelta = Int64.max
        /// A base above the chunk's few lowest values when they lie far below the rest.
        var robustValueBase: Int64
        var robustDeltaBase: Int64

        /// Surveys `values`, using `lowest` (2 × ``LowestValues/capacity``) as scratch.
        init(_ values: UnsafeBufferPointer<Int64>, lowest: UnsafeMutablePointer<Int64>) {
            let count = values.count
            var lowestValues = LowestValues(lowest)
            var lowestDeltas = LowestValues(lowest + LowestValues.capacity)
            var previous = values[0]
            minimum = previous
            maximum = previous
            lowestValues.offer(previous)
            for index in 1..<count {
                let value = values[index]
                minimum = min(minimum, value)
                maximum = max(maximum, value)
                runCount &+= value != previous ? 1 : 0
                let delta = value &- previous
                minimumDelta = min(minimumDelta, delta)
                lowestValues.offer(value)
                lowestDeltas.offer(delta)
                previous = value
            }
            if count == 1 { minimumDelta = 0 }
            robustValueBase = lowestValues.baseAboveOutliers() ?? minimum
            robustDeltaBase = lowestDeltas.baseAboveOutliers() ?? minimumDelta
        }

        /// Fills the width histograms of every candidate in one pass (and the
        /// run histograms in a second one, over the runs, when `runs`).
        func fillHistograms(_ values: UnsafeBufferPointer<Int64>, _ histograms: WidthHistograms, runs: Bool) {
            let count = values.count
            let forMinimum = histograms[.frameOfReferenceMinimum]
            let forRobust = histograms[.frameOfReferenceRobust]
            let deltaMinimum = histograms[.deltaMinimum]
            let deltaRobust = histograms[.deltaRobust]
            // Most chunks have no low outliers: a robust base equal to the minimum
            // gets a copy of its histogram rather than a second count.
            let robustValues = robustValueBase != minimum
            let robustDeltas = robustDeltaBase != minimumDelta
            // The longest negative magnitudes stay in registers until the end.
            var negativeLengths = (0, 0, 0, 0)
            var previous = values[0]
            negativeLengths.0 = forMinimum.record(previous &- minimum)
            negativeLengths.1 = forRobust.record(previous &- robustValueBase)
            for index in 1..<count {
                let value = values[index]
                let delta = value &- previous
                negativeLengths.0 = max(negativeLengths.0, forMinimum.record(value &- minimum))
                negativeLengths.2 = max(negativeLengths.2, deltaMinimum.record(delta &- minimumDelta))
                if robustValues { negativeLengths.1 = max(negativeLengths.1, forRobust.record(value &- robustValueBase)) }
                if robustDeltas { negativeLengths.3 = max(negativeLengths.3, deltaRobust.record(delta &- robustDeltaBase)) }
                previous = value
            }
            forMinimum.counts[65] = negativeLengths.0
            deltaMinimum.counts[65] = negativeLengths.2
            if robustValues {
                forRobust.counts[65] = negativeLengths.1
            } else {
                forRobust.counts.update(from: forMinimum.counts, count: WidthHistogram.slots)
            }
            if robustDeltas {
                deltaRobust.counts[65] = negativeLengths.3
            } else {
                deltaRobust.counts.update(from: deltaMinimum.counts, count: WidthHistogram.slots)
            }
            guard runs else { return }
            let runValues = histograms[.runLength]
            let runLengths = histograms[.runLengths]
            var negativeRunValueLength = 0
            forEachRun(values) { value, length in
                negativeRunValueLength = max(negativeRunValueLength, runValues.record(value &- minimum))
                _ = runLengths.record(Int64(length &- 1))
            }
            runValues.counts[65] = negativeRunValueLength
        }
    }

    /// Calls `body` with the value and length of each run of equal values.
    @inline(__always)
    static func forEachRun(_ values: UnsafeBufferPointer<Int64>, _ body: (Int64, Int) -> Void) {
        var start = 0
        for index in 1..<values.count where values[index] != values[index &- 1] {
            body(values[start], index &- start)
            start = index
        }
        body(values[start], values.count &- start)
    }

    /// The few lowest values of a sequence, sorted ascending, kept by insertion
    /// in caller-provided storage.
    struct LowestValues {
        /// Values kept: up to 8 low outliers, and at least 9 more to judge the gap above them by.
        static let capacity = 17
        private let lowest: UnsafeMutablePointer<Int64>
        private var filled = 0
        /// The largest kept value once all slots are filled: a value must be below it to enter.
        private var threshold = Int64.max

        init(_ storage: UnsafeMutablePointer<Int64>) {
            lowest = storage
        }

        @inline(__always)
        mutating func offer(_ value: Int64) {
            // Most values are not among the lowest: one comparison, in registers, and out.
            guard value < threshold || filled < Self.capacity else { return }
            insert(value)
        }

        private mutating func insert(_ value: Int64) {
            var slot = min(filled, Self.capacity &- 1)
            while slot > 0 && lowest[slot &- 1] > value {
                lowest[slot] = lowest[slot &- 1]
                slot &-= 1
            }
            lowest[slot] = value
            filled = min(filled &+ 1, Self.capacity)
            if filled == Self.capacity { threshold = lowest[Self.capacity &- 1] }
        }

        /// A base above the few lowest values when they are outliers, or nil.
        ///
        /// Among the kept values sᵢ (ascending), the last index j in the lower
        /// half whose gap below, sⱼ − sⱼ₋₁, is more than 16 times the spread of
        /// the kept values above it: the values below sⱼ then lie far from a
        /// dense bulk. The spread covers at least half the kept values, so a
        /// random gap in an evenly spread bulk rarely qualifies; and the last
        /// qualifying j, not the widest gap, sets every outlier apart when
        /// they lie at different distances (a reset and a glitch).
        func baseAboveOutliers() -> Int64? {
            let last = filled &- 1
            var index = last / 2
            while index >= 1 {
                let gap = UInt64(bitPattern: lowest[index] &- lowest[index &- 1])
                let spread = UInt64(bitPattern: lowest[last] &- lowest[index])
                if gap &>> 4 > spread { return lowest[index] }
                index &-= 1
            }
            return nil
        }
    }

    /// One ``WidthHistogram`` per ``Candidate``, side by side in one allocation.
    struct WidthHistograms {
        let storage: UnsafeMutablePointer<Int>

        subscript(candidate: Candidate) -> WidthHistogram {
            WidthHistogram(storage + candidate.rawValue * WidthHistogram.slots)
        }
    }

    /// Counts of offsets by bit length, for pricing every packing width at once.
    ///
    /// Slot *u* (0...63) counts offsets that are non-negative as `Int64` and
    /// need *u* bits; slot 64 counts those with the top bit set, which the
    /// zigzagged high bits store by magnitude, and slot 65 keeps the largest
    /// bit length of such a magnitude.
    struct WidthHistogram {
        static let slots = 66
        let counts: UnsafeMutablePointer<Int>

        init(_ counts: UnsafeMutablePointer<Int>) { self.counts = counts }

        /// Counts `offset` and returns the bit length of its magnitude when it is
        /// negative, else 0; the caller keeps the largest in slot 65.
        @inline(__always)
        func record(_ offset: Int64) -> Int {
            let bits = UInt64(bitPattern: offset)
            counts[64 &- bits.leadingZeroBitCount] &+= 1
            // Branch-free: the magnitude's length counts only for negative offsets.
            return offset < 0 ? 64 &- offset.magnitude.leadingZeroBitCount : 0
        }

        /// The width whose stream of `count` offsets is smallest, and its size
        /// in bytes (an upper bound: high bits of negative offsets are priced
        /// one bit wide of their worst case).
        func cheapestStream(count: Int) -> (width: Int, bytes: Int) {
            let positionWidth = PatchedIntegerCodec.positionWidth(count: count)
            var bestWidth = 64
            var bestBytes = 2 + BitPacking.byteCount(count: count, width: 64)
            var exceptions = 0
            // The longest non-negative offset above the width being priced, 0 if none.
            var longestPositive = 0
            let negatives = counts[64]
            let negativeLength = counts[65]
            var width = 63
            while width >= 0 {
                let above = width &+ 1
                exceptions &+= counts[above]
                if above <= 63 && longestPositive == 0 && counts[above] > 0 { longestPositive = above }
                var highWidth = longestPositive > 0 ? longestPositive &- width &+ 1 : 0
                if negatives > 0 { highWidth = max(highWidth, min(64, max(1, negativeLength &- width &+ 2))) }
                var bytes = 1 + varIntLength(UInt64(exceptions)) + BitPacking.byteCount(count: count, width: width)
                if exceptions > 0 {
                    bytes &+= 1 + BitPacking.byteCount(count: exceptions, width: positionWidth)
                        + BitPacking.byteCount(count: exceptions, width: highWidth)
                }
                // Ties go to the narrower width: fewer bits to unpack for the same bytes.
                if bytes <= bestBytes {
                    bestBytes = bytes
                    bestWidth = width
                }
                width &-= 1
            }
            return (bestWidth, bestBytes)
        }
    }

    /// Bits per exception position in a stream of `count` offsets.
    @inline(__always)
    static func positionWidth(count: Int) -> Int {
        count <= 1 ? 0 : 64 &- UInt64(count &- 1).leadingZeroBitCount
    }

    static func varIntLength(_ value: UInt64) -> Int {
        max(1, (64 - value.leadingZeroBitCount + 6) / 7)
    }

    static func zigzagVarIntLength(_ value: Int64) -> Int { varIntLength(ZigZag.encode(value)) }

    /// Writes the chosen layout; `scratch` has room for 2 × `values.count` offsets.
    private static func write(
        _ candidate: Candidate, widths: (Int, Int), survey: Survey, _ values: UnsafeBufferPointer<Int64>,
        scratch: UnsafeMutablePointer<UInt64>, into output: UnsafeMutableRawBufferPointer
    ) -> Int {
        let count = values.count
        var offset = 1
        switch candidate {
        case .frameOfReferenceMinimum, .frameOfReferenceRobust:
            output[0] = Mode.frameOfReference.rawValue
            let base = candidate == .frameOfReferenceMinimum ? survey.minimum : survey.robustValueBase
            offset = VarInt.write(ZigZag.encode(base), into: output, at: offset)
            for index in 0..<count { scratch[index] = UInt64(bitPattern: values[index] &- base) }
            return writeStream(UnsafeBufferPointer(start: scratch, count: count), width: widths.0, into: output, at: offset)
        case .deltaMinimum, .deltaRobust:
            output[0] = Mode.delta.rawValue
            let base = candidate == .deltaMinimum ? survey.minimumDelta : survey.robustDeltaBase
            offset = VarInt.write(ZigZag.encode(values[0]), into: output, at: offset)
            offset = VarInt.write(ZigZag.encode(base), into: output, at: offset)
            for index in 1..<count { scratch[index &- 1] = UInt64(bitPattern: (values[index] &- values[index &- 1]) &- base) }
            return writeStream(UnsafeBufferPointer(start: scratch, count: count &- 1), width: widths.0, into: output, at: offset)
        case .runLength, .runLengths:
            output[0] = Mode.runLength.rawValue
            let runs = survey.runCount
            offset = VarInt.write(UInt64(runs), into: output, at: offset)
            offset = VarInt.write(ZigZag.encode(survey.minimum), into: output, at: offset)
            // Run values, then run lengths.
            var run = 0
            forEachRun(values) { value, length in
                scratch[run] = UInt64(bitPattern: value &- survey.minimum)
                scratch[runs &+ run] = UInt64(length &- 1)
                run &+= 1
            }
            offset = writeStream(UnsafeBufferPointer(start: scratch, count: runs), width: widths.0, into: output, at: offset)
            return writeStream(UnsafeBufferPointer(start: scratch + runs, count: runs), width: widths.1, into: output, at: offset)
        }
    }

    /// Writes one stream of `offsets` packed at `width` with patched exceptions;
    /// returns the offset after it.
    private static func writeStream(
        _ offsets: UnsafeBufferPointer<UInt64>, width: Int, into output: UnsafeMutableRawBufferPointer, at start: Int
    ) -> Int {
        let count = offsets.count
        // First pass: how many exceptions, and how wide their zigzagged high bits are.
        var exceptions = 0
        var highWidth = 0
        if width < 64 {
            let shift = UInt64(width)
            for value in offsets {
                let isException = value &>> shift != 0
                let high = ZigZag.encode(Int64(bitPattern: value) &>> Int64(width))
                exceptions &+= isException ? 1 : 0
                highWidth = max(highWidth, isException ? 64 &- high.leadingZeroBitCount : 0)
            }
        }
        output[start] = UInt8(truncatingIfNeeded: width)
        var offset = VarInt.write(UInt64(exceptions), into: output, at: start &+ 1)
        if exceptions > 0 {
            output[offset] = UInt8(truncatingIfNeeded: highWidth)
            offset &+= 1
        }
        let lowMask = width == 0 ? 0 : UInt64.max &>> UInt64(64 &- width)
        var packed = BitPackWriter(output, offset: offset, width: width)
        for value in offsets { packed.append(value & lowMask) }
        offset = packed.finish()
        guard exceptions > 0 else { return offset }

        let positionWidth = positionWidth(count: count)
        var positions = BitPackWriter(output, offset: offset, width: positionWidth)
        var highs = BitPackWriter(output, offset: offset &+ BitPacking.byteCount(count: exceptions, width: positionWidth), width: highWidth)
        let shift = UInt64(width)
        for index in 0..<count where offsets[index] &>> shift != 0 {
            positions.append(UInt64(index))
            highs.append(ZigZag.encode(Int64(bitPattern: offsets[index]) &>> Int64(width)))
        }
        _ = positions.finish()
        return highs.finish()
    }
}

extension PatchedIntegerCodec: ColumnBufferCodec {}
