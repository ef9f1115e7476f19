import Synchronization

/// Paces calls shared by many tasks to a rate, on an injected clock, and adapts the rate to
/// throttling (``AdaptiveRate``): halved on RESOURCE_EXHAUSTED, recovered call by call.
package final class RateLimiter<C: Clock>: Sendable where C.Duration == Duration {
    private struct State: Sendable {
        var bucket: TokenBucket<C.Instant>
        var adaptive: AdaptiveRate<C.Instant>
    }

    private let state: Mutex<State>
    private let clock: C

    /// - Parameters:
    ///   - rate: calls per second (the most it will ever allow).
    ///   - burst: calls allowed back to back after an idle spell.
    ///   - clock: the clock to read and sleep on (a test clock in unit tests).
    package init(rate: Double, burst: Int = 1, clock: C) {
        self.state = Mutex(State(bucket: TokenBucket(rate: rate, burst: burst), adaptive: AdaptiveRate(target: rate)))
        self.clock = clock
    }

    /// Waits for this caller's slot.
    /// - Throws: `CancellationError` if the task is cancelled while waiting (the slot is lost).
    package func acquire() async throws {
        let now = clock.now
        let wait = state.withLock { $0.bucket.reserve(now: now) }
        if wait > .zero {
            try await clock.sleep(until: now.advanced(by: wait), tolerance: nil)
        } else {
            try Task.checkCancellation()
        }
    }

    /// The current rate, in calls per second.
    package var rate: Double { state.withLock { $0.bucket.rate } }

    /// The server throttled a call: slow down (at most once per cooldown).
    package func throttled() {
        let now = clock.now
        state.withLock { state in
            if let rate = state.adaptive.throttled(at: now) { state.bucket.setRate(rate) }
        }
    }

    /// A call went through: speed back up toward the target rate.
    package func succeeded() {
        state.withLock { state in
            if let rate = state.adaptive.succeeded() { state.bucket.setRate(rate) }
        }
    }
}
