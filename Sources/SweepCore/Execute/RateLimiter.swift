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
    /// Where ticks are counted from.
    private let origin: C.Instant

    /// - Parameters:
    ///   - rate: calls per second (the most it will ever allow).
    ///   - burst: calls allowed back to back after an idle spell.
    ///   - clock: the clock to read and sleep on (a test clock in unit tests).
    package init(rate: Double, burst: Int = 1, clock: C) {
        var bucket = TokenBucket<C.Instant>(rate: rate, burst: burst)
        bucket.burstSpan = Self.tick
        self.state = Mutex(State(bucket: bucket, adaptive: AdaptiveRate(target: rate)))
        self.clock = clock
        self.origin = clock.now
    }

    /// Waits for this caller's slot.
    /// - Returns: when the slot was reserved (the rate of that moment is the one its call tests).
    /// - Throws: `CancellationError` if the task is cancelled while waiting (the slot is lost).
    @discardableResult
    package func acquire() async throws -> C.Instant {
        while true {
            let now = clock.now
            let (wait, decreases, interval) = state.withLock {
                ($0.bucket.reserve(now: now), $0.decreases, $0.bucket.interval)
            }
            if wait > .zero {
                try await clock.sleep(until: wakeUp(for: now.advanced(by: wait), interval: interval), tolerance: nil)
            } else {
                try Task.checkCancellation()
            }
            // The rate fell while this slot waited: it was booked at a rate the server refused (the
            // calls booked ahead at the start would all be refused); book again at the new one.
            if state.withLock({ $0.decreases }) == decreases { return now }
        }
    }

    /// When a job whose slot is `slot` wakes: at its slot, or, when slots are closer together
    /// than ``tick``, at the end of the tick its slot falls in, with the other slots of that tick.
    /// One timer and one thread's wake-up then start several calls (each wake-up costs tens of
    /// microseconds of CPU); the slots themselves, and so the rate, do not move.
    func wakeUp(for slot: C.Instant, interval: Duration) -> C.Instant {
        guard interval < Self.tick else { return slot }
        let offset = origin.duration(to: slot)
        let ticks = (offset / Self.tick).rounded(.up)
        return origin.advanced(by: Self.tick * ticks)
    }

    /// The longest a job waits past its slot (see ``wakeUp(for:interval:)``).
    static var tick: Duration { .milliseconds(20) }

    /// How far ahead the slots already reserved reach (zero when a slot is free now): a caller
    /// that acquires now waits about this long.
    package var backlog: Duration {
        let now = clock.now
        return state.withLock { $0.bucket.backlog(now: now) }
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
