import SweepCore
import Testing

@Suite("Adaptive rate (AIMD)")
struct AdaptiveRateTests {
    typealias Instant = ManualClock.Instant

    @Test("throttling halves the rate, once per cooldown, down to the floor")
    func multiplicativeDecrease() {
        var rate = AdaptiveRate<Instant>(target: 100, floor: 10, cooldown: .seconds(1))
        #expect(rate.throttled(at: Instant(offset: .zero)) == 50)
        // A burst of throttled calls within the cooldown counts once.
        #expect(rate.throttled(at: Instant(offset: .milliseconds(300))) == nil)
        #expect(rate.current == 50)
        #expect(rate.throttled(at: Instant(offset: .seconds(1))) == 25)
        #expect(rate.throttled(at: Instant(offset: .seconds(2))) == 12.5)
        #expect(rate.throttled(at: Instant(offset: .seconds(3))) == 10)
        #expect(rate.throttled(at: Instant(offset: .seconds(4))) == 10)
    }

    @Test("successes win the rate back additively, never past the target")
    func additiveIncrease() {
        var rate = AdaptiveRate<Instant>(target: 100, cooldown: .seconds(1))
        _ = rate.throttled(at: Instant(offset: .zero))
        #expect(rate.current == 50)
        #expect(rate.succeeded() == 55)
        for _ in 0..<20 { _ = rate.succeeded() }
        #expect(rate.current == 100)
        #expect(rate.succeeded() == nil)
    }

    @Test("the limiter paces at the lowered rate after throttling")
    func limiterSlowsDown() async throws {
        let clock = ManualClock()
        let limiter = RateLimiter(rate: 10, clock: clock)
        try await limiter.acquire()
        limiter.throttled()
        #expect(limiter.rate == 5)
        try await limiter.acquire()  // the slot reserved at 10/s: 100 ms
        try await limiter.acquire()  // then 1/5 s apart
        #expect(clock.sleeps == [.milliseconds(100), .milliseconds(200)])
    }
}
