import Dispatch
import Hiredis
import Testing

/// The lock-free counter behind `Tracker.statistics`: no add lost when many threads add at once.
@Suite("Atomic counter")
struct AtomicCounterTests {
    @Test func startsAtItsInitialValueAndAdds() {
        let counter = AtomicCounter(5)
        #expect(counter.value == 5)
        counter.add()
        counter.add(10)
        counter.add(-3)
        #expect(counter.value == 13)
    }

    /// Eight OS threads (Dispatch's, not the cooperative pool) add 200,000 times each, interleaved on both cores: a
    /// plain read-modify-write loses some of them.
    @Test func concurrentAddsAreNeverLost() {
        let counter = AtomicCounter()
        let threads = 8
        let addsPerThread = 200_000
        DispatchQueue.concurrentPerform(iterations: threads) { _ in
            for _ in 0..<addsPerThread { counter.add() }
        }
        #expect(counter.value == threads * addsPerThread)
    }
}
