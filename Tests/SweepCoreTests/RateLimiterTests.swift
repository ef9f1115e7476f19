import SweepCore
import Testing

@Suite("Rate limiter")
struct RateLimiterTests {
    typealias Instant = ManualClock.Instant

    @Test("slots are 1/rate apart when callers arrive together")
    func spacing() {
        var bucket = TokenBucket<Instant>(rate: 20)
        let now = Instant(offset: .zero)
        let waits = (0..<5).map { _ in bucket.reserve(now: now) }
        #expect(waits == [.zero, .milliseconds(50), .milliseconds(100), .milliseconds(150), .milliseconds(200)])
    }

    @Test("an idle spell does not bank more than the burst")
    func idleDoesNotBank() {
        var bucket = TokenBucket<Instant>(rate: 10, burst: 2)
        #expect(bucket.reserve(now: Instant(offset: .zero)) == .zero)
        // Ten seconds idle: only `burst` calls may go back to back, then pacing resumes.
        let later = Instant(offset: .seconds(10))
        let waits = (0..<4).map { _ in bucket.reserve(now: later) }
        #expect(waits == [.zero, .zero, .milliseconds(100), .milliseconds(200)])
    }

    @Test("the backlog is how far ahead the slots booked reach, zero once they have passed")
    func backlog() {
        var bucket = TokenBucket<Instant>(rate: 10)
        let now = Instant(offset: .zero)
        #expect(bucket.backlog(now: now) == .zero)
        for _ in 0..<5 { _ = bucket.reserve(now: now) }  // slots at 0, 100, ..., 400 ms: next free 500 ms
        #expect(bucket.backlog(now: now) == .milliseconds(500))
        #expect(bucket.backlog(now: Instant(offset: .milliseconds(350))) == .milliseconds(150))
        #expect(bucket.backlog(now: Instant(offset: .seconds(2))) == .zero)
    }

    @Test("a slower rate takes effect for the next reservations")
    func setRate() {
        var bucket = TokenBucket<Instant>(rate: 100)
        let now = Instant(offset: .zero)
        _ = bucket.reserve(now: now)  // next free at 10 ms
        bucket.setRate(10)
        #expect(bucket.reserve(now: now) == .milliseconds(10))
        #expect(bucket.reserve(now: now) == .milliseconds(110))
    }

    @Test("acquire sleeps on the injected clock, 1/rate apart")
    func acquireUsesClock() async throws {
        let clock = ManualClock()
        let limiter = RateLimiter(rate: 4, clock: clock)
        for _ in 0..<5 { try await limiter.acquire() }
        // The first goes at once; each of the others waits its 250 ms slot on the test clock.
        #expect(clock.sleeps == Array(repeating: .milliseconds(250), count: 4))
        #expect(clock.now.offset == .seconds(1))
    }

    @Test(
        "n calls at rate r take (n-1)/r on the clock (slots closer than a tick wake at its end)",
        arguments: [(1.0, 3), (50.0, 101), (1000.0, 11), (1000.0, 1001), (333.0, 1000)])
    func throughput(rate: Double, calls: Int) async throws {
        let clock = ManualClock()
        let limiter = RateLimiter(rate: rate, clock: clock)
        for _ in 0..<calls { try await limiter.acquire() }
        let tick = 0.020
        if 1 / rate < tick {
            // Slots a tick back from the start (that span's burst), each taken at the end of
            // its tick: the rate does not move.
            let lastSlot = Double(calls - 1) / rate - tick
            let expected = lastSlot <= 0 ? 0 : (lastSlot / tick).rounded(.up) * tick
            #expect(abs(clock.now.offset.inSeconds - expected) < 1e-6)
        } else {
            #expect(abs(clock.now.offset.inSeconds - Double(calls - 1) / rate) < 1e-6)
        }
    }

    @Test("slots closer together than a tick share wake-ups: 1,000/s wakes 50 times a second")
    func ticks() async throws {
        let clock = ManualClock()
        let limiter = RateLimiter(rate: 1000, clock: clock)
        for _ in 0..<1001 { try await limiter.acquire() }
        // A tick's worth (21 slots, from 20 ms back) at once, then one sleep per 20 ms tick for
        // the 20 slots it holds: the 1,001st call goes at 0.98 s.
        #expect(clock.sleeps.filter { $0 > .zero }.count == 49)
        #expect(clock.now.offset == .milliseconds(980))
    }
}

@Suite("Backoff")
struct BackoffTests {
    @Test("doubles from the initial step, capped, scaled by jitter into [50 %, 100 %]")
    func exponential() {
        let backoff = Backoff(initial: .milliseconds(100), maximum: .seconds(1))
        #expect(backoff.delay(afterAttempt: 1, jitter: 1) == .milliseconds(100))
        #expect(backoff.delay(afterAttempt: 2, jitter: 1) == .milliseconds(200))
        #expect(backoff.delay(afterAttempt: 3, jitter: 0) == .milliseconds(200))
        #expect(backoff.delay(afterAttempt: 10, jitter: 1) == .seconds(1))
        #expect(backoff.delay(afterAttempt: 10, jitter: 0.5) == .milliseconds(750))
    }
}
