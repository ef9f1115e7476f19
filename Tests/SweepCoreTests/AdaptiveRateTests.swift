import SweepCore
import Testing

@Suite("Adaptive rate: converging on what the server accepts")
struct AdaptiveRateTests {
    typealias Instant = ManualClock.Instant

    private func at(_ milliseconds: Int) -> Instant { Instant(offset: .milliseconds(milliseconds)) }

    private func close(_ value: Double?, _ expected: Double) -> Bool {
        guard let value else { return false }
        return abs(value - expected) < 1e-6
    }

    @Test("throttling drops the rate to 90 % of what was accepted in the last second, once per generation")
    func dropToAccepted() {
        var rate = AdaptiveRate<Instant>(target: 200)
        for call in 0..<20 { _ = rate.succeeded(at: at(call * 50)) }  // 20 in the first second
        let expected = 20 / 0.99 * 0.9  // 20 calls over the 0.99 s seen, less 10 %
        #expect(close(rate.throttled(sentAt: at(990), at: at(990)), expected))
        // Calls sent before that decrease answer for the old rate: ignored.
        #expect(rate.throttled(sentAt: at(980), at: at(1010)) == nil)
        #expect(close(rate.current, expected))
        #expect(rate.wasThrottled)
        // One sent after it counts: the next generation.
        #expect(rate.throttled(sentAt: at(1020), at: at(1030)) != nil)
    }

    @Test("with nothing known (a start's burst, nothing accepted) it steps down 30 %, down to the floor")
    func steppingDown() {
        var rate = AdaptiveRate<Instant>(target: 100, floor: 10)
        var expected = 100.0
        for step in 0..<7 {
            expected = max(10, expected * 0.7)
            #expect(close(rate.throttled(sentAt: at(step * 10), at: at(step * 10)), expected))
        }
        #expect(rate.current == 10)
        // At the floor a throttle changes nothing, and starts no new generation.
        #expect(rate.throttled(sentAt: at(100), at: at(100)) == nil)
    }

    @Test("the climb is over time, never per success: to the threshold each half second, then +10 % per 2 s")
    func climbing() {
        var rate = AdaptiveRate<Instant>(target: 100, probeInterval: .seconds(2))
        for call in 0..<40 { _ = rate.succeeded(at: at(call * 25)) }  // 40 accepted in a second
        #expect(close(rate.throttled(sentAt: at(990), at: at(990)), 40 / 0.99 * 0.9))
        for call in 1...19 { #expect(rate.succeeded(at: at(990 + call * 25)) == nil) }
        #expect(rate.succeeded(at: at(1490)) == 50)
        for call in 1...79 { #expect(rate.succeeded(at: at(1490 + call * 25)) == nil) }
        #expect(close(rate.succeeded(at: at(3490)), 55))
        var now = 3490
        while rate.current < 100 {
            now += 2000
            _ = rate.succeeded(at: at(now))
        }
        #expect(rate.current == 100)
        #expect(rate.succeeded(at: at(now + 5000)) == nil)
    }

    @Test("knowing nothing it steps down 30 % per generation; what was accepted is a floor it doubles back from")
    func slowStart() {
        var rate = AdaptiveRate<Instant>(target: 200, probeInterval: .seconds(2))
        #expect(close(rate.throttled(sentAt: at(0), at: at(0)), 140))
        #expect(close(rate.throttled(sentAt: at(1), at: at(1)), 98))

        // 40 accepted in a second (others were backing off): down to 36 now, but only half the
        // rate (100) is known to be too much, so it doubles back there within a second.
        var climbing = AdaptiveRate<Instant>(target: 200, probeInterval: .seconds(2))
        for call in 0..<40 { _ = climbing.succeeded(at: at(call * 25)) }
        #expect(close(climbing.throttled(sentAt: at(990), at: at(990)), 40 / 0.99 * 0.9))
        #expect(close(climbing.succeeded(at: at(1490)), 2 * 40 / 0.99 * 0.9))
        #expect(climbing.succeeded(at: at(1990)) == 100)
        #expect(climbing.succeeded(at: at(2490)) == nil, "past the threshold: +10 % per 2 s")
        #expect(close(climbing.succeeded(at: at(3990)), 110))
    }

    /// A namespace limited to `limit` calls a second (a token bucket with two seconds' burst: the
    /// dev server at namespaceRPS=20 answered 43 of 200 concurrent calls), `workflows` terminates paced by the adaptive rate from `--rps
    /// asked`, each throttled call retried in the next slot. Returns (calls sent, refused, seconds).
    private func simulate(
        limit: Double, asked: Double, workflows: Int, drained: Bool = false
    ) -> (calls: Int, refused: Int, seconds: Double) {
        var rate = AdaptiveRate<Instant>(target: asked)
        // A namespace others have just used up (the run starts with its bucket empty), or not.
        var serverTokens = drained ? 0 : 2 * limit
        var serverTime = 0.0
        var now = 0.0
        var done = 0
        var calls = 0
        var refused = 0
        while done < workflows {
            // The server refills its bucket to `now`.
            serverTokens = min(2 * limit, serverTokens + (now - serverTime) * limit)
            serverTime = now
            calls += 1
            let instant = Instant(offset: .seconds(now))
            if serverTokens >= 1 {
                serverTokens -= 1
                done += 1
                _ = rate.succeeded(at: instant)
            } else {
                refused += 1
                _ = rate.throttled(sentAt: instant, at: instant)
            }
            now += 1 / rate.current
        }
        return (calls, refused, now)
    }

    @Test("a namespace throttled at 20/s under --rps 200: <= 10 % refused and >= 90 % of the limit")
    func convergesOnALimit() {
        let cases: [(Double, Double, Int, Bool)] = [
            (20, 200, 300, false), (20, 200, 300, true), (20, 200, 3000, false), (50, 1000, 1000, true),
            (100, 150, 2000, false),
        ]
        for (limit, asked, workflows, drained) in cases {
            let (calls, refused, seconds) = simulate(limit: limit, asked: asked, workflows: workflows, drained: drained)
            #expect(Double(refused) <= Double(calls) * 0.10, "\(limit)/s: \(refused) of \(calls) refused")
            let achieved = Double(workflows) / seconds
            #expect(achieved >= limit * 0.9, "\(limit)/s: achieved \(achieved)/s")
            print(
                "simulated \(limit)/s limit\(drained ? " drained" : ""), --rps \(asked), \(workflows): \(refused) of \(calls) refused, \(achieved)/s"
            )
        }
    }

    @Test("unthrottled, the rate stays the operator's", arguments: [10.0, 100, 500])
    func unthrottled(asked: Double) {
        let (calls, refused, seconds) = simulate(limit: 1_000_000, asked: asked, workflows: 300)
        #expect(refused == 0 && calls == 300)
        #expect(abs(300 / seconds - asked) / asked < 0.01)
        let rate = AdaptiveRate<Instant>(target: asked)
        #expect(rate.current == asked && !rate.wasThrottled)
    }

    @Test("the limiter lowers the rate once for calls sent before a slow-down, however late they are answered")
    func limiterGenerations() {
        let clock = ManualClock()
        let limiter = RateLimiter(rate: 100, clock: clock)
        let sent = clock.now
        clock.advance(by: .milliseconds(50))
        limiter.throttled(reservedAt: sent)
        let lowered = limiter.rate
        #expect(lowered < 100)
        // Two more answers for calls sent at the same moment, arriving later: the same generation.
        clock.advance(by: .milliseconds(50))
        limiter.throttled(reservedAt: sent)
        clock.advance(by: .milliseconds(50))
        limiter.throttled(reservedAt: sent)
        #expect(limiter.rate == lowered)
        // A call sent after the slow-down that is refused too: the next generation.
        limiter.throttled(reservedAt: clock.now)
        #expect(limiter.rate < lowered)
    }

    @Test("the limiter paces at the lowered rate after throttling")
    func limiterSlowsDown() async throws {
        let clock = ManualClock()
        let limiter = RateLimiter(rate: 10, clock: clock)
        try await limiter.acquire()
        limiter.throttled()
        #expect(abs(limiter.rate - 7) < 1e-9)
        #expect(limiter.wasThrottled)
        try await limiter.acquire()  // the slot reserved at 10/s: 100 ms
        try await limiter.acquire()  // then 1/7 s apart
        #expect(clock.sleeps == [.milliseconds(100), .nanoseconds(142_857_143)])
    }
}
