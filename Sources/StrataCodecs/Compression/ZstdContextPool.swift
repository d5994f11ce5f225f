import CZstd
import Synchronization

/// zstd contexts kept for reuse, one call at a time each.
///
/// `ZSTD_compress` and `ZSTD_decompress` make a context per call, and making one
/// costs more than compressing or expanding a chunk of a few kilobytes: it
/// allocates and clears the context's tables, and it runs `cpuid` to choose its
/// code paths, an instruction a virtual machine's hypervisor intercepts (a profile
/// of a 20 M-point ingest found 6% of all samples on those two instructions).
/// A reused context gives the same bytes: the one-shot functions are these calls
/// on a fresh context.
enum ZstdContextPool {
    /// Contexts idle between calls; at most ``keptContexts`` of each kind are kept.
    private static let compressionContexts = Mutex<[IdleContext]>([])
    private static let decompressionContexts = Mutex<[IdleContext]>([])
    /// More than the threads that compress at once in practice (one a core).
    private static let keptContexts = 16

    /// Runs `body` with a compression context of its own.
    static func withCompressionContext<Result>(_ body: (OpaquePointer) -> Result) throws(CompressionError) -> Result {
        let context = try take(from: compressionContexts) { ZSTD_createCCtx() }
        defer { giveBack(context, to: compressionContexts) { _ = ZSTD_freeCCtx($0) } }
        return body(context)
    }

    /// Runs `body` with a decompression context of its own.
    static func withDecompressionContext<Result>(_ body: (OpaquePointer) -> Result) throws(CompressionError) -> Result {
        let context = try take(from: decompressionContexts) { ZSTD_createDCtx() }
        defer { giveBack(context, to: decompressionContexts) { _ = ZSTD_freeDCtx($0) } }
        return body(context)
    }

    /// A context no call is using, which any thread may take.
    private struct IdleContext: @unchecked Sendable {
        let pointer: OpaquePointer
    }

    private static func take(from pool: borrowing Mutex<[IdleContext]>, create: () -> OpaquePointer?) throws(CompressionError) -> OpaquePointer {
        if let idle = pool.withLock({ $0.popLast() }) { return idle.pointer }
        guard let created = create() else { throw CompressionError("zstd could not allocate a context") }
        return created
    }

    private static func giveBack(_ context: OpaquePointer, to pool: borrowing Mutex<[IdleContext]>, free: (OpaquePointer) -> Void) {
        let returned = IdleContext(pointer: context)
        let kept = pool.withLock { idle in
            guard idle.count < keptContexts else { return false }
            idle.append(returned)
            return true
        }
        if !kept { free(context) }
    }
}
