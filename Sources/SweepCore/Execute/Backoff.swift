import Foundation

/// Exponential backoff with jitter between attempts of one call.
package struct Backoff: Sendable, Hashable {
    package var initial: Duration
    package var maximum: Duration
    package var multiplier: Double

    package init(initial: Duration = .milliseconds(100), maximum: Duration = .seconds(5), multiplier: Double = 2) {
        self.initial = initial
        self.maximum = maximum
        self.multiplier = multiplier
    }

    /// The pause after failed attempt number `attempt` (1-based).
    /// - Parameter jitter: a number in 0...1 (random in production); the pause is scaled into
    ///   [50 %, 100 %] of the exponential step, so concurrent retries spread out.
    package func delay(afterAttempt attempt: Int, jitter: Double) -> Duration {
        let step = min(initial.inSeconds * pow(multiplier, Double(max(0, attempt - 1))), maximum.inSeconds)
        return .seconds(step * (0.5 + 0.5 * min(max(jitter, 0), 1)))
    }
}
