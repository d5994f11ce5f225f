import Testing
import Foundation
@testable import Strata

/// `Locked` is `Synchronization.Mutex` in a normal build and a pthread mutex
/// with `STRATA_TSAN_LOCKS` (tools/tsan): both must exclude, and pass typed
/// errors through unchanged.
@Suite("Locked")
struct LockedConcurrencyTests {
    @Test("Increments from several threads under the lock all count")
    func excludes() {
        let counter = Locked<Int>(0)
        let finished = Locked<Int>(0)
        let threads = 4, rounds = 20_000
        for _ in 0..<threads {
            Thread {
                for _ in 0..<rounds { counter.withLock { $0 += 1 } }
                finished.withLock { $0 += 1 }
            }.start()
        }
        while finished.withLock({ $0 }) < threads { usleep(1_000) }
        #expect(counter.withLock { $0 } == threads * rounds)
    }

    @Test("A typed error thrown under the lock comes out as it is, and the lock is released")
    func throwsTyped() {
        let value = Locked<[Int]>([1])
        #expect(throws: StrataError.self) {
            try value.withLock { values throws(StrataError) in
                values.append(2)
                throw StrataError(.invalidArgument, "refused")
            }
        }
        #expect(value.withLock { $0 } == [1, 2])
    }
}
