/// The arithmetic of the rate limiter, free of clocks and locks so tests can check it directly.
///
/// A virtual-scheduling token bucket: each reservation takes the next free slot, slots are
/// `1/rate` apart, and up to `burst` slots may be taken at once after an idle spell.
package struct TokenBucket<Instant: InstantProtocol>: Sendable where Instant.Duration == Duration {
    package private(set) var rate: Double
    package let burst: Int
    /// When slots are closer together than this, a reservation may be up to this late for its
    /// slot and still take it (after an idle spell, this span's worth of reservations go back to
    /// back): a caller that wakes up late by design (see ``RateLimiter``) is not taken for one
    /// that was idle, so waking late costs no rate.
    package var burstSpan: Duration = .zero
    /// The earliest instant the next reservation may run (its "theoretical arrival time").
    private var nextFree: Instant?

    /// - Parameters:
    ///   - rate: reservations per second (> 0).
    ///   - burst: how many reservations may run back to back after an idle spell (>= 1).
    package init(rate: Double, burst: Int = 1) {
        precondition(rate > 0 && burst >= 1, "a token bucket needs a positive rate and burst")
        self.rate = rate
        self.burst = burst
    }

    package var interval: Duration { .nanoseconds(Int64((1_000_000_000 / rate).rounded())) }

    /// Takes the next slot.
    /// - Returns: how long the caller must wait from `now` before running (zero to go at once).
    package mutating func reserve(now: Instant) -> Duration {
        // After an idle spell, let at most `burst` reservations (or `burstSpan`'s worth, when
        // slots are closer together) through back to back.
        let lateness = interval < burstSpan ? burstSpan : .zero
        let earliest = now.advanced(by: .zero - Swift.max(interval * (burst - 1), lateness))
        let slot = max(nextFree ?? earliest, earliest)
        nextFree = slot.advanced(by: interval)
        let wait = now.duration(to: slot)
        return wait > .zero ? wait : .zero
    }

    /// How far past `now` the slots already reserved reach: zero when the next reservation may
    /// run at once.
    package func backlog(now: Instant) -> Duration {
        guard let nextFree else { return .zero }
        let ahead = now.duration(to: nextFree)
        return ahead > .zero ? ahead : .zero
    }

    /// Changes the rate for the reservations that follow (the adaptive limiter's lever).
    package mutating func setRate(_ newRate: Double) {
        precondition(newRate > 0, "a token bucket needs a positive rate")
        rate = newRate
    }
}

private func max<T: Comparable>(_ lhs: T, _ rhs: T) -> T { lhs < rhs ? rhs : lhs }
