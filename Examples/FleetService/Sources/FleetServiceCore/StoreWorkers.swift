import NIOPosix
import Strata

/// The one ``Store`` of the service and the threads its blocking calls run on.
///
/// Every store call blocks its thread: an append waits for `fdatasync` (with the default
/// `everyBatch` durability), a query reads segment files. Hummingbird 2 runs each request's
/// handler as a Swift task on the cooperative thread pool, which has one thread per core
/// (two on the machine this was measured on) and must never block: two handlers waiting on
/// fsync would stall every other request, health checks included. So the handlers hand
/// store work to a dedicated `NIOThreadPool` and `await` it; the cooperative threads stay
/// free to parse, encode and serve.
///
/// Why a pool of many threads rather than one per core: the store's log commits in groups,
/// so appends that wait at the same moment share one fsync. A thread blocked in an append
/// is waiting on the disk, not using a core, and the more appends wait together the fewer
/// fsyncs each point costs. The pool's size bounds how many requests wait at once.
public final class StoreWorkers: Sendable {
    /// The store, opened for writing.
    public let store: Store
    private let pool: NIOThreadPool

    /// Starts `threads` threads for the calls on `store`.
    public init(store: Store, threads: Int) {
        self.store = store
        self.pool = NIOThreadPool(numberOfThreads: max(1, threads))
        pool.start()
    }

    /// Runs `work` on a pool thread and resumes the caller with its result.
    ///
    /// - Throws: what `work` throws, or `NIOThreadPoolError.ThreadPoolInactive` once
    ///   ``shutDown()`` has begun.
    public func run<Result: Sendable>(_ work: @escaping @Sendable (Store) throws -> Result) async throws -> Result {
        let store = self.store
        return try await pool.runIfActive { try work(store) }
    }

    /// Lets the calls under way finish, stops the threads, then closes the store (which
    /// flushes its head to a segment, so the next start replays no log).
    public func shutDown() async throws {
        try await pool.shutdownGracefully()
        try store.close()
    }
}
