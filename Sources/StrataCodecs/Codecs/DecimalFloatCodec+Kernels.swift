/// The decoding kernels of the multiply modes of ``DecimalFloatCodec``, in two
/// passes over the output: the first unpacks groups of eight integers, adds the
/// frame of reference or runs the sum of deltas, and stores each integer k as the
/// bit pattern of 1.5 × 2⁵² + k; the second subtracts 1.5 × 2⁵² and scales, two
/// values per SIMD instruction.
///
/// Eight values of width *w* fill exactly *w* bytes, so within a group every
/// value's byte offset and shift are constants once *w* is; ``withConstantWidth(_:_:)``
/// hands the kernels a literal width so the compiler unrolls each group into
/// straight-line loads, shifts and masks. No integer-to-double conversion
/// instruction is needed (the 1.5 × 2⁵² trick replaces it), and the second pass
/// vectorises with SSE2 alone.
struct ScaledUnpacker {
    /// From the first packed byte to the end of the chunk's input: the group
    /// loads may read up to eight bytes past a group, never past this span.
    let packed: UnsafeRawBufferPointer
    let width: Int
    let scale: MultiplyingScale

    /// Groups of eight values whose unaligned loads stay inside `packed`.
    private func fastGroups(values: Int) -> Int {
        guard width > 0 else { return values / 8 }
        return packed.count >= 8 ? min(values / 8, (packed.count - 8) / width) : 0
    }

    /// `count` values, each `base` plus its packed integer.
    func decodeFrameOfReference(count: Int, base: Int64, into out: UnsafeMutablePointer<Double>) {
        let add = UInt64(bitPattern: base) &+ DecimalFloatCodec.magic.bitPattern
        let factorPower = scale.factorPower, inversePower = scale.inversePower
        let groups = fastGroups(values: count)
        if let source = packed.baseAddress, groups > 0 {
            Self.withConstantWidth(width) { width in
                Self.frameOfReferenceGroups(source, groups: groups, width: width, add: add, out)
            }
            Self.scalePatterns(out, count: groups &* 8, factorPower, inversePower)
        }
        // The last values, without reading past the packed bytes.
        let done = groups &* 8
        guard done < count else { return }
        let raw = UnsafeMutableRawPointer(out + done).assumingMemoryBound(to: UInt64.self)
        BitPacking.unpack(packed, at: groups &* width, count: count &- done, width: width, into: raw)
        for index in 0..<(count &- done) {
            out[done &+ index] = (Double(bitPattern: raw[index] &+ add) - DecimalFloatCodec.magic) * factorPower * inversePower
        }
    }

    /// `count` values: `first`, then a running sum of `deltaBase` plus each packed integer.
    func decodeDeltas(count: Int, first: Int64, deltaBase: Int64, into out: UnsafeMutablePointer<Double>) {
        let factorPower = scale.factorPower, inversePower = scale.inversePower
        // The running sum is kept with the magic's bit pattern added, ready to reinterpret.
        var current = UInt64(bitPattern: first) &+ DecimalFloatCodec.magic.bitPattern
        let step = UInt64(bitPattern: deltaBase)
        out[0] = (Double(bitPattern: current) - DecimalFloatCodec.magic) * factorPower * inversePower
        let packedCount = count &- 1
        let groups = fastGroups(values: packedCount)
        if let source = packed.baseAddress, groups > 0 {
            Self.withConstantWidth(width) { width in
                Self.deltaGroups(source, groups: groups, width: width, step: step, current: &current, out + 1)
            }
            Self.scalePatterns(out + 1, count: groups &* 8, factorPower, inversePower)
        }
        let done = groups &* 8
        guard done < packedCount else { return }
        let raw = UnsafeMutableRawPointer(out + 1 + done).assumingMemoryBound(to: UInt64.self)
        BitPacking.unpack(packed, at: groups &* width, count: packedCount &- done, width: width, into: raw)
        for index in 0..<(packedCount &- done) {
            current = current &+ raw[index] &+ step
            out[1 &+ done &+ index] = (Double(bitPattern: current) - DecimalFloatCodec.magic) * factorPower * inversePower
        }
    }

    @inline(__always)
    private static func frameOfReferenceGroups(
        _ source: UnsafeRawPointer, groups: Int, width: Int, add: UInt64, _ out: UnsafeMutablePointer<Double>
    ) {
        let mask: UInt64 = width == 64 ? .max : (1 << UInt64(width)) &- 1
        var source = source
        var patterns = UnsafeMutableRawPointer(out).assumingMemoryBound(to: UInt64.self)
        for _ in 0..<groups {
            for lane in 0..<8 {
                let bit = lane &* width
                let word = UInt64(littleEndian: source.loadUnaligned(fromByteOffset: bit &>> 3, as: UInt64.self))
                let pattern = ((word &>> UInt64(bit & 7)) & mask) &+ add
                patterns[lane] = pattern
            }
            source += width
            patterns += 8
        }
    }

    @inline(__always)
    private static func deltaGroups(
        _ source: UnsafeRawPointer, groups: Int, width: Int, step: UInt64, current: inout UInt64, _ out: UnsafeMutablePointer<Double>
    ) {
        let mask: UInt64 = width == 64 ? .max : (1 << UInt64(width)) &- 1
        var source = source
        var patterns = UnsafeMutableRawPointer(out).assumingMemoryBound(to: UInt64.self)
        var running = current
        for _ in 0..<groups {
            for lane in 0..<8 {
                let bit = lane &* width
                let word = UInt64(littleEndian: source.loadUnaligned(fromByteOffset: bit &>> 3, as: UInt64.self))
                running = running &+ ((word &>> UInt64(bit & 7)) & mask) &+ step
                patterns[lane] = running
            }
            source += width
            patterns += 8
        }
        current = running
    }

    /// Turns `count` (a multiple of 8) bit patterns of magic-plus-integer into scaled values, two at a time.
    private static func scalePatterns(_ out: UnsafeMutablePointer<Double>, count: Int, _ factorPower: Double, _ inversePower: Double) {
        let raw = UnsafeMutableRawPointer(out)
        let magic = SIMD2<Double>(repeating: DecimalFloatCodec.magic)
        let factor = SIMD2<Double>(repeating: factorPower), inverse = SIMD2<Double>(repeating: inversePower)
        var offset = 0
        let end = count &* 8
        while offset < end {
            let pair = raw.loadUnaligned(fromByteOffset: offset, as: SIMD2<Double>.self)
            raw.storeBytes(of: (pair - magic) * factor * inverse, toByteOffset: offset, as: SIMD2<Double>.self)
            offset &+= 16
        }
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
