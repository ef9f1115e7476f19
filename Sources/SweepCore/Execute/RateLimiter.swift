import Synchronization

/// Paces calls shared by many tasks to a rate, on an injected clock, and adapts the rate to
/// throttling (``AdaptiveRate``): down to what the server accepts on RESOURCE_EXHAUSTED, then
/// probing back up slowly.
package final class RateLimiter<C: Clock>: Sendable where C.Duration == Duration {
    private struct State: Sendable {
        var bucket: TokenBucket<C.Instant>
        var adaptive: AdaptiveRate<C.Instant>
        /// Counts the decreases: a slot booked before one was booked at a rate the server refused.
        var decreases = 0
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
    /// - Returns: when the slot was reserved (the rate of that moment is the one its call tests).
    /// - Throws: `CancellationError` if the task is cancelled while waiting (the slot is lost).
    @discardableResult
    package func acquire() async throws -> C.Instant {
        while true {
            let now = clock.now
            let (wait, decreases) = state.withLock { ($0.bucket.reserve(now: now), $0.decreases) }
            if wait > .zero {
                try await clock.sleep(until: now.advanced(by: wait), tolerance: nil)
            } else {
                try Task.checkCancellation()
            }
            // The rate fell while this slot waited: it was booked at a rate the server refused (the
            // calls booked ahead at the start would all be refused); book again at the new one.
            if state.withLock({ $0.decreases }) == decreases { return now }
        }
    }

    /// The current rate, in calls per second.
    package var rate: Double { state.withLock { $0.bucket.rate } }

    /// The server throttled a call whose slot was reserved at `reservedAt` (default: now): slow
    /// down, unless that slot was reserved before the last slow-down (the call answers for the old
    /// rate, already corrected).
    package func throttled(reservedAt: C.Instant? = nil) {
        let now = clock.now
        state.withLock { state in
            if let rate = state.adaptive.throttled(sentAt: reservedAt ?? now, at: now) {
                state.bucket.setRate(rate)
                state.decreases += 1
            }
        }
    }

    /// A call went through: counted as accepted; now and then, probe back up toward the target.
    package func succeeded() {
        let now = clock.now
        state.withLock { state in
            if let rate = state.adaptive.succeeded(at: now) { state.bucket.setRate(rate) }
        }
    }

    /// Whether the server throttled this run at some point.
    package var wasThrottled: Bool { state.withLock { $0.adaptive.wasThrottled } }
}
