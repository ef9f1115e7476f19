/// The call rate under throttling, made to converge on what the server accepts rather than
/// oscillate around it.
///
/// A throttled call (RESOURCE_EXHAUSTED) lowers the rate once per generation: calls sent before
/// the last decrease answer for the old rate and are ignored. The new rate is the lower of half
/// the rate and 90 % of what the server accepted over the last second (when half a second's worth
/// has been seen; before that, 70 % of the rate). What was accepted is a lower bound (calls backing off were not offered), so the
/// rate then climbs quickly, doubling every quarter `probeInterval`, back to the higher of the two
/// (the threshold), and only then slowly: +10 % per `probeInterval` without throttling, up to the
/// operator's rate. Never per success. A namespace throttled
/// at 20/s under `--rps 200` is then met at its limit with a few refused calls per probe, instead of
/// the rate snapping back after every success while the server is hurting.
package struct AdaptiveRate<Instant: InstantProtocol>: Sendable where Instant.Duration == Duration {
    /// The operator's `--rps`: never exceeded.
    package let target: Double
    package private(set) var current: Double
    package let floor: Double
    package let probeInterval: Duration
    private var lastDecrease: Instant?
    private var lastChange: Instant?
    private var accepted = AcceptedCalls<Instant>()
    /// Up to here the rate climbs quickly after a decrease (TCP's slow-start threshold).
    private var threshold: Double?
    /// Whether the server has throttled this run at all.
    package private(set) var wasThrottled = false

    package init(target: Double, floor: Double? = nil, probeInterval: Duration = .seconds(2)) {
        self.target = target
        self.current = target
        self.floor = min(target, floor ?? max(0.5, target / 256))
        self.probeInterval = probeInterval
    }

    /// A call sent at `sentAt` was throttled at `now`.
    /// - Returns: the new rate, or `nil` when unchanged (the call went out before the last decrease).
    package mutating func throttled(sentAt: Instant, at now: Instant) -> Double? {
        if let lastDecrease, sentAt < lastDecrease { return nil }
        wasThrottled = true
        let halved = current / 2
        let level = accepted.perSecond(at: now).map { $0 * 0.9 }
        // Knowing nothing yet (a start, a drained namespace), step down by 30 % per generation:
        // generations come one call apart then, and halving would overshoot far below the limit.
        let lowered = max(floor, level.map { min(halved, $0) } ?? current * 0.7)
        // At the floor already: nothing changes, and nothing is a new generation.
        guard lowered < current else { return nil }
        lastDecrease = now
        lastChange = now
        threshold = max(floor, max(halved, level ?? 0))
        current = lowered
        return current
    }

    /// A call went through at `now`.
    /// - Returns: the new rate, or `nil` when unchanged (at the target, or not yet time to climb).
    package mutating func succeeded(at now: Instant) -> Double? {
        accepted.add(at: now)
        guard current < target else { return nil }
        guard let since = lastChange else {
            lastChange = now
            return nil
        }
        let recovering = threshold.map { current < $0 - 1e-9 } ?? false
        guard since.duration(to: now) >= (recovering ? probeInterval / 4 : probeInterval) else { return nil }
        lastChange = now
        if recovering, let threshold {
            current = min(target, threshold, current * 2)
        } else {
            current = min(target, current * 1.1)
        }
        return current
    }
}

/// Calls accepted over the last second, in ten 100 ms buckets: a rate the server has shown it takes.
struct AcceptedCalls<Instant: InstantProtocol>: Sendable where Instant.Duration == Duration {
    /// The first accepted call: before a second has passed, the count is over the time since.
    private var origin: Instant?
    /// Per bucket: its index since `origin` and its count.
    private var buckets = [(index: Int, count: Int)](repeating: (-1, 0), count: 10)

    private func index(of now: Instant) -> Int {
        guard let origin else { return 0 }
        let elapsed = origin.duration(to: now)
        // A caller that read the clock before the first success was recorded may be a little early.
        guard elapsed > .zero else { return 0 }
        let (seconds, attoseconds) = elapsed.components
        return Int(seconds) * 10 + Int(attoseconds / 100_000_000_000_000_000)
    }

    mutating func add(at now: Instant) {
        if origin == nil { origin = now }
        let current = index(of: now)
        let slot = current % buckets.count
        if buckets[slot].index == current {
            buckets[slot].count += 1
        } else {
            buckets[slot] = (current, 1)
        }
    }

    /// Accepted calls per second over the last second (the ten buckets up to `now`'s); `nil`
    /// before half a second of calls has been seen (a start's burst says little about a limit).
    func perSecond(at now: Instant) -> Double? {
        guard let origin else { return nil }
        let span = min(1, origin.duration(to: now).inSeconds)
        guard span >= 0.5 else { return nil }
        let current = index(of: now)
        let count = buckets.filter { $0.index > current - buckets.count && $0.index <= current }.map(\.count)
            .reduce(0, +)
        return count > 0 ? Double(count) / span : nil
    }
}
