import Glibc

/// Runs a piece of work on several POSIX threads at once and waits for all of
/// them: reads that may block in file I/O do not belong on Swift's cooperative
/// pool (see ``BackgroundThread``). `package`, so the CLI's input reader uses it too.
package enum ParallelWork {
    /// The processors online, at least 1.
    package static var processorCount: Int {
        max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }

    /// Calls `body(worker)` for every worker in `0..<workers`, worker 0 on the
    /// calling thread and the others on new threads, and returns when all are
    /// done. A thread that cannot be started runs its worker on the calling thread.
    package static func run(workers: Int, _ body: @Sendable (Int) -> Void) {
        withoutActuallyEscaping(body) { body in
            let (threads, inline) = start(1..<max(workers, 1), body)
            // The threads must be joined before `body` stops being valid.
            body(0)
            for worker in inline { body(worker) }
            for thread in threads { pthread_join(thread, nil) }
        }
    }

    /// Runs `helper(worker)` for every worker in `1...helpers` on new threads
    /// while the calling thread runs `main`, and returns `main`'s result once
    /// every helper has returned. `main` need not be `Sendable`: it never
    /// leaves the calling thread. A helper whose thread cannot be started runs
    /// on the calling thread after `main`.
    static func run<Result, Failure: Error>(
        helpers: Int, _ helper: @Sendable (Int) -> Void, whileRunning main: () throws(Failure) -> Result
    ) throws(Failure) -> Result {
        let outcome = withoutActuallyEscaping(helper) { helper in
            let (threads, inline) = start(1..<max(helpers + 1, 1), helper)
            let outcome = Swift.Result { () throws(Failure) in try main() }
            for worker in inline { helper(worker) }
            for thread in threads { pthread_join(thread, nil) }
            return outcome
        }
        return try outcome.get()
    }

    /// Starts a thread for each worker of `workers` calling `body(worker)`;
    /// returns the threads to join and the workers no thread could be started for.
    private static func start(_ workers: Range<Int>, _ body: @escaping @Sendable (Int) -> Void) -> ([pthread_t], [Int]) {
        final class Box {
            let body: @Sendable (Int) -> Void
            let worker: Int
            init(_ body: @escaping @Sendable (Int) -> Void, _ worker: Int) {
                self.body = body
                self.worker = worker
            }
        }
        var threads: [pthread_t] = []
        var inline: [Int] = []
        for worker in workers {
            let box = Unmanaged.passRetained(Box(body, worker)).toOpaque()
            var thread = pthread_t()
            let result = pthread_create(&thread, nil, { context in
                let box = Unmanaged<Box>.fromOpaque(context!).takeRetainedValue()
                box.body(box.worker)
                return nil
            }, box)
            if result == 0 {
                threads.append(thread)
            } else {
                Unmanaged<Box>.fromOpaque(box).release()
                inline.append(worker)
            }
        }
        return (threads, inline)
    }

    /// Calls `body(index)` for every index in `0..<count` on `workers` threads (the
    /// caller's among them), each taking the next index as it finishes one: on a
    /// machine shared with other work a slowed thread simply takes fewer. Returns
    /// when every index is done.
    static func forEach(_ count: Int, workers: Int, _ body: @Sendable (Int) -> Void) {
        let next = Locked(0)
        run(workers: min(workers, count)) { _ in
            while true {
                let index = next.withLock { next in
                    defer { next += 1 }
                    return next
                }
                guard index < count else { return }
                body(index)
            }
        }
    }
}
