import Foundation
package import SweepGRPC

/// The one retry policy for every RPC sweep sends (listings, counts, Describe, cancel, terminate):
/// a transient failure (``Outcome/verdict(for:)`` says `.retry`) is tried again after an
/// exponential backoff while attempts remain (DEADLINE_EXCEEDED and ABORTED included); throttling
/// (RESOURCE_EXHAUSTED) and an unreachable server (UNAVAILABLE) are retried past `maxAttempts` for
/// `retryWindow` after the first failure, so that a server restart or a burst of throttling does
/// not end a run; so is a planning read (a listing page, a count, a lookup, a batch job's
/// description) that outlasts its deadline (``reading``).
package struct RetryPolicy: Sendable, Hashable {
    /// Attempts per call, the first included.
    package var maxAttempts: Int
    package var backoff: Backoff
    package var retryWindow: Duration
    /// Whether DEADLINE_EXCEEDED is retried for the whole window too: set for planning reads
    /// (listings, counts, lookups), which change nothing when repeated, and which a loaded visibility store
    /// can keep past a call's deadline for a while. A cancel or terminate whose deadline passed
    /// may have landed: it is retried only while attempts remain, then read back.
    package var waitsOutSlowReads = false

    package init(
        maxAttempts: Int = Defaults.maxAttempts, backoff: Backoff = Backoff(),
        retryWindow: Duration = Defaults.retryWindow
    ) {
        self.maxAttempts = maxAttempts
        self.backoff = backoff
        self.retryWindow = retryWindow
    }

    /// Codes retried for the whole window: the server is there but busy, or not there yet.
    static let outageCodes: Set<RPCError.Code> = [.resourceExhausted, .unavailable]

    /// This policy for calls that only read: a deadline is waited out like an outage.
    package var reading: RetryPolicy {
        var policy = self
        policy.waitsOutSlowReads = true
        return policy
    }

    /// What to do after failed try number `tries` (1-based).
    /// - Parameter failingFor: how long since this call first failed.
    /// - Returns: the pause before the next try, or `nil` to give up.
    package func pause(after error: RPCError, tries: Int, failingFor: Duration, jitter: Double) -> Duration? {
        guard case .retry = Outcome.verdict(for: error) else { return nil }
        let outage = Self.outageCodes.contains(error.code) || (waitsOutSlowReads && error.code == .deadlineExceeded)
        let withinWindow = outage && failingFor < retryWindow
        guard tries < maxAttempts || withinWindow else { return nil }
        return backoff.delay(afterAttempt: tries, jitter: jitter)
    }

    /// Calls `body` until it succeeds or the policy gives up, sleeping on `clock` between tries.
    /// - Throws: the last ``RPCError`` when it gives up; `CancellationError` when the task is
    ///   cancelled while waiting to retry (never swallowed).
    package func run<T>(on clock: any Clock<Duration>, _ body: () async throws(RPCError) -> T) async throws -> T {
        func opened<C: Clock<Duration>>(_ clock: C) async throws -> T { try await run(onClock: clock, body) }
        return try await opened(clock)
    }

    private func run<T, C: Clock<Duration>>(onClock clock: C, _ body: () async throws(RPCError) -> T) async throws -> T
    {
        var tries = 0
        var firstFailure: C.Instant?
        while true {
            try Task.checkCancellation()
            tries += 1
            do {
                return try await body()
            } catch {
                let now = clock.now
                let started = firstFailure ?? now
                firstFailure = started
                guard
                    let pause = pause(
                        after: error, tries: tries, failingFor: started.duration(to: now),
                        jitter: Double.random(in: 0...1))
                else { throw error }
                try await clock.sleep(for: pause)
            }
        }
    }
}
