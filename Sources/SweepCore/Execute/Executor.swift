import Foundation
package import Logging
import SweepGRPC

/// The client-side engine: a task group with at most `concurrency` jobs in flight, cancel or
/// terminate calls paced by one shared, throttling-aware rate limiter, transient failures retried
/// with backoff.
///
/// Children return a ``JobResult`` and never throw; only the parent writes the report.
///
/// Cancelling the task that runs ``run(_:reportingTo:)`` is a graceful stop: no new job is
/// started, calls already sent finish (each is bounded by its deadline), jobs still waiting for a
/// rate-limiter slot and every job left in the source are reported `not_attempted`.
package struct Executor<C: Clock>: SweepEngine where C.Duration == Duration {
    package let service: any WorkflowService
    package let options: ExecutorOptions
    package let clock: C
    let limiter: RateLimiter<C>
    private let logger: Logger

    package init(
        service: any WorkflowService, options: ExecutorOptions, clock: C,
        logger: Logger = Logger(label: "sweep.executor")
    ) {
        self.service = service
        self.options = options
        self.clock = clock
        self.limiter = RateLimiter(rate: options.rate, clock: clock)
        self.logger = logger
    }

    package func run<Source: AsyncSequence, Sink: ReportSink>(_ jobs: Source, reportingTo reporter: Sink)
        async throws(SweepError) where Source.Element == Job
    {
        let result: Result<Void, SweepError> = await withTaskGroup(of: JobResult.self) { group in
            var iterator = jobs.makeAsyncIterator()
            var inFlight = 0
            // A duplicate's row follows the row of the occurrence it refers to: while that one is
            // in flight, its duplicates wait here (at most one entry per job in flight).
            var waitingDuplicates: [String: [JobResult]] = [:]
            func record(_ finished: JobResult) throws(SweepError) {
                try reporter.record(finished)
                if let duplicates = waitingDuplicates.removeValue(forKey: finished.job.deduplicationKey) {
                    for duplicate in duplicates { try reporter.record(duplicate) }
                }
            }
            func take(_ job: Job, start: (Job) -> Void) throws(SweepError) {
                guard job.isDuplicate else {
                    waitingDuplicates[job.deduplicationKey] = []
                    start(job)
                    return
                }
                let duplicate = JobAttempt<C.Instant>(job: job, action: options.action).finish(
                    .duplicate, message: "listed earlier in the input; acted on once", elapsed: .zero)
                if waitingDuplicates[job.deduplicationKey] != nil {
                    waitingDuplicates[job.deduplicationKey, default: []].append(duplicate)
                } else {
                    try reporter.record(duplicate)
                }
            }
            do {
                // Fill the group to the limit, then start one job for each one that finishes.
                while true {
                    while inFlight < options.concurrency, !Task.isCancelled, let job = try await iterator.next() {
                        try take(job) { job in
                            group.addTask { await perform(job) }
                            inFlight += 1
                        }
                    }
                    guard inFlight > 0, let finished = await group.next() else { break }
                    inFlight -= 1
                    try record(finished)
                }
                // Stopped: account for every job the source still holds, without sending anything
                // (a listing stops at the page it has: see QueryJobs).
                if Task.isCancelled {
                    // Nothing is in flight now, so no duplicate has to wait for its first occurrence.
                    while let job = try await iterator.next() {
                        try reporter.record(
                            JobAttempt<C.Instant>(job: job, action: options.action).finish(
                                job.isDuplicate ? .duplicate : .notAttempted,
                                message: job.isDuplicate
                                    ? "listed earlier in the input; acted on once" : "stopped before it was sent",
                                elapsed: .zero))
                    }
                }
                return .success(())
            } catch {
                // The source or the report failed: record what is in flight, then stop.
                while let finished = await group.next() {
                    try? record(finished)
                }
                if let error = error as? SweepError { return .failure(error) }
                return .failure(SweepError(.input, "reading the job set failed: \(error)"))
            }
        }
        try result.get()
    }

    /// Carries out one job to a final outcome. Never throws.
    package func perform(_ job: Job) async -> JobResult {
        var attempt = JobAttempt<C.Instant>(job: job, action: options.action)
        if job.isDuplicate {
            return attempt.finish(.duplicate, message: "listed earlier in the input; acted on once", elapsed: .zero)
        }
        if options.dryRun {
            return await predict(job, &attempt)
        }
        if options.chain {
            return await performOnChain(job, &attempt)
        }
        var target = job.target

        if options.action == .cancel {
            // A cancel on a closed run answers OK and does nothing, so Describe first: it tells a
            // closed run from an open one, and pins the run we are about to cancel. The job takes
            // its rate-limiter slot here, so Describe and cancel go out back to back.
            switch await describe(target, &attempt, pacing: .every) {
            case .success(let description):
                target.runID = description.runID
                attempt.runID = description.runID
                if description.status.isClosed {
                    return await closed(job, description, &attempt)
                }
            case .failure(let failure):
                return attempt.finish(failure, elapsed: elapsed(attempt))
            }
        }

        var pinned = target
        var pacing: Pacing = options.action == .cancel ? .retries : .every
        while true {
            let current = pinned
            // An unpinned terminate is not retried blindly after an ambiguous failure: the first
            // call may have landed and a new run started since. It is pinned first (below).
            let outcome = await call(
                counting: &attempt, paced: pacing, countsAsAttempt: true, stopOnAmbiguous: current.runID == nil
            ) { () async throws(RPCError) in
                try await act(on: current, chain: nil)
            }
            switch outcome {
            case .success:
                return attempt.finish(.done(options.action), elapsed: elapsed(attempt))
            case .failure(let failure) where failure.isAmbiguous:
                switch await pinAfterAmbiguousTerminate(current, failure, &attempt) {
                case .retry(let run):
                    pinned = run
                    pacing = .every
                case .finished(let result):
                    return result
                }
            case .failure(let failure):
                // After an ambiguous failure, an earlier attempt may have landed: a retry then
                // answers "already completed", or fails for another reason. Describe tells.
                if [.alreadyClosed, .failed].contains(failure.outcome), attempt.sawAmbiguousFailure,
                    await actedByEarlierAttempt(current, &attempt)
                {
                    return attempt.finish(
                        .done(options.action), message: "confirmed by Describe after a retry", elapsed: elapsed(attempt)
                    )
                }
                guard failure.outcome == .alreadyClosed else {
                    return attempt.finish(failure, elapsed: elapsed(attempt))
                }
                if current.runID != nil, let replacement = await replacement(of: current, &attempt) {
                    return attempt.finish(.runChanged, message: replacement, elapsed: elapsed(attempt))
                }
                return attempt.finish(failure, elapsed: elapsed(attempt))
            }
        }
    }

    /// What an unpinned terminate does after an ambiguous failure (DEADLINE_EXCEEDED, UNAVAILABLE):
    /// Describe the workflow's current run. Terminated since the first call: that was this call.
    /// Open and started well before the first call: the call did not land; retry pinned to it.
    /// Open and started since (or too close to tell): a new run that this sweep was never asked
    /// about; leave it alone (`run_changed`).
    private func pinAfterAmbiguousTerminate(
        _ target: WorkflowTarget, _ failure: CallFailure, _ attempt: inout JobAttempt<C.Instant>
    ) async -> PinDecision {
        let sent = attempt.firstCallDate
        do {
            // The server just failed to answer: back off before asking it again.
            try await clock.sleep(
                for: options.backoff.delay(afterAttempt: attempt.attempts, jitter: .random(in: 0...1)))
        } catch {
            return .finished(
                attempt.finish(
                    CallFailure(
                        outcome: .failed, error: failure.error,
                        message: "stopped while retrying after: \(failure.message)"),
                    elapsed: elapsed(attempt)))
        }
        switch await describe(target, &attempt) {
        case .failure(let described):
            return .finished(
                attempt.finish(
                    CallFailure(
                        outcome: described.outcome == .notFound ? .notFound : .failed, error: failure.error,
                        message:
                            "\(failure.message); the terminate may have landed, and Describe could not tell: \(described.message)"
                    ), elapsed: elapsed(attempt)))
        case .success(let current):
            attempt.runID = current.runID
            if current.status.isClosed {
                let ours = current.status == .terminated && (current.closeTime ?? .distantPast) >= sent - Self.skew
                return .finished(
                    attempt.finish(
                        ours ? .terminated : .alreadyClosed,
                        message: ours ? "confirmed by Describe after a retry" : "run is \(current.status.rawValue)",
                        elapsed: elapsed(attempt)))
            }
            guard let started = current.startTime, started < sent - Self.skew else {
                return .finished(
                    attempt.finish(
                        .runChanged,
                        message:
                            "after \(failure.error?.code.description ?? "a failure") the open run is \(current.runID), started after the terminate was sent; not touched",
                        elapsed: elapsed(attempt)))
            }
            guard
                options.retry.pause(
                    after: failure.error ?? RPCError(code: .unavailable, message: ""), tries: attempt.attempts,
                    failingFor: .zero, jitter: 0) != nil
            else {
                // No attempts left: the call did not land, and is not sent again.
                return .finished(
                    attempt.finish(
                        CallFailure(
                            outcome: .failed, error: failure.error,
                            message: "\(failure.message) (gave up after \(attempt.attempts) attempts)"),
                        elapsed: elapsed(attempt)))
            }
            return .retry(WorkflowTarget(workflowID: target.workflowID, runID: current.runID))
        }
    }

    private enum PinDecision {
        case retry(WorkflowTarget)
        case finished(JobResult)
    }

    /// Clock skew allowed between this machine and the server when comparing their times.
    static var skew: TimeInterval { 2 }

    /// Sends the action for one target.
    private func act(on target: WorkflowTarget, chain: String?) async throws(RPCError) {
        switch options.action {
        case .cancel:
            try await service.requestCancel(
                target, chain: chain, reason: options.reason, requestID: Self.cancelRequestID(for: target, chain: chain)
            )
        case .terminate:
            try await service.terminate(target, chain: chain, reason: options.reason)
        }
    }

    /// `--chain`: act on the current run of the workflow's continue-as-new chain, whichever run
    /// that is by the time the call lands (the server checks it belongs to the chain).
    private func performOnChain(_ job: Job, _ attempt: inout JobAttempt<C.Instant>) async -> JobResult {
        let current = WorkflowTarget(workflowID: job.target.workflowID)
        let description: ExecutionDescription
        switch await describe(current, &attempt, pacing: .every) {
        case .success(let found): description = found
        case .failure(let failure): return attempt.finish(failure, elapsed: elapsed(attempt))
        }
        attempt.runID = description.runID
        // The chain to stop: from the plan or listing; else the pinned run's; else the current run's.
        var firstRun = job.firstRunID
        if firstRun == nil, let pinned = job.target.runID, pinned != description.runID {
            switch await describe(job.target, &attempt) {
            case .success(let found): firstRun = found.firstRunID.isEmpty ? found.runID : found.firstRunID
            case .failure(let failure): return attempt.finish(failure, elapsed: elapsed(attempt))
            }
        }
        if description.status.isClosed {
            return attempt.finish(
                .alreadyClosed, message: "chain's current run is \(description.status.rawValue)",
                elapsed: elapsed(attempt))
        }
        if let firstRun, !description.firstRunID.isEmpty, description.firstRunID != firstRun {
            return attempt.finish(
                .runChanged,
                message:
                    "the open run \(description.runID) belongs to another chain (first run \(description.firstRunID))",
                elapsed: elapsed(attempt))
        }
        firstRun = firstRun ?? (description.firstRunID.isEmpty ? description.runID : description.firstRunID)
        let chain = firstRun
        let outcome = await call(counting: &attempt, paced: .retries, countsAsAttempt: true) {
            () async throws(RPCError) in
            try await act(on: current, chain: chain)
        }
        switch outcome {
        case .success:
            var result = attempt.finish(
                .done(options.action), message: "chain \(chain ?? "")", elapsed: elapsed(attempt))
            result.chain = chain
            return result
        case .failure(let failure):
            // A retried terminate answers "already completed" when an earlier attempt landed
            // before the connection dropped; Describe of the chain's current run confirms it.
            if [.alreadyClosed, .failed].contains(failure.outcome), attempt.sawAmbiguousFailure,
                await actedByEarlierAttempt(current, &attempt)
            {
                var result = attempt.finish(
                    .terminated, message: "chain \(chain ?? ""); confirmed by Describe after a retry",
                    elapsed: elapsed(attempt))
                result.chain = chain
                return result
            }
            return attempt.finish(failure, elapsed: elapsed(attempt))
        }
    }

    /// `--dry-run`: what would happen, from the listing when it is fresh, else from Describe.
    private func predict(_ job: Job, _ attempt: inout JobAttempt<C.Instant>) async -> JobResult {
        if let status = job.listedStatus, !options.chain {
            return status.isClosed
                ? attempt.finish(.alreadyClosed, message: "run is \(status.rawValue)", elapsed: .zero)
                : attempt.finish(.dryRun(options.action), elapsed: .zero)
        }
        let target = options.chain ? WorkflowTarget(workflowID: job.target.workflowID) : job.target
        switch await describe(target, &attempt, pacing: .every) {
        case .success(let description):
            attempt.runID = description.runID
            if description.status.isClosed {
                return await closed(job, description, &attempt)
            }
            return attempt.finish(.dryRun(options.action), elapsed: elapsed(attempt))
        case .failure(let failure):
            return attempt.finish(failure, elapsed: elapsed(attempt))
        }
    }

    /// The outcome for a run found closed: `run_changed` when the job pinned it and a newer run
    /// of the workflow is open (continue-as-new, reset, a new start), else `already_closed`.
    private func closed(_ job: Job, _ description: ExecutionDescription, _ attempt: inout JobAttempt<C.Instant>) async
        -> JobResult
    {
        if job.target.runID != nil, let replacement = await replacement(of: job.target, &attempt) {
            return attempt.finish(.runChanged, message: replacement, elapsed: elapsed(attempt))
        }
        return attempt.finish(
            .alreadyClosed, message: "run is \(description.status.rawValue)", elapsed: elapsed(attempt))
    }

    /// A description of the open run that replaced `pinned`, if there is one.
    private func replacement(of pinned: WorkflowTarget, _ attempt: inout JobAttempt<C.Instant>) async -> String? {
        guard case .success(let current) = await describe(WorkflowTarget(workflowID: pinned.workflowID), &attempt),
            current.runID != pinned.runID, !current.status.isClosed
        else { return nil }
        return
            "run \(pinned.runID ?? "") was replaced by run \(current.runID) (\(current.status.rawValue)); not touched"
    }

    /// Describes `target`, recording what it learns on the attempt.
    /// - Parameter pacing: `.every` for the Describe that opens a paced job (a cancel's first call).
    private func describe(_ target: WorkflowTarget, _ attempt: inout JobAttempt<C.Instant>, pacing: Pacing = .none)
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

    /// A stable request ID per run, so that a repeated cancel (a retry, a resumed run) is
    /// de-duplicated by the server.
    ///
    /// The server keeps a cancel's request ID per run and refuses one longer than its ID limit
    /// (1,000 bytes, like a workflow ID), so the ID names the run (a UUID) or the chain's first
    /// run, not the workflow ID, which may itself be 1,000 bytes long.
    static func cancelRequestID(for target: WorkflowTarget, chain: String? = nil) -> String {
        let run = target.runID.map { "run-\($0)" } ?? chain.map { "chain-\($0)" } ?? "current"
        return "temporal-sweep-cancel:\(run)"
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
            if paced || attempt.callsSent == 0 {
                do {
                    if paced { try await limiter.acquire() } else { try Task.checkCancellation() }
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
                if pacing != .none { limiter.succeeded() }
                return .success(value)
            } catch {
                if error.code == .resourceExhausted { limiter.throttled() }
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
                    let pause = options.retry.pause(
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

    /// Whether an earlier attempt of this job took effect (its failure was ambiguous): the run is
    /// terminated, or has the cancel request (or closed CANCELED), since the first call.
    private func actedByEarlierAttempt(_ target: WorkflowTarget, _ attempt: inout JobAttempt<C.Instant>) async -> Bool {
        let since = attempt.firstCallDate - Self.skew
        let described = await call(counting: &attempt, paced: .none) { () async throws(RPCError) in
            try await service.describe(target)
        }
        guard case .success(let description) = described else { return false }
        let closedSince = (description.closeTime ?? .distantPast) >= since
        switch options.action {
        case .terminate: return description.status == .terminated && closedSince
        case .cancel: return description.cancelRequested || (description.status == .canceled && closedSince)
        }
    }
}

/// A failed call as the executor sees it: the outcome it maps to, and the status behind it.
struct CallFailure: Error {
    var outcome: Outcome
    var error: RPCError?
    var message: String
    /// The call may or may not have landed (it timed out, or the connection dropped).
    var isAmbiguous: Bool

    init(outcome: Outcome, error: RPCError?, message: String? = nil, isAmbiguous: Bool = false) {
        self.outcome = outcome
        self.error = error
        self.message = message ?? error?.message ?? ""
        self.isAmbiguous = isAmbiguous
    }

    /// Failures after which a call may have taken effect on the server.
    static let ambiguousCodes: Set<RPCError.Code> = [.deadlineExceeded, .unavailable]
}

/// The running record of one job, turned into its ``JobResult`` at the end.
struct JobAttempt<Instant: InstantProtocol> {
    let job: Job
    let action: Action
    var runID: String?
    var attempts = 0
    var callsSent = 0
    /// When the first call for this job was sent, on the executor's clock and the wall clock.
    var firstCall: Instant?
    var firstCallDate = Date.distantPast
    /// What Describe said about the run, for plans and the report.
    var described: ExecutionDescription?
    /// An action call failed in a way that may have taken effect (DEADLINE_EXCEEDED, UNAVAILABLE).
    var sawAmbiguousFailure = false

    init(job: Job, action: Action) {
        self.job = job
        self.action = action
        self.runID = job.target.runID
    }

    func finish(_ outcome: Outcome, message: String = "", elapsed: Duration) -> JobResult {
        learned(
            JobResult(
                job: job, runID: runID, action: action, outcome: outcome, message: message,
                attempts: attempts, latency: elapsed, callsSent: callsSent
            ))
    }

    func finish(_ failure: CallFailure, elapsed: Duration) -> JobResult {
        learned(
            JobResult(
                job: job, runID: runID, action: action, outcome: failure.outcome, code: failure.error?.code,
                message: failure.message, attempts: attempts, latency: elapsed, callsSent: callsSent
            ))
    }

    private func learned(_ result: JobResult) -> JobResult {
        guard let described else { return result }
        var result = result
        result.workflowType = described.workflowType
        result.status = described.status
        result.startTime = described.startTime
        result.firstRunID = described.firstRunID.isEmpty ? nil : described.firstRunID
        return result
    }
}
