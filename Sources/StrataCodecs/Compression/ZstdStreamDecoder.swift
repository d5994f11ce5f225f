import CZstd

/// Streaming zstd decompression of a whole `.zst` file or stream whose
/// content size is unknown up front (for example an import `x.csv.zst`).
///
/// Feed the compressed bytes in pieces of any size with
/// ``decompress(_:appendingTo:)``, then call ``finish()`` to detect a stream
/// cut off inside a frame. Concatenated frames are decoded in order.
/// The type is non-copyable because it owns a `ZSTD_DStream` and a scratch
/// buffer, both freed exactly once in `deinit`.
public struct ZstdStreamDecoder: ~Copyable, @unchecked Sendable {
    // @unchecked: the C state is reachable only through this unique owner,
    // so moving the decoder to another task cannot create shared access.
    private let stream: OpaquePointer
    private let scratch: UnsafeMutableRawBufferPointer
    /// The last `ZSTD_decompressStream` result: 0 exactly when the last frame
    /// started has been fully decoded and flushed.
    private var pendingHint = 0

    /// Creates a decoder; throws if zstd cannot allocate its state.
    public init() throws(CompressionError) {
        guard let stream = ZSTD_createDStream() else { throw CompressionError("zstd could not allocate a decompression stream") }
        let initialized = ZSTD_initDStream(stream)
        if ZSTD_isError(initialized) != 0 {
            ZSTD_freeDStream(stream)
            throw CompressionError("zstd stream initialisation failed: \(zstdErrorName(initialized))")
        }
        self.stream = stream
        // zstd's recommended output size guarantees progress of at least one block per call.
        scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: ZSTD_DStreamOutSize(), alignment: 16)
    }

    deinit {
        ZSTD_freeDStream(stream)
        scratch.deallocate()
    }

    /// Feeds compressed bytes; appends the bytes they decompress to to `output`.
    ///
    /// Throws on corrupt input. Any split of the stream into calls gives the same output.
    public mutating func decompress(_ input: UnsafeRawBufferPointer, appendingTo output: inout [UInt8]) throws(CompressionError) {
        // With no output limit, one call decodes until the input is used up and zstd holds nothing more.
        _ = try decompress(input, appendingTo: &output, outputLimit: .max)
    }

    /// Decodes from `input` until it is used up and zstd holds nothing more, or until
    /// `output` has grown by at least `outputLimit` bytes (by at most one scratch buffer
    /// beyond it), whichever comes first. A few compressed bytes can stand for gigabytes:
    /// this lets a caller look at the output as it grows and stop early.
    ///
    /// Returns the input bytes consumed and whether everything fed so far has been
    /// decoded; until then, call again with the rest of `input` (possibly empty).
    public mutating func decompress(
        _ input: UnsafeRawBufferPointer, appendingTo output: inout [UInt8], outputLimit: Int
    ) throws(CompressionError) -> (consumed: Int, drained: Bool) {
        // zstd wants a valid pointer even for no input; size 0 means it is never read.
        var source = ZSTD_inBuffer(src: input.baseAddress ?? UnsafeRawPointer(scratch.baseAddress!), size: input.count, pos: 0)
        let target = outputLimit > Int.max - output.count ? Int.max : output.count + outputLimit
        while true {
            var destination = ZSTD_outBuffer(dst: scratch.baseAddress, size: scratch.count, pos: 0)
            let result = ZSTD_decompressStream(stream, &destination, &source)
            if ZSTD_isError(result) != 0 {
                throw CompressionError("zstd stream is corrupt: \(zstdErrorName(result))")
            }
            pendingHint = result
            output.append(contentsOf: UnsafeRawBufferPointer(rebasing: scratch[0..<destination.pos]))
            // A full output buffer may mean zstd still holds decoded bytes.
            let drained = source.pos == source.size && destination.pos < destination.size
            if drained || output.count >= target { return (source.pos, drained) }
        }
    }

    /// The decompressed size the first frame of `input` states in its header, when it
    /// states one (the zstd tool does for files): a hint for sizing a buffer, never a
    /// promise, since a header can claim anything and further frames add more.
    public static func declaredContentSize(of input: UnsafeRawBufferPointer) -> UInt64? {
        guard let base = input.baseAddress else { return nil }
        let size = ZSTD_getFrameContentSize(base, input.count)
        // ZSTD_CONTENTSIZE_UNKNOWN and ZSTD_CONTENTSIZE_ERROR are the two largest values.
        return size >= UInt64.max - 1 ? nil : size
    }

    /// Throws if the stream ended inside a frame (truncated input).
    ///
    /// An empty stream (no bytes fed) is accepted and decodes to nothing.
    public func finish() throws(CompressionError) {
        if pendingHint != 0 {
            throw CompressionError("zstd stream is truncated: it ends inside a frame")
        }
    }
}
