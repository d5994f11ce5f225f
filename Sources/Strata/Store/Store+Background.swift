/// Wakes the store's background thread and carries its orders.
final class BackgroundWork: @unchecked Sendable {
    private let lock = ConditionLock()
    private var flushRequested = false
    private var compactionRequested = false
    private var stopping = false
    private var running = false

    func requestFlush() {
        lock.withLock {
            flushRequested = true
            lock.broadcast()
        }
    }

    /// Asks for another compaction step soon (the last one found work).
    func requestCompaction() {
        lock.withLock {
            compactionRequested = true
            lock.broadcast()
        }
    }

    /// Waits until there is work or `milliseconds` pass; returns what was
    /// requested, or nil when the thread must stop.
    func next(waitingAtMost milliseconds: Int) -> (flush: Bool, compact: Bool)? {
        lock.withLock {
            if !stopping && !flushRequested && !compactionRequested { lock.wait(milliseconds: milliseconds) }
            if stopping { return nil }
            defer {
                flushRequested = false
                compactionRequested = false
            }
            return (flushRequested, compactionRequested)
        }
    }

    /// True once ``stop()`` or ``signalStop()`` was called: long background
    /// work (a compaction) checks it and gives up.
    var isStopping: Bool { lock.withLock { stopping } }

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
            var lastCompactionCheck = monotonicMilliseconds() - 59_000  // first check a second after opening
            while let requested = work.next(waitingAtMost: tick) {
                guard let store = self else { return }
                store.backgroundTick(
                    flushRequested: requested.flush, compactionRequested: requested.compact,
                    lastSync: &lastSync, lastCompactionCheck: &lastCompactionCheck)
            }
        }
    }

    private func backgroundTick(flushRequested: Bool, compactionRequested: Bool, lastSync: inout Int64, lastCompactionCheck: inout Int64) {
        let now = monotonicMilliseconds()
        if case .interval(let milliseconds) = configuration.durability, now - lastSync >= Int64(milliseconds) {
            lastSync = now
            do throws(StrataError) { try log?.syncNow() } catch { recordBackgroundError(error) }
        }
        let tooOld = state.withLock { state in
            state.headStartedAt.map { now - $0 >= Int64(configuration.headFlushAgeMilliseconds) } ?? false
        }
        var flushed = false
        if flushRequested || tooOld {
            do throws(StrataError) {
                try flushHead(closing: false)
                flushed = true
            } catch {
                if error.code != .closed { recordBackgroundError(error) }
            }
        }
        // Compaction is planned after each flush and once a minute (windows close
        // and points expire with time), one step per tick so flushes come between.
        // With a listed segment unreadable, compaction waits for a repair (see runCompaction).
        if configuration.compaction.runsInBackground && unreadableSegments.isEmpty
            && (flushed || compactionRequested || now - lastCompactionCheck >= 60_000) {
            lastCompactionCheck = now
            do throws(StrataError) {
                let report = try runCompaction(force: false, paced: true, maximumSteps: 1, progress: nil)
                if report.steps > 0 { background.requestCompaction() }  // come back soon for the next step
            } catch {
                if error.code != .closed { recordBackgroundError(error) }
            }
        }
    }

    private func recordBackgroundError(_ error: StrataError) {
        logger.error("background work failed: \(error.message)", metadata: Self.metadata(of: error))
        state.withLock { $0.backgroundError = error }
    }

    /// The last error the background thread met (a flush that failed on a
    /// full disk, say); the points stay in the log and the head, and the
    /// flush is tried again. Cleared by the next successful flush.
    public var backgroundError: StrataError? {
        state.withLock { $0.backgroundError }
    }
}
