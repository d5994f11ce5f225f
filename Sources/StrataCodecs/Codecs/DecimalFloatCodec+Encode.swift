extension DecimalFloatCodec {
    /// Encodes `values` into `output` and returns the bytes written.
    ///
    /// `output` must hold at least ``maxEncodedSize(count:)`` bytes.
    /// - Complexity: O(n) in four passes, no allocation beyond a stack scratch.
    public static func encode(_ values: UnsafeBufferPointer<Double>, into output: UnsafeMutableRawBufferPointer) -> Int {
        let count = values.count
        if count == 0 { return 0 }
        precondition(output.count >= maxEncodedSize(count: count), "DecimalFloatCodec: output smaller than maxEncodedSize")
        let (digits, multiplying) = chooseScale(values)
        return withUnsafeTemporaryAllocation(of: Int64.self, capacity: count) { integers in
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: count) { kinds in
                var encoder = ChunkEncoder(values: values, integers: integers, kinds: kinds, output: output)
                if let multiplying {
                    return encoder.encode(multiplying, exponent: multiplying.exponent, factor: multiplying.factor)
                }
                return encoder.encode(DividingScale(power: powersOfTen[digits]), exponent: digits, factor: nil)
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

    /// Encodes under `scale`; `factor` is nil for the dividing modes.
    mutating func encode<Scale: DecimalScale>(_ scale: Scale, exponent: Int, factor: Int?) -> Int {
        let count = values.count
        // Pass 1: every value's integer, branch-free; exact integers set the range.
        var misses = 0
        for index in 0..<count {
            let (n, exact) = scale.integer(values[index])
            integers[index] = n
            kinds[index] = exact ? Self.exactKind : Self.wholeKind
            low = exact ? min(low, n) : low
            high = exact ? max(high, n) : high
            misses &+= exact ? 0 : 1
        }
        // The misses, rare, are sorted into near and whole exceptions.
        var first: Int64? = nil
        if misses > 0 {
            for index in 0..<count where kinds[index] != Self.exactKind {
                switch DecimalFloatCodec.slot(values[index], scale) {
                case .exact(let n), .near(let n, _):
                    // (A slot can be exact here only beyond the branch-free range: it is stored as near.)
                    integers[index] = n
                    kinds[index] = Self.nearKind
                case .whole:
                    integers[index] = 0
                }
            }
            if let index = kinds.firstIndex(of: Self.exactKind) { first = integers[index] }
        } else {
            first = integers[0]
        }
        let exceptions = misses

        // Pass 2: the range of the carried integers and of their deltas.
        // The first slot's integer starts the deltas (an exception there may carry its own).
        let start = carried(0, first ?? 0)
        var previous = start
        var minimum = start, maximum = start
        var minimumDelta = Int64.max, maximumDelta = Int64.min
        for index in 1..<max(count, 1) {
            let current = carried(index, previous)
            minimum = min(minimum, current)
            maximum = max(maximum, current)
            let delta = current &- previous
            minimumDelta = min(minimumDelta, delta)
            maximumDelta = max(maximumDelta, delta)
            previous = current
        }
        let forWidth = Self.width(of: UInt64(bitPattern: maximum &- minimum))
        let deltaWidth: Int
        if count < 2 {
            deltaWidth = 0
            minimumDelta = 0
        } else if factor == nil {
            // Zigzag deltas: the width of the larger magnitude, plus the sign bit.
            deltaWidth = Self.width(of: max(ZigZag.encode(minimumDelta), ZigZag.encode(maximumDelta)))
        } else {
            deltaWidth = Self.width(of: UInt64(bitPattern: maximumDelta &- minimumDelta))
        }
        let usesDeltas = (count - 1) * deltaWidth < count * forWidth
        let width = usesDeltas ? deltaWidth : forWidth
        let base = usesDeltas ? start : minimum
        let mode: UInt8 = switch (factor != nil, usesDeltas) {
        case (false, false): DecimalFloatCodec.forDivide
        case (false, true): DecimalFloatCodec.zigzagDivide
        case (true, false): DecimalFloatCodec.forMultiply
        case (true, true): DecimalFloatCodec.deltaMultiply
        }

        var writer = ByteWriterInto(output)
        writer.write(UInt8(exponent))
        writer.write(mode)
        if let factor { writer.write(UInt8(factor)) }
        writer.writeVarUInt(ZigZag.encode(base))
        if mode == DecimalFloatCodec.deltaMultiply { writer.writeVarUInt(ZigZag.encode(minimumDelta)) }
        writer.write(UInt8(width))
        writer.writeVarUInt(UInt64(exceptions))

        // Pass 3: the packed integers.
        var packer = BitPackWriter(output, offset: writer.position, width: width)
        previous = start
        switch mode {
        case DecimalFloatCodec.zigzagDivide:
            for index in 1..<count {
                let current = carried(index, previous)
                packer.append(ZigZag.encode(current &- previous))
                previous = current
            }
        case DecimalFloatCodec.deltaMultiply:
            for index in 1..<count {
                let current = carried(index, previous)
                packer.append(UInt64(bitPattern: (current &- previous) &- minimumDelta))
                previous = current
            }
        default:
            for index in 0..<count {
                let current = carried(index, previous)
                packer.append(UInt64(bitPattern: current &- base))
                previous = current
            }
        }
        writer.position = packer.finish()

        // Pass 4: the exceptions.
        if exceptions > 0 {
            var next = 0
            for index in 0..<count where kinds[index] != Self.exactKind {
                switch DecimalFloatCodec.slot(values[index], scale) {
                case .exact(let n):
                    // Beyond the branch-free range: a near exception at distance 0.
                    writer.writeVarUInt(UInt64(index - next))
                    let inSlot = n >= low && n <= high
                    writer.writeVarUInt((inSlot ? 0 : 1) + 1)
                    if !inSlot { writer.writeVarUInt(ZigZag.encode(n)) }
                case .near(let n, let offset):
                    writer.writeVarUInt(UInt64(index - next))
                    let inSlot = n >= low && n <= high
                    writer.writeVarUInt((ZigZag.encode(offset) << 1 | (inSlot ? 0 : 1)) + 1)
                    if !inSlot { writer.writeVarUInt(ZigZag.encode(n)) }
                case .whole:
                    writer.writeVarUInt(UInt64(index - next))
                    writer.writeVarUInt(0)
                    writer.write(values[index].bitPattern)
                }
                next = index + 1
            }
        }
        return writer.position
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
