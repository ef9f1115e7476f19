import Foundation
import SweepGRPC

/// A resumed run and the workflows its report has no row for (``Job/unrecorded``): the sweep
/// that wrote the report may have acted on them just before a crash (`kill -9`, an out-of-memory
/// kill, a second Ctrl-C) lost their rows, and some other system may have started a new run of
/// the same ID since. Such a job is judged as after an ambiguous failure within one run, from the
/// moment that sweep began: never acted on blindly, never on a run that started since.
extension Executor {
    /// Whether the run this job would act on is held to having started before the earlier sweep
    /// began: a run sweep picks (the ID's current run, or a run a query listed), not one the
    /// operator named.
    func runIsSweepsChoice(_ job: Job) -> Bool {
        job.target.runID == nil || options.earlierRun?.runsFromListing == true
    }

    /// For an unrecorded job, before anything is sent: the run a listing or lookup named, when it
    /// started after the earlier sweep began, is left alone (`run_changed`); an ID given without a
    /// run and not looked up is described and pinned first (a terminate would otherwise go to
    /// whatever run is current).
    /// - Returns: the job's result when it ends here; the run to act on (pinned) otherwise, or
    ///   nil to go on as usual.
    func pinUnrecorded(_ job: Job, _ attempt: inout JobAttempt<C.Instant>) async -> PinDecision? {
        guard let since = attempt.unrecordedSince, runIsSweepsChoice(job), !options.chain else { return nil }
        if let listed = Self.listedRun(job), !listed.status.isClosed {
            // A listing always says when a run started.
            if let startTime = job.startTime, !ExecutionDescription.started(startTime, before: since) {
                attempt.runID = listed.runID
                return .finished(leftAlone(listed.runID, startTime: startTime, &attempt))
            }
            return nil
        }
        guard options.action == .terminate, job.target.runID == nil, Self.listedRun(job) == nil else { return nil }
        switch await describe(job.target, &attempt, pacing: .every) {
        case .failure(let failure):
            return .finished(attempt.finish(failure, elapsed: elapsed(attempt)))
        case .success(let current):
            attempt.runID = current.runID
            if current.status.isClosed { return .finished(await closed(job, current, &attempt)) }
            if let result = leftAloneIfNew(current, &attempt) { return .finished(result) }
            return .retry(WorkflowTarget(workflowID: job.target.workflowID, runID: current.runID))
        }
    }

    /// For an unrecorded job whose open run was just described: `run_changed` when that run
    /// started after the earlier sweep began (and sweep picked it), else nil.
    func leftAloneIfNew(_ run: ExecutionDescription, _ attempt: inout JobAttempt<C.Instant>) -> JobResult? {
        guard let since = attempt.unrecordedSince, runIsSweepsChoice(attempt.job), !run.startedBefore(since)
        else { return nil }
        return leftAlone(run.runID, startTime: run.startTime, &attempt)
    }

    /// `--chain`, for an unrecorded job: `run_changed` when the chain (its first run) started
    /// after the earlier sweep began, a chain this sweep was never asked about (its owner started
    /// the workflow again after the crash); else nil. A chain is at least as old as its current
    /// run: only a current run started since asks after the first run.
    func leftAloneIfNewChain(
        _ current: ExecutionDescription, firstRun: String, _ attempt: inout JobAttempt<C.Instant>
    ) async -> JobResult? {
        guard let since = attempt.unrecordedSince, runIsSweepsChoice(attempt.job), !current.startedBefore(since)
        else { return nil }
        var first = current
        if current.runID != firstRun {
            // Retention may have deleted it, or the server may not answer: `failed`, retried by
            // the next resume, never a settled `run_changed` it cannot stand behind.
            switch await describe(WorkflowTarget(workflowID: current.workflowID, runID: firstRun), &attempt) {
            case .failure(let failure): return attempt.finish(failure, elapsed: elapsed(attempt))
            case .success(let described): first = described
            }
        }
        guard !first.startedBefore(since) else { return nil }
        return leftAlone(current.runID, startTime: first.startTime, what: "its chain", &attempt)
    }

    private func leftAlone(
        _ runID: String, startTime: Date?, what: String = "its open run", _ attempt: inout JobAttempt<C.Instant>
    ) -> JobResult {
        let started = startTime.map { " started \(ReportFormat.timestamp($0))," } ?? ""
        let began =
            attempt.unrecordedSince.flatMap { $0 == .distantPast ? nil : " (\(ReportFormat.timestamp($0)))" }
            ?? " (the report does not say when)"
        return attempt.finish(
            .runChanged,
            message:
                "the report does not say what became of it, and \(what) (run \(runID))\(started) did not start before the sweep that wrote the report began\(began); not touched",
            elapsed: elapsed(attempt))
    }

    /// Whether `run` shows this job's action as taken by this sweep, or for an unrecorded job by
    /// the sweep that wrote the report: closed that way (or, for a cancel, asked to) since
    /// ``JobAttempt/actedSince``, and, for an unrecorded job, its history naming that sweep's
    /// identity and reason (one history read).
    func actedOnBySweep(_ run: ExecutionDescription, _ attempt: inout JobAttempt<C.Instant>) async -> Bool {
        guard let action = options.action, run.shows(action, since: attempt.actedSince) else { return false }
        guard attempt.unrecordedSince != nil, let earlier = options.earlierRun else { return true }
        let target = WorkflowTarget(workflowID: run.workflowID, runID: run.runID)
        let recorded = await call(counting: &attempt, paced: .none) { () async throws(RPCError) in
            try await service.recordedRequest(action, on: target)
        }
        // Made since that sweep began, by it: not an older request of the same identity and reason.
        guard case .success(let request?) = recorded, let time = request.time,
            time >= attempt.actedSince - ExecutionDescription.clockSkew
        else { return false }
        return earlier.requesters.contains(Requester(identity: request.identity, reason: request.reason))
    }

    /// For an unrecorded job whose run was found closed: `terminated` (or `cancel_requested`)
    /// when the sweep that wrote the report closed it (its row was lost), else nil.
    func closedByEarlierRun(_ job: Job, _ run: ExecutionDescription, _ attempt: inout JobAttempt<C.Instant>) async
        -> JobResult?
    {
        guard attempt.unrecordedSince != nil, let action = options.action else { return nil }
        var run = run
        if run.closeTime == nil {
            // A listing's word (status only): Describe tells when and how it closed.
            let pinned = WorkflowTarget(workflowID: run.workflowID, runID: run.runID)
            guard case .success(let described) = await describe(pinned, &attempt) else { return nil }
            run = described
        }
        guard await actedOnBySweep(run, &attempt) else { return nil }
        attempt.runID = run.runID
        return attempt.finish(
            .done(action),
            message: "by the sweep that wrote the report, which did not record it (its history says so)",
            elapsed: elapsed(attempt))
    }
}
