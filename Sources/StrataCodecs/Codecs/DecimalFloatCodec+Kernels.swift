/// The decoding kernels of the multiply modes of ``DecimalFloatCodec``, in
/// passes over the output's storage: unpacking writes each value's integer k
/// as the bit pattern of 1.5 × 2⁵² + k (adding the frame of reference, or
/// running the sum of deltas, on the way); ``scale(_:count:by:)`` then
/// subtracts 1.5 × 2⁵² and multiplies, two values per SIMD instruction.
///
/// Eight values of width *w* fill exactly *w* bytes, so within a group every
/// value's byte offset and shift are constants once *w* is; ``withConstantWidth(_:_:)``
/// hands the kernels a literal width so the compiler unrolls each group into
/// straight-line loads, shifts and masks. No integer-to-double conversion
/// instruction is needed (the 1.5 × 2⁵² trick replaces it), and the scaling
/// pass vectorises with SSE2 alone.
struct ScaledUnpacker {
    /// From the first packed byte to the end of the chunk's input: the group
    /// loads may read up to eight bytes past a group, never past this span.
    let packed: UnsafeRawBufferPointer
    let width: Int

    /// Groups of eight values whose unaligned loads stay inside `packed`.
    private func fastGroups(values: Int) -> Int {
        guard width > 0 else { return values / 8 }
        return packed.count >= 8 ? min(values / 8, (packed.count - 8) / width) : 0
    }

    /// Writes `count` packed integers plus `add` (wrapping) to `patterns`.
    func unpack(count: Int, adding add: UInt64, into patterns: UnsafeMutablePointer<UInt64>) {
        let groups = fastGroups(values: count)
        if let source = packed.baseAddress, groups > 0 {
            Self.withConstantWidth(width) { width in
                Self.addingGroups(source, groups: groups, width: width, add: add, patterns)
            }
        }
        guard groups &* 8 < count else { return }
        paddedTail(of: count, after: groups, into: patterns) { source, tailGroups, scratch in
            Self.withConstantWidth(width) { width in
                Self.addingGroups(source, groups: tailGroups, width: width, add: add, scratch)
            }
        }
    }

    /// Writes the running sum of `current` and, for each of `count` packed
    /// integers, the integer plus `step` (wrapping) to `patterns`.
    func unpackRunningSum(count: Int, step: UInt64, from current: inout UInt64, into patterns: UnsafeMutablePointer<UInt64>) {
        let groups = fastGroups(values: count)
        if let source = packed.baseAddress, groups > 0 {
            Self.withConstantWidth(width) { width in
                Self.summingGroups(source, groups: groups, width: width, step: step, current: &current, patterns)
            }
        }
        guard groups &* 8 < count else { return }
        var running = current
        paddedTail(of: count, after: groups, into: patterns) { source, tailGroups, scratch in
            Self.withConstantWidth(width) { width in
                Self.summingGroups(source, groups: tailGroups, width: width, step: step, current: &running, scratch)
            }
        }
        // The padding's lanes ran the sum on past the last value.
        current = patterns[count &- 1]
    }

    /// Runs `kernel` over the values after the first `groups` groups, on a
    /// zero-padded copy of their bytes: the unrolled groups then serve the last
    /// values too without reading past `packed`. The kernel writes whole groups
    /// into a scratch, of which the real values are copied to `patterns`.
    private func paddedTail(
        of count: Int, after groups: Int, into patterns: UnsafeMutablePointer<UInt64>,
        _ kernel: (UnsafeRawPointer, Int, UnsafeMutablePointer<UInt64>) -> Void
    ) {
        let done = groups &* 8
        let remaining = count &- done
        let start = groups &* width
        let bytes = BitPacking.byteCount(count: count, width: width) &- start
        let tailGroups = (remaining &+ 7) &>> 3
        // Whole groups, plus the 8-byte load that may start in the last one.
        let span = tailGroups &* width &+ 8
        withUnsafeTemporaryAllocation(byteCount: span, alignment: 8) { buffer in
            buffer.initializeMemory(as: UInt8.self, repeating: 0)
            if bytes > 0 {
                buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: packed[start..<(start &+ bytes)]))
            }
            withUnsafeTemporaryAllocation(of: UInt64.self, capacity: tailGroups &* 8) { scratch in
                guard let source = UnsafeRawPointer(buffer.baseAddress), let output = scratch.baseAddress else { return }
                kernel(source, tailGroups, output)
                (patterns + done).update(from: output, count: remaining)
            }
        }
    }

    /// Turns `count` bit patterns of 1.5 × 2⁵² + k, stored in `values`, into
    /// `(Double(k) × 10^f) × 10^-e`.
    static func scale(_ values: UnsafeMutablePointer<Double>, count: Int, by scale: MultiplyingScale) {
        let raw = UnsafeMutableRawPointer(values)
        let magic = SIMD2<Double>(repeating: DecimalFloatCodec.magic)
        let factor = SIMD2<Double>(repeating: scale.factorPower), inverse = SIMD2<Double>(repeating: scale.inversePower)
        var offset = 0
        // Four pairs an iteration, so the loop's own instructions are amortised.
        let quadsEnd = (count &>> 3) &* 64
        while offset < quadsEnd {
            let a = raw.loadUnaligned(fromByteOffset: offset, as: SIMD2<Double>.self)
            let b = raw.loadUnaligned(fromByteOffset: offset &+ 16, as: SIMD2<Double>.self)
            let c = raw.loadUnaligned(fromByteOffset: offset &+ 32, as: SIMD2<Double>.self)
            let d = raw.loadUnaligned(fromByteOffset: offset &+ 48, as: SIMD2<Double>.self)
            raw.storeBytes(of: (a - magic) * factor * inverse, toByteOffset: offset, as: SIMD2<Double>.self)
            raw.storeBytes(of: (b - magic) * factor * inverse, toByteOffset: offset &+ 16, as: SIMD2<Double>.self)
            raw.storeBytes(of: (c - magic) * factor * inverse, toByteOffset: offset &+ 32, as: SIMD2<Double>.self)
            raw.storeBytes(of: (d - magic) * factor * inverse, toByteOffset: offset &+ 48, as: SIMD2<Double>.self)
            offset &+= 64
        }
        let pairsEnd = (count &>> 1) &* 16
        while offset < pairsEnd {
            let pair = raw.loadUnaligned(fromByteOffset: offset, as: SIMD2<Double>.self)
            raw.storeBytes(of: (pair - magic) * factor * inverse, toByteOffset: offset, as: SIMD2<Double>.self)
            offset &+= 16
        }
        if count & 1 == 1 {
            values[count &- 1] = (values[count &- 1] - DecimalFloatCodec.magic) * scale.factorPower * scale.inversePower
        }
    }

    @inline(__always)
    private static func addingGroups(
        _ source: UnsafeRawPointer, groups: Int, width: Int, add: UInt64, _ patterns: UnsafeMutablePointer<UInt64>
    ) {
        let mask: UInt64 = width == 64 ? .max : (1 << UInt64(width)) &- 1
        var source = source, patterns = patterns
        for _ in 0..<groups {
            // Up to 8 bits a value, the whole group is one 64-bit word.
            let group = width <= 8 ? UInt64(littleEndian: source.loadUnaligned(as: UInt64.self)) : 0
            for lane in 0..<8 {
                let bit = lane &* width
                let packed = width <= 8
                    ? group &>> UInt64(bit)
                    : UInt64(littleEndian: source.loadUnaligned(fromByteOffset: bit &>> 3, as: UInt64.self)) &>> UInt64(bit & 7)
                patterns[lane] = (packed & mask) &+ add
            }
            source += width
            patterns += 8
        }
    }

    @inline(__always)
    private static func summingGroups(
        _ source: UnsafeRawPointer, groups: Int, width: Int, step: UInt64, current: inout UInt64, _ patterns: UnsafeMutablePointer<UInt64>
    ) {
        let mask: UInt64 = width == 64 ? .max : (1 << UInt64(width)) &- 1
        var source = source, patterns = patterns
        var running = current
        for _ in 0..<groups {
            let group = width <= 8 ? UInt64(littleEndian: source.loadUnaligned(as: UInt64.self)) : 0
            for lane in 0..<8 {
                let bit = lane &* width
                let packed = width <= 8
                    ? group &>> UInt64(bit)
                    : UInt64(littleEndian: source.loadUnaligned(fromByteOffset: bit &>> 3, as: UInt64.self)) &>> UInt64(bit & 7)
                // The step joins the delta before the sum, so the loop-carried chain is one addition.
                let delta = (packed & mask) &+ step
                running = running &+ delta
                patterns[lane] = running
            }
            source += width
            patterns += 8
        }
        current = running
    }

    /// Calls `body` with `width` as a literal, so that inlining specialises the
    /// kernel for each packed width.
    @inline(__always)
    private static func withConstantWidth(_ width: Int, _ body: (Int) -> Void) {
        switch width {
        case 0: body(0)
        case 1: body(1)
        case 2: body(2)
        case 3: body(3)
        case 4: body(4)
        case 5: body(5)
        case 6: body(6)
        case 7: body(7)
        case 8: body(8)
        case 9: body(9)
        case 10: body(10)
        case 11: body(11)
        case 12: body(12)
        case 13: body(13)
        case 14: body(14)
        case 15: body(15)
        case 16: body(16)
        case 17: body(17)
        case 18: body(18)
        case 19: body(19)
        case 20: body(20)
        case 21: body(21)
        case 22: body(22)
        case 23: body(23)
        case 24: body(24)
        case 25: body(25)
        case 26: body(26)
        case 27: body(27)
        case 28: body(28)
        case 29: body(29)
        case 30: body(30)
        case 31: body(31)
        case 32: body(32)
        case 33: body(33)
        case 34: body(34)
        case 35: body(35)
        case 36: body(36)
        case 37: body(37)
        case 38: body(38)
        case 39: body(39)
        case 40: body(40)
        case 41: body(41)
        case 42: body(42)
        case 43: body(43)
        case 44: body(44)
        case 45: body(45)
        case 46: body(46)
        case 47: body(47)
        case 48: body(48)
        case 49: body(49)
        case 50: body(50)
        case 51: body(51)
        case 52: body(52)
        case 53: body(53)
        case 54: body(54)
        case 55: body(55)
        case 56: body(56)
        default: body(width)
        }
    }
}
