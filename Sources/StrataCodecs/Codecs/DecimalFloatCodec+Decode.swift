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
        switch header.mode {
        case forMultiply:
            let scale = MultiplyingScale(exponent: header.exponent, factor: header.factor)
            ScaledUnpacker(packed: packed, width: header.width, scale: scale)
                .decodeFrameOfReference(count: count, base: header.base, into: out)
        case deltaMultiply:
            let scale = MultiplyingScale(exponent: header.exponent, factor: header.factor)
            ScaledUnpacker(packed: packed, width: header.width, scale: scale)
                .decodeDeltas(count: count, first: header.base, deltaBase: header.deltaBase, into: out)
        default:
            decodeDividing(packed, header: header, count: count, into: out)
        }
        reader.offset += packedBytes
        do {
            if header.mode == forMultiply || header.mode == deltaMultiply {
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
        var width = 0, exceptions = 0

        init(_ reader: inout ByteReader, count: Int) throws {
            exponent = Int(try reader.readUInt8())
            mode = try reader.readUInt8()
            guard exponent <= maximumExponent else { throw CodecError("decimal exponent \(exponent) is above \(maximumExponent)") }
            guard mode <= deltaMultiply else { throw CodecError("unknown decimal mode \(mode)") }
            let multiplies = mode == forMultiply || mode == deltaMultiply
            if multiplies {
                factor = Int(try reader.readUInt8())
                guard factor <= exponent else { throw CodecError("decimal factor \(factor) is above the exponent \(exponent)") }
            }
            base = ZigZag.decode(try reader.readVarUInt())
            if mode == deltaMultiply { deltaBase = ZigZag.decode(try reader.readVarUInt()) }
            width = Int(try reader.readUInt8())
            let declared = try reader.readVarUInt()
            guard width <= 56 else { throw CodecError("decimal width \(width) is above 56 bits") }
            guard declared <= UInt64(count) else { throw CodecError("\(declared) exceptions for \(count) values") }
            exceptions = Int(declared)
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

    private static func patchExceptions<Scale: DecimalScale>(
        _ reader: inout ByteReader, header: Header, count: Int, _ scale: Scale, _ out: UnsafeMutablePointer<Double>
    ) throws {
        let limit = header.mode == forMultiply || header.mode == deltaMultiply ? multiplyLimit : exactLimit
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
