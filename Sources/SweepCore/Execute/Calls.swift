import Foundation
import Logging
import SweepGRPC

/// How one job's calls are sent: paced by the rate limiter shared by the whole run, retried under
/// the run's ``RetryPolicy``, counted on the job's ``JobAttempt``. The engine and the follow-up
/// stage send through the same one, so `--rps` holds across both.
struct Calls<C: Clock>: Sendable where C.Duration == Duration {
    let service: any WorkflowService
    let clock: C
    let limiter: RateLimiter<C>
    let retry: RetryPolicy
    let logger: Logger

    init(service: any WorkflowService, clock: C, limiter: RateLimiter<C>, retry: RetryPolicy, logger: Logger) {
        self.service = service
        self.clock = clock
        self.limiter = limiter
        self.retry = retry
        self.logger = logger
    }

    /// Calls paced at `options.rate` and retried under `options.retry`.
    init(
        service: any WorkflowService, options: ExecutorOptions, clock: C,
        logger: Logger = Logger(label: "sweep.executor")
    ) {
        self.init(
            service: service, clock: clock, limiter: RateLimiter(rate: options.rate, clock: clock),
            retry: options.retry, logger: logger)
    }

    /// Describes `target`, recording what it learns on the attempt.
    /// - Parameter pacing: `.every` for the Describe that opens a paced job (a cancel's first call).
    func describe(_ target: WorkflowTarget, _ attempt: inout JobAttempt<C.Instant>, pacing: Pacing = .none)
        async -> Result<ExecutionDescription, CallFailure>
    {
        let result = await call(counting: &attempt, paced: pacing) { () async throws(RPCError) in
            try await service.describe(target)
        }
        if case .success(let description) = result, attempt.described == nil || target.runID == nil {
            attempt.described = description
        }
        return result
    }

    /// From the job's first call (not its wait for a rate-limiter slot) to now.
    func elapsed(_ attempt: JobAttempt<C.Instant>) -> Duration {
        attempt.firstCall?.duration(to: clock.now) ?? .zero
    }

    /// Whether a call waits for a rate-limiter slot.
    enum Pacing {
        /// Reads that are not paced (a follow-up's checks).
        case none
        /// Every try waits for a slot.
        case every
        /// The first try uses a slot the job already took; retries wait for one.
        case retries
    }

    /// Calls `body` until it succeeds, fails for good, or runs out of attempts (and, for throttling
    /// and outages, out of the retry window).
    func call<T>(
        counting attempt: inout JobAttempt<C.Instant>,
        paced pacing: Pacing,
        countsAsAttempt: Bool = false,
        stopOnAmbiguous: Bool = false,
        _ body: () async throws(RPCError) -> T
    ) async -> Result<T, CallFailure> {
        // The action's attempts count across calls (a terminate pinned after an ambiguous failure
        // goes on with the attempts it has left).
        var tries = countsAsAttempt ? attempt.attempts : 0
        var firstFailure: C.Instant?
        while true {
            let paced = pacing == .every || (pacing == .retries && tries > 0)
            // When its slot was reserved (unpaced: when it is sent): a throttled answer speaks for
            // the rate of that moment, and one sent before the last slow-down is not counted again.
            var reservedAt = clock.now
            if paced || attempt.callsSent == 0 {
                do {
                    if paced { reservedAt = try await limiter.acquire() } else { try Task.checkCancellation() }
                } catch {
                    return .failure(
                        attempt.callsSent == 0
                            ? CallFailure(outcome: .notAttempted, error: nil, message: "stopped before it was sent")
                            : CallFailure(
                                outcome: .failed,
                                error: RPCError(code: .cancelled, message: "stopped before the call was retried"))
                    )
                }
            }
            tries += 1
            if countsAsAttempt { attempt.attempts += 1 }
            if attempt.firstCall == nil {
                attempt.firstCall = clock.now
                attempt.firstCallDate = Date()
            }
            attempt.callsSent += 1
            do {
                let value = try await body()
                // Only calls that took a slot count as accepted: the rate is in slots (a cancel's
                // Describe and cancel share one).
                if paced { limiter.succeeded() }
                return .success(value)
            } catch {
                if error.code == .resourceExhausted { limiter.throttled(reservedAt: reservedAt) }
                if CallFailure.ambiguousCodes.contains(error.code), countsAsAttempt {
                    attempt.sawAmbiguousFailure = true
                }
                if stopOnAmbiguous, CallFailure.ambiguousCodes.contains(error.code) {
                    return .failure(CallFailure(outcome: .failed, error: error, isAmbiguous: true))
                }
                let now = clock.now
                let started = firstFailure ?? now
                firstFailure = started
                guard
                    let pause = retry.pause(
                        after: error, tries: tries, failingFor: started.duration(to: now),
                        jitter: Double.random(in: 0...1))
                else {
                    if case .final(let outcome) = Outcome.verdict(for: error) {
                        return .failure(CallFailure(outcome: outcome, error: error))
                    }
                    return .failure(
                        CallFailure(
                            outcome: .failed, error: error,
                            message: "\(error.message) (gave up after \(tries) attempts)"))
                }
                logger.debug(
                    "retrying after \(error)",
                    metadata: ["workflow_id": "\(attempt.job.target.workflowID)", "attempt": "\(tries)"])
                let retrying = error
                do {
                    try await clock.sleep(for: pause)
                } catch {
                    return .failure(
                        CallFailure(
                            outcome: .failed, error: retrying,
                            message: "stopped while retrying after: \(retrying.message)"))
                }
            }
        }
    }

}

/// What sends through ``Calls``: the engine and the follow-up stage.
protocol MakesCalls {
    associatedtype C: Clock where C.Duration == Duration
    var calls: Calls<C> { get }
}

extension MakesCalls {
    var service: any WorkflowService { calls.service }
    var clock: C { calls.clock }
    var limiter: RateLimiter<C> { calls.limiter }

    func call<T>(
        counting attempt: inout JobAttempt<C.Instant>,
        paced pacing: Calls<C>.Pacing,
        countsAsAttempt: Bool = false,
        stopOnAmbiguous: Bool = false,
        _ body: () async throws(RPCError) -> T
    ) async -> Result<T, CallFailure> {
        await calls.call(
            counting: &attempt, paced: pacing, countsAsAttempt: countsAsAttempt, stopOnAmbiguous: stopOnAmbiguous,
            body)
    }

    func describe(_ target: WorkflowTarget, _ attempt: inout JobAttempt<C.Instant>, pacing: Calls<C>.Pacing = .none)
        async -> Result<ExecutionDescription, CallFailure>
    {
        await calls.describe(target, &attempt, pacing: pacing)
    }

    func elapsed(_ attempt: JobAttempt<C.Instant>) -> Duration {
        calls.elapsed(attempt)
    }
}
