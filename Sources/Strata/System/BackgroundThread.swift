/// Starts a detached POSIX thread running `body`: the store's background
/// worker must not borrow a thread from Swift's cooperative pool, since it
/// blocks in fsync and file writes.
enum BackgroundThread {
    /// Starts `body` on a detached thread; when no thread can be started, runs nothing.
    static func start(_ body: @escaping @Sendable () -> Void) {
        if let thread = JoinableThread.start(body) { thread.detach() }
    }
}
