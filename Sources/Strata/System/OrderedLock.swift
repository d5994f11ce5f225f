import Glibc

/// The place of each of the store's locks in the one order threads take them.
///
/// A thread that holds a lock takes only locks of a later level, so no two
/// threads can each wait for the other. The log's own lock and the
/// background worker's come after all of these: they are taken under `state`
/// and never take a store lock themselves.
enum LockLevel: Int, Sendable {
    /// One compaction or bulk load at a time.
    case compaction
    /// Segments published in sequence order.
    case flush
    /// Manifest writes.
    case manifest
    /// The store's in-memory state: head, segments, registry.
    case state
    /// The memo of the last `latest(of:)` request.
    case latestMemo
}

/// A ``Locked`` value with its ``LockLevel``. Debug builds check the order
/// on every acquisition and stop at the first lock taken out of order;
/// release builds only lock.
struct OrderedLock<Value: ~Copyable>: ~Copyable {
    let level: LockLevel
    private let lock: Locked<Value>

    init(_ level: LockLevel, _ initialValue: consuming sending Value) {
        self.level = level
        lock = Locked(initialValue)
    }

    /// Runs `body` with the value while holding the lock.
    borrowing func withLock<Result: ~Copyable, Failure: Error>(
        _ body: (inout sending Value) throws(Failure) -> sending Result
    ) throws(Failure) -> sending Result {
        #if DEBUG
        HeldLockLevels.entering(level)
        defer { HeldLockLevels.leaving(level) }
        #endif
        return try lock.withLock(body)
    }
}

#if DEBUG
/// The levels the current thread holds, one bit each, in a thread-specific slot.
enum HeldLockLevels {
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        precondition(pthread_key_create(&key, nil) == 0, "no thread-specific key left for the lock-order check")
        return key
    }()

    private static var held: Int {
        get { Int(bitPattern: pthread_getspecific(key)) }
        set { pthread_setspecific(key, UnsafeRawPointer(bitPattern: newValue)) }
    }

    static func entering(_ level: LockLevel) {
        let mask = held
        let sameOrLater = mask & ~((1 << level.rawValue) - 1)
        if sameOrLater != 0 {
            let holding = (0...LockLevel.latestMemo.rawValue).filter { mask & (1 << $0) != 0 }.compactMap(LockLevel.init(rawValue:))
            assertionFailure("lock order: taking \(level) while holding \(holding)")
        }
        held = mask | (1 << level.rawValue)
    }

    static func leaving(_ level: LockLevel) {
        held &= ~(1 << level.rawValue)
    }
}
#endif
