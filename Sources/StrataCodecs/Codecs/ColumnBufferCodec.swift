/// The buffer API every column codec offers, and the array conveniences
/// built on it once for all of them.
public protocol ColumnBufferCodec {
    associatedtype Element: BitwiseCopyable

    /// Upper bound on the bytes ``encode(_:into:)`` needs for `count` values.
    static func maxEncodedSize(count: Int) -> Int
    /// Encodes `values` into `output` (at least ``maxEncodedSize(count:)`` bytes); returns the bytes written.
    static func encode(_ values: UnsafeBufferPointer<Element>, into output: UnsafeMutableRawBufferPointer) -> Int
    /// Decodes exactly `count` values into `output`; throws on malformed or truncated input.
    static func decode(_ input: UnsafeRawBufferPointer, count: Int, into output: UnsafeMutableBufferPointer<Element>) throws(CodecError)
}

extension ColumnBufferCodec {
    /// Encodes `values` into a new array (convenience over the buffer API).
    public static func encode(_ values: [Element]) -> [UInt8] {
        values.withUnsafeBufferPointer { source in
            [UInt8](unsafeUninitializedCapacity: maxEncodedSize(count: source.count)) { buffer, initialized in
                initialized = encode(source, into: UnsafeMutableRawBufferPointer(buffer))
            }
        }
    }

    /// Decodes `count` values into a new array (convenience over the buffer API).
    public static func decode(_ input: [UInt8], count: Int) throws(CodecError) -> [Element] {
        guard count >= 0 else { throw CodecError("negative value count \(count)") }
        var failure: CodecError?
        let result = input.withUnsafeBytes { raw in
            [Element](unsafeUninitializedCapacity: count) { buffer, initialized in
                do throws(CodecError) {
                    try decode(raw, count: count, into: buffer)
                    initialized = count
                } catch {
                    failure = error
                    initialized = 0
                }
            }
        }
        if let failure { throw failure }
        return result
    }
}
