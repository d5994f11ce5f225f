extension DecimalFloatCodec {
    /// Decodes exactly `count` values from `input` into `output`.
    ///
    /// Throws ``CodecError`` when the input is truncated or malformed; never
    /// reads outside `input`.
    /// - Complexity: O(n), no allocation.
    public static func decode(_ input: UnsafeRawBufferPointer, count: Int, into output: UnsafeMutableBufferPointer<Double>) throws(CodecError) {
        guard count >= 0 else { throw CodecError("negative value count \(count)") }
        precondition(output.count >= count, "DecimalFloatCodec: output smaller than count")
        if count == 0 { return }
        guard let out = output.baseAddress else { throw CodecError("no output buffer") }
        var reader = ByteReader(input)
        let header: Header
        do {
            header = try Header(&reader, count: count)
        } catch let error as CodecError {
            throw error
        } catch {
            throw CodecError("decimal chunk header is truncated")
        }
        let packedCount = header.mode == forDivide || header.mode == forMultiply ? count : count - 1
        let packedBytes = BitPacking.byteCount(count: packedCount, width: header.width)
        guard reader.offset + packedBytes <= input.count else { throw CodecError("decimal chunk is truncated in its packed integers") }
        let packed = UnsafeRawBufferPointer(rebasing: input[reader.offset...])
        let unpacker = ScaledUnpacker(packed: packed, width: header.width)
        // The multiply modes build each value's bit pattern of 1.5 × 2⁵² + n in the output's storage, then scale it.
        let patterns = UnsafeMutableRawPointer(out).assumingMemoryBound(to: UInt64.self)
        let magicPattern = magic.bitPattern
        switch header.mode {
        case forMultiply:
            unpacker.unpack(count: count, adding: UInt64(bitPattern: header.base) &+ magicPattern, into: patterns)
        case deltaMultiply:
            var current = UInt64(bitPattern: header.base) &+ magicPattern
            patterns[0] = current
            unpacker.unpackRunningSum(count: count - 1, step: UInt64(bitPattern: header.deltaBase), from: &current, into: patterns + 1)
        case patchedDeltaMultiply:
            unpacker.unpack(count: count - 1, adding: UInt64(bitPattern: header.deltaBase), into: patterns + 1)
        default:
            decodeDividing(packed, header: header, count: count, into: out)
        }
        reader.offset += packedBytes
        if header.mode == patchedDeltaMultiply {
            do {
                try patchDeltas(&reader, header: header, count: count, patterns + 1)
            } catch let error as CodecError {
                throw error
            } catch {
                throw CodecError("decimal chunk is truncated in its patches")
            }
            var current = UInt64(bitPattern: header.base) &+ magicPattern
            patterns[0] = current
            for index in 1..<count {
                current = current &+ patterns[index]
                patterns[index] = current
            }
        }
        if header.multiplies {
            ScaledUnpacker.scale(out, count: count, by: MultiplyingScale(exponent: header.exponent, factor: header.factor))
        }
        do {
            if header.multiplies {
                try patchExceptions(&reader, header: header, count: count, MultiplyingScale(exponent: header.exponent, factor: header.factor), out)
            } else {
                try patchExceptions(&reader, header: header, count: count, DividingScale(power: powersOfTen[header.exponent]), out)
            }
        } catch let error as CodecError {
            throw error
        } catch {
            throw CodecError("decimal chunk is truncated in its exceptions")
        }
    }

    /// The fields before the packed integers.
    struct Header {
        var exponent = 0, factor = 0
        var mode: UInt8 = 0
        var base: Int64 = 0, deltaBase: Int64 = 0
        var width = 0, exceptions = 0, patches = 0

        /// Whether integers decode by multiplication (modes 2 to 4).
        var multiplies: Bool { mode >= forMultiply }

        init(_ reader: inout ByteReader, count: Int) throws {
            exponent = Int(try reader.readUInt8())
            mode = try reader.readUInt8()
            guard exponent <= maximumExponent else { throw CodecError("decimal exponent \(exponent) is above \(maximumExponent)") }
            guard mode <= patchedDeltaMultiply else { throw CodecError("unknown decimal mode \(mode)") }
            if mode >= forMultiply {
                factor = Int(try reader.readUInt8())
                guard factor <= exponent else { throw CodecError("decimal factor \(factor) is above the exponent \(exponent)") }
            }
            base = ZigZag.decode(try reader.readVarUInt())
            if mode == deltaMultiply || mode == patchedDeltaMultiply { deltaBase = ZigZag.decode(try reader.readVarUInt()) }
            width = Int(try reader.readUInt8())
            let declared = try reader.readVarUInt()
            guard width <= 56 else { throw CodecError("decimal width \(width) is above 56 bits") }
            guard declared <= UInt64(count) else { throw CodecError("\(declared) exceptions for \(count) values") }
            exceptions = Int(declared)
            if mode == patchedDeltaMultiply {
                let declaredPatches = try reader.readVarUInt()
                guard declaredPatches < UInt64(count) else { throw CodecError("\(declaredPatches) patches for \(count) values") }
                patches = Int(declaredPatches)
            }
        }
    }

    /// Modes 0 and 1 (segment format 4): unpack into the output's storage,
    /// then turn each integer into its value in place.
    private static func decodeDividing(_ packed: UnsafeRawBufferPointer, header: Header, count: Int, into out: UnsafeMutablePointer<Double>) {
        let raw = UnsafeMutableRawPointer(out).assumingMemoryBound(to: UInt64.self)
        let power = powersOfTen[header.exponent]
        let base = header.base
        if header.mode == zigzagDivide {
            BitPacking.unpack(packed, at: 0, count: count - 1, width: header.width, into: raw + 1)
            // The running sum is serial; the conversion and division ride along in the same pass.
            var current = base
            out[0] = Double(current) / power
            for index in 1..<count {
                current = current &+ ZigZag.decode(raw[index])
                out[index] = Double(current) / power
            }
        } else {
            BitPacking.unpack(packed, at: 0, count: count, width: header.width, into: raw)
            if header.exponent == 0 {
                for index in 0..<count { out[index] = Double(Int64(bitPattern: raw[index] &+ UInt64(bitPattern: base))) }
            } else {
                for index in 0..<count { out[index] = Double(Int64(bitPattern: raw[index] &+ UInt64(bitPattern: base))) / power }
            }
        }
    }

    /// Mode 4: adds each patch's high bits to its delta.
    private static func patchDeltas(_ reader: inout ByteReader, header: Header, count: Int, _ deltas: UnsafeMutablePointer<UInt64>) throws {
        var position = 0
        for _ in 0..<header.patches {
            let gap = try reader.readVarUInt()
            guard gap < UInt64(count - 1 - position) else { throw CodecError("decimal patch position is beyond the chunk") }
            position += Int(gap)
            let high = ZigZag.decode(try reader.readVarUInt())
            deltas[position] = deltas[position] &+ (UInt64(bitPattern: high) &<< UInt64(header.width))
            position += 1
        }
    }

    private static func patchExceptions<Scale: DecimalScale>(
        _ reader: inout ByteReader, header: Header, count: Int, _ scale: Scale, _ out: UnsafeMutablePointer<Double>
    ) throws {
        let limit = header.multiplies ? multiplyLimit : exactLimit
        var position = 0
        for _ in 0..<header.exceptions {
            let gap = try reader.readVarUInt()
            guard gap < UInt64(count - position) else { throw CodecError("decimal exception position is beyond the chunk") }
            position += Int(gap)
            let kind = try reader.readVarUInt()
            if kind == 0 {
                out[position] = Double(bitPattern: try reader.readUInt64())
            } else {
                let offset = ZigZag.decode((kind - 1) >> 1)
                var decimal = out[position]
                if (kind - 1) & 1 == 1 {
                    let n = ZigZag.decode(try reader.readVarUInt())
                    guard Double(n).magnitude < limit else { throw CodecError("decimal exception integer \(n) is out of range") }
                    decimal = scale.decode(n)
                }
                out[position] = Double(bitPattern: decimal.bitPattern &+ UInt64(bitPattern: offset))
            }
            position += 1
        }
    }
}
