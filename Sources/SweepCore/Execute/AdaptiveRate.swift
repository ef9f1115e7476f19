/// Additive-increase / multiplicative-decrease of the call rate: halve it when the server throttles
/// (RESOURCE_EXHAUSTED), at most once per `cooldown` so one burst of throttled calls counts once,
/// and win it back a step per successful call, up to the rate the operator asked for.
package struct AdaptiveRate<Instant: InstantProtocol>: Sendable where Instant.Duration == Duration {
    /// The operator's `--rps`: never exceeded.
    package let target: Double
    package private(set) var current: Double
    package let floor: Double
    package let cooldown: Duration
    private var lastDecrease: Instant?

    package init(target: Double, floor: Double? = nil, cooldown: Duration = .seconds(1)) {
        self.target = target
        self.current = target
        self.floor = min(target, floor ?? max(1, target / 64))
        self.cooldown = cooldown
    }

    /// The additive step: the full rate is won back after about 20 successful calls.
    package var step: Double { max(target / 20, 0.1) }

    /// A call was throttled at `now`.
    /// - Returns: the new rate, or `nil` when unchanged (within the cooldown of the last decrease).
    package mutating func throttled(at now: Instant) -> Double? {
        if let lastDecrease, lastDecrease.duration(to: now) < cooldown { return nil }
        lastDecrease = now
        current = max(floor, current / 2)
        return current
    }

    /// A call succeeded.
    /// - Returns: the new rate, or `nil` when already at the target.
    package mutating func succeeded() -> Double? {
        guard current < target else { return nil }
        current = min(target, current + step)
        return current
    }
}
