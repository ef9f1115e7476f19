import Synchronization

/// Paces calls shared by many tasks to a rate, on an injected clock.
package final class RateLimiter<C: Clock>: Sendable where C.Duration == Duration {
    private let bucket: Mutex<TokenBucket<C.Instant>>
    private let clock: C

    /// - Parameters:
    ///   - rate: calls per second.
    ///   - burst: calls allowed back to back after an idle spell.
    ///   - clock: the clock to read and sleep on (a test clock in unit tests).
    package init(rate: Double, burst: Int = 1, clock: C) {
        self.bucket = Mutex(TokenBucket(rate: rate, burst: burst))
        self.clock = clock
    }

    /// Waits for this caller's slot.
    /// - Throws: `CancellationError` if the task is cancelled while waiting (the slot is lost).
    package func acquire() async throws {
        let now = clock.now
        let wait = bucket.withLock { $0.reserve(now: now) }
        if wait > .zero {
            try await clock.sleep(until: now.advanced(by: wait), tolerance: nil)
        }
    }

    /// The current rate, in calls per second.
    package var rate: Double { bucket.withLock { $0.rate } }

    /// Changes the rate for the calls that follow.
    package func setRate(_ rate: Double) {
        bucket.withLock { $0.setRate(rate) }
    }
}
