import Synchronization

import Glibc

#if STRATA_TSAN_LOCKS
/// A value guarded by a pthread mutex: what ``Locked`` is in a build for
/// ThreadSanitizer (`-Xswiftc -DSTRATA_TSAN_LOCKS`, see `tools/tsan`).
///
/// `Synchronization.Mutex` sleeps and wakes on Linux futexes, and
/// ThreadSanitizer sees neither those system calls nor the runtime's code
/// around them, so it misses the order that a contended lock imposes and
/// reports the state the lock guards as raced (the reports between an
/// append and a flush that issue 16 describes). It intercepts
/// `pthread_mutex_lock` and `pthread_mutex_unlock`, so with this type every
/// lock of the store is one it understands (lock-order inversions included),
/// and what it still reports is a real race. The mutex and the value live on
/// the heap, allocated once, because a pthread mutex must never move.
struct Locked<Value: ~Copyable>: ~Copyable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let value: UnsafeMutablePointer<Value>

    init(_ initialValue: consuming sending Value) {
        mutex = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        value = .allocate(capacity: 1)
        value.initialize(to: initialValue)
    }

    deinit {
        value.deinitialize(count: 1)
        value.deallocate()
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Runs `body` with the value while holding the lock; the same signature
    /// as `Mutex.withLock`, so call sites do not depend on the build.
    borrowing func withLock<Result: ~Copyable, Failure: Error>(
        _ body: (inout sending Value) throws(Failure) -> sending Result
    ) throws(Failure) -> sending Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value.pointee)
    }
}

// As for `Mutex`: the value comes in `sending` and is reached only under the lock.
extension Locked: @unchecked Sendable where Value: ~Copyable {}
#else
/// A value guarded by a lock: every lock of the store that guards state is
/// one of these.
///
/// In a normal build it *is* `Synchronization.Mutex` (no wrapper, no cost:
/// an appender takes the store's lock once a batch). A build for
/// ThreadSanitizer defines `STRATA_TSAN_LOCKS` and gets a pthread mutex
/// instead, whose locking the sanitizer can see (see `tools/tsan`); call
/// sites only ever use `init(_:)` and `withLock(_:)`, which both share.
typealias Locked<Value: ~Copyable> = Mutex<Value>
#endif
