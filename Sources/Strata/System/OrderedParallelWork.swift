/// Jobs `0..<count` produced on several threads and delivered in job order
/// on the calling thread, with at most `lookahead` jobs produced ahead of
/// the one awaited: the shape of an export that reads and formats series in
/// parallel but must write them one after the other, in bounded memory.
///
/// The calling thread delivers, and produces too whenever nothing is ready to
/// deliver; helper threads (see ``ParallelWork/run(helpers:_:whileRunning:)``)
/// only produce. When a delivery throws, no job is started any more, the
/// helpers finish the jobs they hold, and the error is thrown.
enum OrderedParallelWork {
    /// Produces every job with `produce` on up to `workers` threads and calls
    /// `deliver(job, output)` for jobs 0, 1, 2… in order on the calling thread.
    static func run<Output: Sendable, Failure: Error>(
        count: Int, workers: Int, lookahead: Int,
        produce: @Sendable (Int) -> Output,
        deliver: (Int, Output) throws(Failure) -> Void
    ) throws(Failure) {
        guard count > 0 else { return }
        let helpers = max(0, min(workers, count) - 1)
        guard helpers > 0 else {
            for job in 0..<count { try deliver(job, produce(job)) }
            return
        }
        let queue = JobQueue<Output>(count: count, lookahead: max(lookahead, workers))
        try ParallelWork.run(helpers: helpers, { _ in queue.help(produce) }, whileRunning: { () throws(Failure) in
            do throws(Failure) {
                try queue.deliverAll(produce, deliver)
            } catch {
                queue.stop()
                throw error
            }
        })
    }
}

/// The shared state of one ``OrderedParallelWork`` run, under one lock.
private final class JobQueue<Output: Sendable>: @unchecked Sendable {
    private let lock = ConditionLock()
    private let count: Int
    private let lookahead: Int
    /// The next job no thread has started.
    private var nextToClaim = 0
    /// The job the calling thread delivers next.
    private var nextToDeliver = 0
    /// Jobs produced and not yet delivered.
    private var produced: [Int: Output] = [:]
    private var stopped = false

    init(count: Int, lookahead: Int) {
        self.count = count
        self.lookahead = lookahead
    }

    /// A job to start, if one is due within the lookahead (call with the lock held).
    private func claim() -> Int? {
        guard !stopped, nextToClaim < count, nextToClaim < nextToDeliver + lookahead else { return nil }
        defer { nextToClaim += 1 }
        return nextToClaim
    }

    /// A helper thread: produces jobs until none is left or the run stops.
    func help(_ produce: (Int) -> Output) {
        lock.lock()
        while !stopped && nextToClaim < count {
            guard let job = claim() else {
                lock.wait()
                continue
            }
            lock.unlock()
            let output = produce(job)
            lock.lock()
            produced[job] = output
            lock.broadcast()
        }
        lock.unlock()
    }

    /// The calling thread: delivers every job in order, producing when nothing is ready.
    func deliverAll<Failure: Error>(_ produce: (Int) -> Output, _ deliver: (Int, Output) throws(Failure) -> Void) throws(Failure) {
        lock.lock()
        while nextToDeliver < count {
            let job = nextToDeliver
            if let output = produced.removeValue(forKey: job) {
                lock.unlock()
                try deliver(job, output)
                lock.lock()
                nextToDeliver += 1
                // A helper may be waiting for the lookahead to move on.
                lock.broadcast()
            } else if let mine = claim() {
                lock.unlock()
                let output = produce(mine)
                lock.lock()
                produced[mine] = output
            } else {
                lock.wait()
            }
        }
        lock.unlock()
    }

    /// Starts no more jobs; wakes the helpers waiting for one.
    func stop() {
        lock.withLock {
            stopped = true
            lock.broadcast()
        }
    }
}
