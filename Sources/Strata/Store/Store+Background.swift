/// Wakes the store's background thread and carries its orders.
final class BackgroundWork: @unchecked Sendable {
    private let lock = ConditionLock()
    private var flushRequested = false
    private var stopping = false
    private var running = false

    func requestFlush() {
        lock.withLock {
            flushRequested = true
            lock.broadcast()
        }
    }

    /// Waits until there is work or `milliseconds` pass; returns whether a
    /// flush was requested, or nil when the thread must stop.
    func next(waitingAtMost milliseconds: Int) -> Bool? {
        lock.withLock {
            if !stopping && !flushRequested { lock.wait(milliseconds: milliseconds) }
            if stopping { return nil }
            defer { flushRequested = false }
            return flushRequested
        }
    }

    func markRunning(_ value: Bool) {
        lock.withLock {
            running = value
            lock.broadcast()
        }
    }

    /// Tells the thread to stop and waits until it has (it may be in the middle of a flush).
    func stop() {
        lock.withLock {
            stopping = true
            lock.broadcast()
            while running { lock.wait() }
        }
    }

    /// Tells the thread to stop without waiting: for `deinit`, which may run on
    /// the background thread itself when it held the last reference.
    func signalStop() {
        lock.withLock {
            stopping = true
            lock.broadcast()
        }
    }

    /// Allows a new thread after ``stop()`` (a close that failed keeps the store open).
    func reset() {
        lock.withLock { stopping = false }
    }
}

extension Store {
    /// Starts the thread that flushes the head in the background (when asked,
    /// or when the head is older than its age limit) and, under the
    /// `interval` durability policy, syncs the log on schedule.
    ///
    /// The thread holds the store weakly: a store that is dropped without
    /// `close()` stops its thread at the next tick.
    func startBackgroundWork() {
        let work = background
        let tick: Int
        if case .interval(let milliseconds) = configuration.durability {
            tick = max(1, min(milliseconds, 1000))
        } else {
            tick = 1000
        }
        work.markRunning(true)
        BackgroundThread.start { [weak self] in
            defer { work.markRunning(false) }
            var lastSync = monotonicMilliseconds()
            while let flushRequested = work.next(waitingAtMost: tick) {
                guard let store = self else { return }
                store.backgroundTick(flushRequested: flushRequested, lastSync: &lastSync)
            }
        }
    }

    private func backgroundTick(flushRequested: Bool, lastSync: inout Int64) {
        let now = monotonicMilliseconds()
        if case .interval(let milliseconds) = configuration.durability, now - lastSync >= Int64(milliseconds) {
            lastSync = now
            do throws(StrataError) { try log?.syncNow() } catch { recordBackgroundError(error) }
        }
        let tooOld = state.withLock { state in
            state.headStartedAt.map { now - $0 >= Int64(configuration.headFlushAgeMilliseconds) } ?? false
        }
        if flushRequested || tooOld {
            do throws(StrataError) { try flushHead(closing: false) } catch {
                if error.code != .closed { recordBackgroundError(error) }
            }
        }
    }

    private func recordBackgroundError(_ error: StrataError) {
        state.withLock { $0.backgroundError = error }
    }

    /// The last error the background thread met (a flush that failed on a
    /// full disk, say); the points stay in the log and the head, and the
    /// flush is tried again. Cleared by the next successful flush.
    public var backgroundError: StrataError? {
        state.withLock { $0.backgroundError }
    }
}
