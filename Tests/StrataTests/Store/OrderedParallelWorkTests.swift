import Testing
@testable import Strata
import StrataTestSupport

@Suite("OrderedParallelWork: produced on several threads, delivered in order, never far ahead")
struct OrderedParallelWorkTests {
    /// Busy work of a seeded, uneven length, so threads finish out of order.
    static func spin(_ job: Int) -> UInt64 {
        var random = SeededGenerator(seed: UInt64(job))
        var total: UInt64 = 0
        for _ in 0..<(random.next() % 20_000) { total &+= random.next() }
        return total
    }

    @Test("Every job delivered once, in order, with its own output; no job started more than `lookahead` ahead",
          arguments: [(1, 1), (2, 1), (2, 4), (3, 2), (4, 8)])
    func orderAndLookahead(workers: Int, lookahead: Int) {
        let count = 300
        let delivered = Locked(0)
        let tooFarAhead = Locked<[Int]>([])
        var order: [Int] = []
        var outputs: [UInt64] = []
        OrderedParallelWork.run(count: count, workers: workers, lookahead: lookahead, produce: { job in
            let done = delivered.withLock { $0 }
            // A job may start once every job `lookahead` (at least `workers`) before it is delivered.
            if job >= done + max(lookahead, workers) { tooFarAhead.withLock { $0.append(job) } }
            return (job, Self.spin(job))
        }, deliver: { job, output in
            order.append(job)
            #expect(output.0 == job)
            outputs.append(output.1)
            delivered.withLock { $0 += 1 }
        })
        #expect(order == Array(0..<count))
        #expect(outputs == (0..<count).map(Self.spin))
        #expect(tooFarAhead.withLock { $0 } == [])
    }

    @Test("A delivery that throws: its error comes out, nothing after it is delivered, and no job is started after it")
    func deliveryError() {
        struct Stop: Error, Equatable { let job: Int }
        for workers in [1, 2, 3] {
            let started = Locked(0)
            var delivered: [Int] = []
            #expect(throws: Stop(job: 17)) {
                try OrderedParallelWork.run(count: 1000, workers: workers, lookahead: 4, produce: { job in
                    started.withLock { $0 += 1 }
                    return Self.spin(job)
                }, deliver: { (job, _) throws(Stop) in
                    if job == 17 { throw Stop(job: 17) }
                    delivered.append(job)
                })
            }
            #expect(delivered == Array(0..<17))
            // Jobs 0…17 and at most the lookahead (or one per thread) beyond: not the thousand.
            #expect(started.withLock { $0 } <= 18 + max(4, workers))
        }
    }

    @Test("No jobs: nothing produced or delivered")
    func empty() {
        var calls = 0
        OrderedParallelWork.run(count: 0, workers: 2, lookahead: 2, produce: { $0 }, deliver: { _, _ in calls += 1 })
        #expect(calls == 0)
    }
}
