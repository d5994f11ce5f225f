import CLZ4
import CZstd

/// A general-purpose compressor applied to whole blocks (for example a
/// segment's encoded chunks), on top of the column codecs.
///
/// LZ4 favours speed; zstd favours ratio and its level trades one for the other.
public enum BlockCompression: Sendable, Equatable {
    /// LZ4 block format, default (fast) mode.
    case lz4
    /// A single zstd frame at the given level (1...22; negative levels are faster modes).
    case zstd(level: Int32)
}

/// Thrown when compression fails or compressed input is corrupt or of the wrong size.
public struct CompressionError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, in words meant for a person (includes the library's message when there is one).
    public let reason: String

    /// Creates an error with a human-readable reason.
    public init(_ reason: String) {
        self.reason = reason
    }

    /// The reason, prefixed so it reads well inside a larger message.
    public var description: String { "compression error: \(reason)" }
}

extension BlockCompression {
    /// Compresses `input` into a new array.
    ///
    /// Throws if the input is too large for the algorithm (LZ4 blocks are
    /// limited to about 2 GB) or the library reports an error.
    public func compress(_ input: UnsafeRawBufferPointer) throws(CompressionError) -> [UInt8] {
        try withNonNilBase(input) { (source) throws(CompressionError) in
            switch self {
            case .lz4:
                guard input.count <= Int(LZ4_MAX_INPUT_SIZE) else {
                    throw CompressionError("lz4 input of \(input.count) bytes exceeds the \(LZ4_MAX_INPUT_SIZE)-byte block limit")
                }
                let bound = Int(LZ4_compressBound(Int32(input.count)))
                var written: Int32 = 0
                let result = [UInt8](unsafeUninitializedCapacity: max(bound, 1)) { buffer, initialized in
                    written = LZ4_compress_default(
                        source.assumingMemoryBound(to: CChar.self),
                        UnsafeMutableRawPointer(buffer.baseAddress!).assumingMemoryBound(to: CChar.self),
                        Int32(input.count), Int32(bound))
                    initialized = max(Int(written), 0)
                }
                guard written > 0 else { throw CompressionError("lz4 compression of \(input.count) bytes failed") }
                return result
            case .zstd(let level):
                let bound = ZSTD_compressBound(input.count)
                var code = 0
                let result = try ZstdContextPool.withCompressionContext { context in
                    [UInt8](unsafeUninitializedCapacity: max(bound, 1)) { buffer, initialized in
                        code = ZSTD_compressCCtx(context, buffer.baseAddress, bound, source, input.count, level)
                        initialized = ZSTD_isError(code) != 0 ? 0 : code
                    }
                }
                if ZSTD_isError(code) != 0 { throw CompressionError("zstd compression failed: \(zstdErrorName(code))") }
                return result
            }
        }
    }

    /// Decompresses `input`, which must expand to exactly `originalSize` bytes.
    ///
    /// Throws if the input is corrupt or expands to any other size: the
    /// original size comes from the file's index, so a mismatch is corruption.
    public func decompress(_ input: UnsafeRawBufferPointer, originalSize: Int) throws(CompressionError) -> [UInt8] {
        guard originalSize >= 0 else { throw CompressionError("negative original size \(originalSize)") }
        return try withNonNilBase(input) { (source) throws(CompressionError) in
            switch self {
            case .lz4:
                guard input.count <= Int(Int32.max), originalSize <= Int(Int32.max) else {
                    throw CompressionError("lz4 block sizes exceed the 2 GB limit")
                }
                var produced: Int32 = 0
                let result = [UInt8](unsafeUninitializedCapacity: max(originalSize, 1)) { buffer, initialized in
                    // The safe decoder never writes past `originalSize` nor reads past the input.
                    produced = LZ4_decompress_safe(
                        source.assumingMemoryBound(to: CChar.self),
                        UnsafeMutableRawPointer(buffer.baseAddress!).assumingMemoryBound(to: CChar.self),
                        Int32(input.count), Int32(originalSize))
                    initialized = produced < 0 ? 0 : Int(produced)
                }
                guard produced >= 0 else { throw CompressionError("lz4 block of \(input.count) bytes is corrupt") }
                guard Int(produced) == originalSize else {
                    throw CompressionError("lz4 block expands to \(produced) bytes, expected \(originalSize)")
                }
                return result
            case .zstd:
                var code = 0
                let result = try ZstdContextPool.withDecompressionContext { context in
                    [UInt8](unsafeUninitializedCapacity: max(originalSize, 1)) { buffer, initialized in
                        code = ZSTD_decompressDCtx(context, buffer.baseAddress, originalSize, source, input.count)
                        initialized = ZSTD_isError(code) != 0 ? 0 : code
                    }
                }
                if ZSTD_isError(code) != 0 {
                    throw CompressionError("zstd block of \(input.count) bytes does not decompress to \(originalSize) bytes: \(zstdErrorName(code))")
                }
                guard code == originalSize else {
                    throw CompressionError("zstd block expands to \(code) bytes, expected \(originalSize)")
                }
                return result
            }
        }
    }
}

/// Calls `body` with the input's base address, or with a valid dummy address
/// for an empty buffer: C libraries may reject NULL even with a zero length.
func withNonNilBase<R>(_ input: UnsafeRawBufferPointer, _ body: (UnsafeRawPointer) throws(CompressionError) -> R) throws(CompressionError) -> R {
    if let base = input.baseAddress { return try body(base) }
    var placeholder: UInt8 = 0
    return try withUnsafeBytes(of: &placeholder) { (raw) throws(CompressionError) in try body(raw.baseAddress!) }
}

/// The library's name for a zstd error code.
func zstdErrorName(_ code: Int) -> String {
    String(cString: ZSTD_getErrorName(code))
}
