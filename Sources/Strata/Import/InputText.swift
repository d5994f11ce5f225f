/// Text checks every importer applies to its input: the byte-order mark some
/// editors put at the start of a file, and names that must be valid UTF-8.
enum InputText {
    /// The UTF-8 byte-order mark, EF BB BF.
    static let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]

    /// `bytes` without a leading UTF-8 byte-order mark (Excel and Notepad write one);
    /// a mark anywhere else is ordinary content.
    static func skippingByteOrderMark(_ bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        guard bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF else { return bytes }
        return UnsafeRawBufferPointer(rebasing: bytes[3...])
    }

    /// The string of `bytes` when they are valid UTF-8, else nil. Never replaces a
    /// byte with U+FFFD: two names that differ only in invalid bytes must not merge.
    static func string(_ bytes: UnsafeRawBufferPointer) -> String? {
        // Names are nearly always ASCII: checked eight bytes at a time, no decoding needed.
        if isASCII(bytes) { return String(decoding: bytes, as: UTF8.self) }
        return String(validating: bytes, as: UTF8.self)
    }

    /// The string of `bytes`, or a failure that says `what` is not UTF-8 and where.
    static func string(_ bytes: UnsafeRawBufferPointer, what: String, column: Int? = nil) throws(RowFailure) -> String {
        guard let text = string(bytes) else {
            throw RowFailure("\(what) is not valid UTF-8 (\(describeFirstInvalidByte(bytes))); names must be UTF-8 text", column: column)
        }
        return text
    }

    static func isASCII(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let count = bytes.count
        guard let base = bytes.baseAddress else { return true }
        var index = 0
        var high: UInt64 = 0
        while index + 8 <= count {
            high |= base.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            index += 8
        }
        while index < count {
            high |= UInt64(base.load(fromByteOffset: index, as: UInt8.self))
            index += 1
        }
        return high & 0x8080_8080_8080_8080 == 0
    }

    /// `byte 0xFF at offset 3`: where decoding first fails, for a message.
    static func describeFirstInvalidByte(_ bytes: UnsafeRawBufferPointer) -> String {
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        var offset = 0
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar): offset += UTF8.width(scalar)
            case .emptyInput: return "no invalid byte found"
            case .error:
                let byte = offset < bytes.count ? bytes[offset] : 0
                return "byte 0x" + String(byte, radix: 16, uppercase: true) + " at offset \(offset)"
            }
        }
    }
}
