extension DecimalFloatCodec {
    /// Encodes `values` into `output` and returns the bytes written.
    ///
    /// `output` must hold at least ``maxEncodedSize(count:)`` bytes.
    /// - Complexity: O(n) in four passes; no allocation beyond stack scratch, except for
    ///   chunks with many values the multiplication misses, which are encoded twice.
    public static func encode(_ values: UnsafeBufferPointer<Double>, into output: UnsafeMutableRawBufferPointer) -> Int {
        let count = values.count
        if count == 0 { return 0 }
        precondition(output.count >= maxEncodedSize(count: count), "DecimalFloatCodec: output smaller than maxEncodedSize")
        let (digits, multiplying) = chooseScale(values)
        return withUnsafeTemporaryAllocation(of: Int64.self, capacity: count) { integers in
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: count) { kinds in
                var encoder = ChunkEncoder(values: values, integers: integers, kinds: kinds, output: output)
                let dividing = DividingScale(power: powersOfTen[digits])
                guard let multiplying else {
                    return encoder.encode(dividing, exponent: digits, factor: nil, misses: encoder.classify(dividing))
                }
                let misses = encoder.classify(multiplying)
                let multiplied = encoder.encode(multiplying, exponent: multiplying.exponent, factor: multiplying.factor, misses: misses)
                // The sample can miss what the whole chunk shows: with many misses, and fewer under the
                // division (values with many significant digits), encode both ways and keep the smaller.
                guard misses > count / 64, ChunkEncoder.misses(values, dividing) < misses else { return multiplied }
                let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: output.count, alignment: 8)
                defer { scratch.deallocate() }
                var second = ChunkEncoder(values: values, integers: integers, kinds: kinds, output: scratch)
                let divided = second.encode(dividing, exponent: digits, factor: nil, misses: second.classify(dividing))
                guard divided < multiplied else { return multiplied }
                output.copyMemory(from: UnsafeRawBufferPointer(rebasing: scratch[0..<divided]))
                return divided
            }
        }
    }
}

/// One chunk's encoding under a chosen scale, in passes over scratch arrays
/// that keep each value's integer and slot kind, so every value is scaled once.
private struct ChunkEncoder {
    let values: UnsafeBufferPointer<Double>
    let integers: UnsafeMutableBufferPointer<Int64>
    let kinds: UnsafeMutableBufferPointer<UInt8>
    let output: UnsafeMutableRawBufferPointer

    static let exactKind: UInt8 = 0, nearKind: UInt8 = 1, wholeKind: UInt8 = 2

    /// The range of the exact integers, which near exceptions may share.
    var low = Int64.max, high = Int64.min

    init(
        values: UnsafeBufferPointer<Double>, integers: UnsafeMutableBufferPointer<Int64>,
        kinds: UnsafeMutableBufferPointer<UInt8>, output: UnsafeMutableRawBufferPointer
    ) {
        self.values = values
        self.integers = integers
        self.kinds = kinds
        self.output = output
    }

    /// The integer a slot puts in the packed stream: exceptions that would widen it repeat the previous one.
    @inline(__always)
    func carried(_ index: Int, _ previous: Int64) -> Int64 {
        let n = integers[index]
        switch kinds[index] {
        case Self.exactKind: return n
        case Self.nearKind: return n >= low && n <= high ? n : previous
        default: return previous
        }
    }

    /// Values `scale` does not reproduce, counted branch-free.
    static func misses<Scale: DecimalScale>(_ values: UnsafeBufferPointer<Double>, _ scale: Scale) -> Int {
        var misses = 0
        for value in values { misses &+= scale.integer(value).exact ? 0 : 1 }
        return misses
    }

    /// Pass 1: every value's integer, branch-free; exact integers set the range.
    /// Returns the number of values `scale` does not reproduce.
    mutating func classify<Scale: DecimalScale>(_ scale: Scale) -> Int {
        let count = values.count
        low = .max
        high = .min
        var misses = 0
        for index in 0..<count {
            let (n, exact) = scale.integer(values[index])
            integers[index] = n
            kinds[index] = exact ? Self.exactKind : Self.wholeKind
            low = exact ? min(low, n) : low
            high = exact ? max(high, n) : high
            misses &+= exact ? 0 : 1
        }
        return misses
    }

    /// Encodes under `scale`, after ``classify(_:)`` with the same scale;
    /// `factor` is nil for the dividing modes.
    mutating func encode<Scale: DecimalScale>(_ scale: Scale, exponent: Int, factor: Int?, misses: Int) -> Int {
        let first = sortMisses(scale, misses: misses)
        let spans = carryIntegers(from: first ?? 0)
        let layout = chooseLayout(spans, multiplying: factor != nil)
        var writer = ByteWriterInto(output)
        writer.write(UInt8(exponent))
        writer.write(layout.mode)
        if let factor { writer.write(UInt8(factor)) }
        writer.writeVarUInt(ZigZag.encode(layout.base))
        if layout.mode == DecimalFloatCodec.deltaMultiply || layout.mode == DecimalFloatCodec.patchedDeltaMultiply {
            writer.writeVarUInt(ZigZag.encode(layout.deltaBase))
        }
        writer.write(UInt8(layout.width))
        writer.writeVarUInt(UInt64(misses))
        if layout.mode == DecimalFloatCodec.patchedDeltaMultiply { writer.writeVarUInt(UInt64(layout.patches)) }
        writer.position = packIntegers(layout, at: writer.position)
        if layout.patches > 0 { writePatches(layout, to: &writer) }
        if misses > 0 { writeExceptions(scale, to: &writer) }
        return writer.position
    }

    /// The carried integers' range and their deltas' range (pass 2's result).
    struct CarriedSpans {
        var start: Int64
        var minimum: Int64, maximum: Int64
        var minimumDelta: Int64, maximumDelta: Int64
    }

    /// How the integers are packed: the mode byte and its parameters.
    struct PackedLayout {
        var mode: UInt8
        var width: Int
        /// What packed values are counted from: the minimum (frame of reference) or the first integer.
        var base: Int64
        var deltaBase: Int64
        var patches: Int
    }

    /// Pass 1b: the misses, rare, are sorted into near and whole exceptions.
    ///
    /// - Returns: the first exact slot's integer, which starts the deltas, or
    ///   nil when no slot is exact.
    private mutating func sortMisses<Scale: DecimalScale>(_ scale: Scale, misses: Int) -> Int64? {
        guard misses > 0 else { return integers[0] }
        for index in 0..<values.count where kinds[index] != Self.exactKind {
            switch DecimalFloatCodec.slot(values[index], scale) {
            case .exact(let n), .near(let n, _):
                // (A slot can be exact here only beyond the branch-free range: it is stored as near.)
                integers[index] = n
                kinds[index] = Self.nearKind
            case .whole:
                integers[index] = 0
            }
        }
        return kinds.firstIndex(of: Self.exactKind).map { integers[$0] }
    }

    /// Pass 2: each slot's carried integer, kept in place, and the range of
    /// them and of their deltas. The first slot's integer starts the deltas
    /// (an exception there may carry `first`).
    private func carryIntegers(from first: Int64) -> CarriedSpans {
        let start = carried(0, first)
        integers[0] = start
        var previous = start
        var spans = CarriedSpans(start: start, minimum: start, maximum: start, minimumDelta: .max, maximumDelta: .min)
        for index in 1..<max(values.count, 1) {
            let current = carried(index, previous)
            integers[index] = current
            spans.minimum = min(spans.minimum, current)
            spans.maximum = max(spans.maximum, current)
            let delta = current &- previous
            spans.minimumDelta = min(spans.minimumDelta, delta)
            spans.maximumDelta = max(spans.maximumDelta, delta)
            previous = current
        }
        return spans
    }

    /// The smallest of frame-of-reference, delta and (multiplying only) patched
    /// delta packing, by the bits each takes.
    private func chooseLayout(_ spans: CarriedSpans, multiplying: Bool) -> PackedLayout {
        let count = values.count
        let forWidth = Self.width(of: UInt64(bitPattern: spans.maximum &- spans.minimum))
        var minimumDelta = spans.minimumDelta
        let deltaWidth: Int
        if count < 2 {
            deltaWidth = 0
            minimumDelta = 0
        } else if !multiplying {
            // Zigzag deltas: the width of the larger magnitude, plus the sign bit.
            deltaWidth = Self.width(of: max(ZigZag.encode(spans.minimumDelta), ZigZag.encode(spans.maximumDelta)))
        } else {
            deltaWidth = Self.width(of: UInt64(bitPattern: spans.maximumDelta &- spans.minimumDelta))
        }
        let forBits = count * forWidth, deltaBits = (count - 1) * deltaWidth
        let mode: UInt8 = switch (multiplying, deltaBits < forBits) {
        case (false, false): DecimalFloatCodec.forDivide
        case (false, true): DecimalFloatCodec.zigzagDivide
        case (true, false): DecimalFloatCodec.forMultiply
        case (true, true): DecimalFloatCodec.deltaMultiply
        }
        let framed = mode == DecimalFloatCodec.forDivide || mode == DecimalFloatCodec.forMultiply
        var layout = PackedLayout(
            mode: mode, width: deltaBits < forBits ? deltaWidth : forWidth, base: framed ? spans.minimum : spans.start,
            deltaBase: minimumDelta, patches: 0)
        // A few jumps widen every delta: see whether packing most deltas narrower and patching the rest pays.
        if multiplying && count >= 16 && deltaWidth >= 3, let window = patchedWindow(deltaWidth: deltaWidth),
            window.bits < min(forBits, deltaBits) {
            layout = PackedLayout(
                mode: DecimalFloatCodec.patchedDeltaMultiply, width: window.width, base: spans.start, deltaBase: window.base,
                patches: window.patches)
        }
        return layout
    }

    /// Pass 3: the packed integers, from byte `offset`; returns where they end.
    private func packIntegers(_ layout: PackedLayout, at offset: Int) -> Int {
        let count = values.count
        let deltaBase = layout.deltaBase
        var packer = BitPackWriter(output, offset: offset, width: layout.width)
        switch layout.mode {
        case DecimalFloatCodec.zigzagDivide:
            for index in 1..<count { packer.append(ZigZag.encode(integers[index] &- integers[index - 1])) }
        case DecimalFloatCodec.deltaMultiply:
            for index in 1..<count { packer.append(UInt64(bitPattern: (integers[index] &- integers[index - 1]) &- deltaBase)) }
        case DecimalFloatCodec.patchedDeltaMultiply:
            let mask: UInt64 = (1 << UInt64(layout.width)) &- 1
            for index in 1..<count { packer.append(UInt64(bitPattern: (integers[index] &- integers[index - 1]) &- deltaBase) & mask) }
        default:
            let base = layout.base
            for index in 0..<count { packer.append(UInt64(bitPattern: integers[index] &- base)) }
        }
        return packer.finish()
    }

    /// The deltas outside the patched window: their high bits, as signed multiples of 2^width.
    private func writePatches(_ layout: PackedLayout, to writer: inout ByteWriterInto) {
        let mask: UInt64 = (1 << UInt64(layout.width)) &- 1
        var next = 0
        for index in 1..<values.count {
            let shifted = UInt64(bitPattern: (integers[index] &- integers[index - 1]) &- layout.deltaBase)
            guard shifted > mask else { continue }
            writer.writeVarUInt(UInt64(index - 1 - next))
            writer.writeVarUInt(ZigZag.encode(Int64(bitPattern: shifted &- (shifted & mask)) >> Int64(layout.width)))
            next = index
        }
    }

    /// Pass 4: the exceptions, each after the gap from the previous one.
    private func writeExceptions<Scale: DecimalScale>(_ scale: Scale, to writer: inout ByteWriterInto) {
        var next = 0
        for index in 0..<values.count where kinds[index] != Self.exactKind {
            writer.writeVarUInt(UInt64(index - next))
            switch DecimalFloatCodec.slot(values[index], scale) {
            case .exact(let n):
                // Beyond the branch-free range: a near exception at distance 0.
                let inSlot = n >= low && n <= high
                writer.writeVarUInt((inSlot ? 0 : 1) + 1)
                if !inSlot { writer.writeVarUInt(ZigZag.encode(n)) }
            case .near(let n, let offset):
                let inSlot = n >= low && n <= high
                writer.writeVarUInt((ZigZag.encode(offset) << 1 | (inSlot ? 0 : 1)) + 1)
                if !inSlot { writer.writeVarUInt(ZigZag.encode(n)) }
            case .whole:
                writer.writeVarUInt(0)
                writer.write(values[index].bitPattern)
            }
            next = index + 1
        }
    }

    /// About what a patch costs: a one-byte position gap and a one- or two-byte high part.
    static let patchBits = 24

    /// The cheapest window of 2^width deltas for the patched mode, or nil when
    /// a sample says it cannot pay: centred on the median of a sample of
    /// deltas, its width chosen from the histogram of the deltas' distances to
    /// that centre, trading packed bits against patches. Reads the carried
    /// integers left by pass 2.
    func patchedWindow(deltaWidth: Int) -> (width: Int, base: Int64, patches: Int, bits: Int)? {
        let count = values.count
        let deltas = count - 1
        let sampled: (center: Int64, width: Int) = withUnsafeTemporaryAllocation(of: Int64.self, capacity: 31) { sample in
            let stride = max(1, deltas / 31)
            var taken = 0
            var index = 1
            while index < count && taken < 31 {
                // Insertion sort as the sample grows: 31 values, no allocation (unlike the library's stable sort).
                let delta = integers[index] &- integers[index - 1]
                var slot = taken
                while slot > 0 && sample[slot - 1] > delta {
                    sample[slot] = sample[slot - 1]
                    slot -= 1
                }
                sample[slot] = delta
                taken += 1
                index += stride
            }
            // The spread without the sample's extremes (a tenth at each end): what most deltas need.
            let trim = taken / 10
            return (sample[taken / 2], Self.width(of: UInt64(bitPattern: sample[taken - 1 - trim] &- sample[trim])))
        }
        // Most sampled deltas already span nearly the full width: outliers are not what widens it.
        guard sampled.width + 2 <= deltaWidth else { return nil }
        let center = sampled.center
        // Four interleaved histograms, so consecutive equal widths do not wait on each
        // other's stores; a short chunk (a flush's, often) gets one, a quarter to clear.
        let lanes = count >= 256 ? 4 : 1
        return withUnsafeTemporaryAllocation(of: Int.self, capacity: lanes * 65) { histograms in
            histograms.initialize(repeating: 0)
            // A delta within ±2^(w-1) of the centre has a zigzag distance of w bits or fewer.
            let laneMask = lanes - 1
            for index in 1..<count {
                let distance = ZigZag.encode((integers[index] &- integers[index - 1]) &- center)
                histograms[(index & laneMask) &* 65 &+ Self.width(of: distance)] &+= 1
            }
            var best = (width: deltaWidth, base: center, patches: 0, bits: Int.max)
            var covered = 0
            for width in 0...min(deltaWidth, 56) {
                for lane in 0..<lanes { covered += histograms[lane &* 65 &+ width] }
                let bits = deltas * width + (deltas - covered) * Self.patchBits
                if bits < best.bits {
                    best = (width, width == 0 ? center : center &- (1 << Int64(width - 1)), deltas - covered, bits)
                }
            }
            return best
        }
    }

    @inline(__always)
    static func width(of value: UInt64) -> Int { 64 - value.leadingZeroBitCount }
}

/// Little-endian writes at a moving offset of a caller's buffer (the buffer
/// is sized by the codec's `maxEncodedSize`).
struct ByteWriterInto {
    let output: UnsafeMutableRawBufferPointer
    var position = 0

    init(_ output: UnsafeMutableRawBufferPointer) { self.output = output }

    @inline(__always)
    mutating func write(_ byte: UInt8) {
        output.storeBytes(of: byte, toByteOffset: position, as: UInt8.self)
        position += 1
    }

    @inline(__always)
    mutating func write(_ value: UInt64) {
        output.storeBytes(of: value.littleEndian, toByteOffset: position, as: UInt64.self)
        position += 8
    }

    mutating func writeVarUInt(_ value: UInt64) {
        position = VarInt.write(value, into: output, at: position)
    }
}
