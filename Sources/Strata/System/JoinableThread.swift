import Glibc

/// A POSIX thread running one closure, to be joined (work that runs beside
/// the calling thread for a while, as reading an input ahead of its parse,
/// and must be over before the caller goes on) or detached (see
/// ``BackgroundThread``).
struct JoinableThread: ~Copyable {
    private let thread: pthread_t

    private final class Box {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }

    /// Starts `body` on a new thread; nil when no thread can be started.
    static func start(_ body: @escaping @Sendable () -> Void) -> JoinableThread? {
        let box = Unmanaged.passRetained(Box(body)).toOpaque()
        var thread = pthread_t()
        let result = pthread_create(&thread, nil, { context in
            let box = Unmanaged<Box>.fromOpaque(context!).takeRetainedValue()
            box.body()
            return nil
        }, box)
        guard result == 0 else {
            Unmanaged<Box>.fromOpaque(box).release()
            return nil
        }
        return JoinableThread(thread: thread)
    }

    private init(thread: pthread_t) { self.thread = thread }

    /// Waits for the thread's closure to return.
    consuming func join() {
        pthread_join(thread, nil)
    }

    /// Lets the thread run to its end unjoined, its resources freed then.
    consuming func detach() {
        pthread_detach(thread)
    }
}
