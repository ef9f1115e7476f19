package import Foundation
import SweepGRPC
import Synchronization

/// `--engine server`: Temporal's own batch engine does the acting, sweep keeps the per-workflow
/// report.
///
/// The job set is taken in slices of ``batchSize``. For each slice:
/// 1. **Plan**: the client engine's dry run (through the run's calls: the same resolution, the same
///    `already_closed`, `not_found`, `duplicate` and `run_changed` rows) pins the exact run of each
///    workflow to act on. Rows that need no action are recorded at once.
/// 2. **Act**: one StartBatchOperation with exactly those runs (never a query: what the server
///    touches is what was planned), then DescribeBatchOperation until the job ends. The server
///    allows one running batch job per namespace by default, so slices run one after another.
/// 3. **Reconcile**: the batcher only counts (and counts NOT_FOUND and "already completed" as
///    success), so every run handed to it is described: `terminated` or `cancel_requested` when the
///    run shows it, `already_closed` when it closed before the job started (`run_changed` when a
///    newer run is open), `not_attempted` when a stop ended the job first (`--resume` retries
///    those), `failed` otherwise. Those rows follow, in the plan's order (a duplicate after its
///    first occurrence).
///
/// A stop (the task cancelled) while a job runs stops it (StopBatchOperation, with a reason),
/// lets its runs settle, and reconciles what it did; the rest of the source is `not_attempted`.
/// A start the server refuses ends the run the same way, with its reason.
package struct ServerBatchEngine<C: Clock>: SweepEngine where C.Duration == Duration {
    /// How the engine waits on the server.
    package struct Timing: Sendable {
        /// How often a running job is described (the first look comes after 100 ms).
        package var poll: Duration = .seconds(1)
        /// After a stop: how long, in all, the job is given to end and its runs to settle.
        package var stopGrace: Duration = .seconds(60)
        /// After a stop: the runs still open are described again this often...
        package var settleInterval: Duration = .seconds(3)
        /// ...until a look finds none newly closed, but not before this long after the stop: a
        /// stopped job's worker acts until it next checks in with the server (about 8 s on the
        /// dev server).
        package var settleMinimum: Duration = .seconds(15)
        /// A start refused because a batch job runs in the namespace is retried this long...
        package var busyWait: Duration = .seconds(10)
        /// ...or this long after a job of this run (visibility may count it as running a while).
        package var busyWaitAfterOwn: Duration = .seconds(60)
        /// DescribeBatchOperation failing this long: the job is given up on, its open runs `failed`.
        package var lostAfter: Duration = .seconds(120)

        package init() {}
    }

    let batches: any BatchService
    let calls: Calls<C>
    let options: ExecutorOptions
    /// Workflows per batch job.
    let batchSize: Int
    /// Job IDs are `<jobIDPrefix>-<n>`, n from 1.
    let jobIDPrefix: String
    let timing: Timing
    /// The job IDs started, for the summary and the progress display.
    let started: StartedBatchJobs
    /// Progress for the operator (a job started, how it ended).
    let note: @Sendable (String) -> Void

    /// An engine whose planning and reconciling calls go through `service` at `options.rate`.
    package init(
        service: any WorkflowService, batches: any BatchService, options: ExecutorOptions, clock: C, batchSize: Int,
        jobIDPrefix: String, timing: Timing = Timing(), started: StartedBatchJobs = StartedBatchJobs(),
        note: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.init(
            batches: batches, calls: Calls(service: service, options: options, clock: clock), options: options,
            batchSize: batchSize, jobIDPrefix: jobIDPrefix, timing: timing, started: started, note: note)
    }

    /// An engine sending through `calls`, which the follow-up stage shares.
    init(
        batches: any BatchService, calls: Calls<C>, options: ExecutorOptions, batchSize: Int, jobIDPrefix: String,
        timing: Timing = Timing(), started: StartedBatchJobs = StartedBatchJobs(),
        note: @escaping @Sendable (String) -> Void
    ) {
        self.batches = batches
        self.calls = calls
        self.options = options
        self.batchSize = max(1, batchSize)
        self.jobIDPrefix = jobIDPrefix
        self.timing = timing
        self.started = started
        self.note = note
    }

    package func run<Source: AsyncSequence, Sink: ReportSink>(_ jobs: Source, reportingTo reporter: Sink)
        async throws(SweepError) where Source.Element == Job
    {
        guard let action = options.action, !options.dryRun else {
            // Nothing is acted on: the client engine's dry run is the whole answer.
            try await Executor(calls: calls, options: options).run(jobs, reportingTo: reporter)
            return
        }
        var planning = options
        planning.dryRun = true
        let planner = Executor(calls: calls, options: planning)
        var iterator = jobs.makeAsyncIterator()
        var slice: [Job] = []
        var refusal: SweepError?
        while true {
            slice.removeAll(keepingCapacity: true)
            // A source that fails mid-slice ends the run, after the jobs it already handed out
            // are carried out and reported.
            var sourceFailure: SweepError?
            do {
                while slice.count < batchSize, !Task.isCancelled, let job = try await JobStream.next(&iterator) {
                    slice.append(job)
                }
            } catch {
                sourceFailure = error
            }
            if !slice.isEmpty {
                let planned = PlannedRows()
                try await planner.run(JobList(slice), reportingTo: planned)
                refusal = try await act(action, on: planned.rows, reportingTo: reporter)
            }
            if let sourceFailure { throw sourceFailure }
            if slice.isEmpty || Task.isCancelled || refusal != nil { break }
        }
        // Stopped, or ended early (the server refused a job, or a job ended unfinished): every job
        // the source still holds is accounted for, nothing sent for it.
        guard Task.isCancelled || refusal != nil else { return }
        try await JobStream.drain(
            &iterator, action: action,
            why: refusal == nil ? "stopped before it was sent" : "not sent: the run ended early (see its summary)",
            into: reporter)
        if let refusal { throw refusal }
    }

    /// Hands the planned runs of one slice to a batch job and records the slice's rows: at once
    /// those that need no action, the others (and the duplicates of those) once reconciled.
    /// - Returns: what ends the run: the server's refusal to start the job, or a job that did not
    ///   finish (stopped by someone else, failed on the server, or lost from sight).
    private func act(_ action: Action, on rows: [JobResult], reportingTo reporter: some ReportSink)
        async throws(SweepError) -> SweepError?
    {
        let toAct = rows.indices.filter { rows[$0].outcome == .dryRun(action) }
        let acted = Set(toAct.map { rows[$0].job.deduplicationKey })
        // Sets and one pass each: a slice is up to --batch-size (tens of thousands of) rows.
        let waits = Set(
            rows.indices.filter { index in
                rows[index].outcome == .dryRun(action)
                    || (rows[index].outcome == .duplicate && acted.contains(rows[index].job.deduplicationKey))
            })
        for index in rows.indices where !waits.contains(index) { try reporter.record(rows[index]) }
        var finals = rows
        func recordWaiting() throws(SweepError) {
            for index in rows.indices where waits.contains(index) { try reporter.record(finals[index]) }
        }
        guard !toAct.isEmpty else { return nil }
        if Task.isCancelled {
            for index in toAct { finals[index] = Self.unsent(rows[index], action, "stopped before it was sent") }
            try recordWaiting()
            return nil
        }
        let jobID = "\(jobIDPrefix)-\(started.count + 1)"
        // Each run once: two lines may name one run ("W" and "W,R"); each keeps its own row.
        var seen: Set<ExactKey> = []
        let executions = toAct.map { WorkflowTarget(workflowID: rows[$0].job.target.workflowID, runID: rows[$0].runID) }
            .filter { seen.insert(ExactKey(workflowID: $0.workflowID, runID: $0.runID)).inserted }
        let request = BatchRequest(
            jobID: jobID, action: action, reason: options.reason, executions: executions,
            operationsPerSecond: options.rate)
        let sentAt: Date
        switch await start(request) {
        case .started(let at):
            sentAt = at
        case .uncertain(let error, let reason):
            // It may have started after all: nothing can be said of these runs but that.
            for index in toAct {
                finals[index] = Self.unsent(rows[index], action, reason)
                finals[index].outcome = .failed
            }
            try recordWaiting()
            return error
        case .stopped:
            for index in toAct { finals[index] = Self.unsent(rows[index], action, "stopped before it was sent") }
            try recordWaiting()
            return nil
        case .refused(let error, let reason):
            // Nothing was started: these runs are untouched, and a resume retries them.
            for index in toAct {
                finals[index] = Self.unsent(rows[index], action, "batch job \(jobID) was not started: \(reason)")
            }
            try recordWaiting()
            return error
        }
        started.append(jobID, total: executions.count)
        note(
            "batch job \(jobID): \(action == .cancel ? "cancelling" : "terminating") \(executions.count) workflows on the server"
        )
        let ended = await follow(jobID)
        started.ended()
        // Reconciled even when stopped: the job may have acted on some before it stopped. Outside
        // the (perhaps cancelled) task: these are reads the report cannot do without.
        let reconciled = await Task { [self] in
            await settle(toAct.map { rows[$0] }, action: action, job: ended, sentAt: sentAt)
        }.value
        for (index, row) in zip(toAct, reconciled) { finals[index] = row }
        try recordWaiting()
        note(
            "batch job \(jobID): \(Self.describe(ended.job)); reconciled \(reconciled.count) runs: \(Self.count(reconciled))"
        )
        if let slow = Self.slowerThanAsked(ended, executions: executions.count, asked: options.rate) {
            note(slow)
        }
        switch ended.how {
        case .uncertain(let why):
            // Another job cannot start while this one may run: the run ends here.
            return SweepError(
                .server,
                "batch job \(jobID) \(why): it may still be acting; check it with sweep batch describe \(jobID) (or stop it with sweep batch stop \(jobID)), then --resume this report"
            )
        case .finished where ended.job?.state == .failed:
            // Stopped by someone (sweep batch stop, the UI) or failed on the server: not a reason
            // to start the next one.
            return SweepError(
                .server,
                "batch job \(jobID) ended unfinished (failed: stopped by someone else, or failed on the server; sweep batch describe \(jobID)); the run stops here; --resume this report to finish"
            )
        case .finished, .stopped:
            return nil
        }
    }

    /// When a job that ran by itself went well below `--rps`: why (the server's batcher sets its
    /// own pace), so that nobody waits for a rate the server does not apply.
    static func slowerThanAsked(_ ended: Ended, executions: Int, asked: Double) -> String? {
        guard case .finished = ended.how, let job = ended.job, let start = job.startTime, let close = job.closeTime
        else { return nil }
        let seconds = close.timeIntervalSince(start)
        let rate = Double(executions) / seconds
        guard seconds >= 2, rate < asked * 0.8 else { return nil }
        return
            "batch job \(job.jobID) ran at \(Int(rate.rounded())) workflows/s, below the \(Int(asked.rounded()))/s asked: the server's batcher sets its own pace (worker.batcherRPS, 50/s per namespace by default; servers since 1.29 do not read the request's rate); --engine client goes at --rps"
    }

    /// How a start ended.
    enum Start {
        /// Started; `at` is the client's time just before the call that started it.
        case started(at: Date)
        /// Stopped (the task cancelled) before the job was started.
        case stopped
        /// The server refused it: the whole-run error, and its words for the rows.
        case refused(SweepError, reason: String)
        /// A start whose answer was lost, and the job not found since: it may yet run.
        case uncertain(SweepError, reason: String)
    }

    /// Starts the job. Transient failures are retried under the run's policy (with the same job
    /// ID: the server refuses a second job under one ID), a namespace busy with another job for
    /// ``Timing/busyWait``. Any failure is checked against the job ID first: a start whose answer
    /// was lost may have landed.
    private func start(_ request: BatchRequest) async -> Start {
        let busyLimit = started.count == 0 ? timing.busyWait : timing.busyWaitAfterOwn
        let since = calls.clock.now
        // Whether some attempt may have landed without saying so (its answer lost or garbled).
        var ambiguous = false
        while true {
            var busy = false
            let at = Date()
            do {
                try await calls.retry.run(on: calls.clock) { () async throws(RPCError) in
                    do throws(RPCError) {
                        try await batches.startBatch(request)
                    } catch {
                        if isOurs(try? await batches.describeBatch(jobID: request.jobID), request) { return }
                        busy = error.message.lowercased().contains("max concurrent batch operations")
                        ambiguous = ambiguous || Self.ambiguousCodes.contains(error.code)
                        // Not retried by the policy: waited out below, for its own time.
                        if busy { throw RPCError(code: .failedPrecondition, message: error.message) }
                        throw error
                    }
                }
                return .started(at: at)
            } catch let error as RPCError {
                // Each failure was checked against the job ID at once; one that may have landed
                // unseen is looked for again, for a while.
                if ambiguous, await landed(request) { return .started(at: at) }
                if busy, since.duration(to: calls.clock.now) < busyLimit {
                    do {
                        try await calls.clock.sleep(for: .seconds(1))
                        continue
                    } catch {
                        if ambiguous, await landed(request) { return .started(at: at) }
                        return ambiguous ? uncertain(request, "stopped while its start was unanswered") : .stopped
                    }
                }
                guard !ambiguous else { return uncertain(request, error.description) }
                return .refused(Self.refusal(request, error, busy: busy), reason: error.message)
            } catch {
                // Stopped while retrying; a start in flight may still have landed (a stop then
                // stops it at once).
                if await landed(request) { return .started(at: at) }
                return ambiguous ? uncertain(request, "stopped while its start was unanswered") : .stopped
            }
        }
    }

    /// Codes after which a start may have landed though it did not say so.
    private static var ambiguousCodes: Set<RPCError.Code> {
        [
            // ALREADY_EXISTS: a retry (ours, or a proxy's) of a start that landed.
            .deadlineExceeded, .unavailable, .unknown, .internal, .cancelled, .alreadyExists,
        ]
    }

    private func uncertain(_ request: BatchRequest, _ why: String) -> Start {
        let jobID = request.jobID
        return .uncertain(
            SweepError(
                .server,
                "batch job \(jobID) may have started (its start went unanswered: \(why)) but cannot be found; check with sweep batch describe \(jobID) (or stop it with sweep batch stop \(jobID)), then --resume this report"
            ),
            reason:
                "batch job \(jobID) may have started (its start went unanswered) and may act on this run: sweep batch describe \(jobID)"
        )
    }

    /// Whether the job exists on the server and is this run's, asked outside the (perhaps
    /// cancelled) task, a few times over two seconds (a job just started may not show yet).
    private func landed(_ request: BatchRequest) async -> Bool {
        // A read, waited out like any other; once the run is stopping, for its attempts only, so
        // that three looks never take three retry windows.
        var policy = calls.retry.reading
        if Task.isCancelled { policy.retryWindow = .zero }
        return await Task { [self, policy] in
            for look in 0..<3 {
                if look > 0 { try? await calls.clock.sleep(for: .seconds(1)) }
                let job = try? await policy.run(on: calls.clock) { () async throws(RPCError) in
                    try await batches.describeBatch(jobID: request.jobID)
                }
                if isOurs(job, request) { return true }
            }
            return false
        }.value
    }

    /// A job under this ID that this run asked for: the ID carries the time and 32 random bits,
    /// and the reason and operation must match too.
    private func isOurs(_ job: BatchJob?, _ request: BatchRequest) -> Bool {
        guard let job else { return false }
        return job.reason == request.reason && (job.operation.isEmpty || job.operation == request.action.rawValue)
    }

    private static func refusal(_ request: BatchRequest, _ error: RPCError, busy: Bool) -> SweepError {
        if busy {
            return SweepError(
                .server,
                "the server refused batch job \(request.jobID): \(error.message): it runs one batch job per namespace at a time (frontend.MaxConcurrentBatchOperationPerNamespace); see sweep batch list, wait for the running job or stop it, then --resume this report"
            )
        }
        return SweepError(
            .server,
            "the server refused batch job \(request.jobID) (\(error)); nothing was done to its \(request.executions.count) workflows\(error.code == .invalidArgument ? "; a smaller --batch-size may fit the server's limits" : "")"
        )
    }

    /// How a followed job ended.
    struct Ended {
        enum How {
            /// It ended by itself (completed, or failed on the server).
            case finished
            /// sweep stopped it: the runs it did not reach are `not_attempted`.
            case stopped
            /// sweep could not stop it, or lost sight of it: it may still act, so open runs are `failed`.
            case uncertain(String)
        }

        var jobID: String
        var job: BatchJob?
        var how: How
        /// When the server took sweep's stop, or sweep saw the job end: what is open settles from
        /// then.
        var endedAt: C.Instant?
    }

    /// Describes the job until it ends; a stop (the task cancelled) stops it first.
    private func follow(_ jobID: String) async -> Ended {
        var last: BatchJob?
        var failingSince: C.Instant?
        // A small job ends within a second: looked at after 100 ms, then less often up to the
        // poll interval.
        var pause = min(timing.poll, .milliseconds(100))
        while true {
            do {
                try await calls.clock.sleep(for: pause)
                pause = min(timing.poll, pause * 2)
            } catch {
                return await stop(jobID, last: last)
            }
            do {
                let job = try await calls.retry.reading.run(on: calls.clock) { () async throws(RPCError) in
                    try await batches.describeBatch(jobID: jobID)
                }
                last = job
                started.update(job)
                if job.hasEnded { return Ended(jobID: jobID, job: job, how: .finished, endedAt: calls.clock.now) }
                // A state this client does not know, with no close time: followed as running,
                // but not for ever.
                if job.state == .unspecified {
                    throw RPCError(code: .unknown, message: "the server reports an unknown state")
                }
                failingSince = nil
            } catch let error as RPCError {
                let since = failingSince ?? calls.clock.now
                failingSince = since
                if since.duration(to: calls.clock.now) >= timing.lostAfter {
                    note(
                        "batch job \(jobID): lost sight of it (DescribeBatchOperation: \(error)); it may still be running"
                    )
                    return Ended(jobID: jobID, job: last, how: .uncertain("could not be followed (\(error))"))
                }
            } catch {
                return await stop(jobID, last: last)
            }
        }
    }

    /// Stops the job (outside the cancelled task) and waits, within ``Timing/stopGrace`` of the
    /// server taking the stop, for it to end.
    private func stop(_ jobID: String, last: BatchJob?) async -> Ended {
        let reason = "stopped by temporal-sweep (signal or --max-duration)"
        let result = await Task { [self] () -> StopResult in
            var alreadyEnded = false
            do {
                try await calls.retry.run(on: calls.clock) { () async throws(RPCError) in
                    do throws(RPCError) {
                        try await batches.stopBatch(jobID: jobID, reason: reason)
                    } catch {
                        guard error.code == .notFound, error.message.lowercased().contains("already completed")
                        else { throw error }
                        alreadyEnded = true
                    }
                }
            } catch {
                return .failed("\(error)")
            }
            let stoppedAt = calls.clock.now
            let deadline = stoppedAt.advanced(by: timing.stopGrace)
            var job = last
            while true {
                if let described = try? await batches.describeBatch(jobID: jobID) {
                    job = described
                    if described.hasEnded { break }
                }
                guard calls.clock.now < deadline else { return .stillRunning(job) }
                try? await calls.clock.sleep(for: .milliseconds(200))
            }
            return alreadyEnded ? .ended(job) : .stopped(job, at: stoppedAt)
        }.value
        switch result {
        case .stopped(let job, let at):
            note("batch job \(jobID): stopped (StopBatchOperation, reason: \(reason))")
            return Ended(jobID: jobID, job: job, how: .stopped, endedAt: at)
        case .ended(let job):
            return Ended(jobID: jobID, job: job, how: .finished, endedAt: calls.clock.now)
        case .failed(let failure):
            note(
                "batch job \(jobID): could not be stopped (\(failure)); it may go on acting: sweep batch stop \(jobID)")
            return Ended(jobID: jobID, job: last, how: .uncertain("could not be stopped (\(failure))"))
        case .stillRunning(let job):
            let grace = Int(timing.stopGrace.inSeconds)
            note("batch job \(jobID): still running \(grace) s after its stop")
            return Ended(jobID: jobID, job: job, how: .uncertain("was still running \(grace) s after its stop"))
        }
    }

    /// How a stop went.
    private enum StopResult: Sendable {
        case stopped(BatchJob?, at: C.Instant)
        /// It had ended by itself: nothing to stop.
        case ended(BatchJob?)
        case failed(String)
        /// Stopped, but still running at the end of the grace.
        case stillRunning(BatchJob?)
    }

    /// Each planned run as it stands once the job has done all it will do. A stopped (or failed)
    /// job's worker goes on acting until it next checks in with the server: the runs still open
    /// are described again, every ``Timing/settleInterval``, until a look finds none newly closed
    /// (and ``Timing/settleMinimum`` has passed since the stop), within ``Timing/stopGrace``. Only
    /// what is open then is `not_attempted` (sweep's stop) or `failed`.
    private func settle(_ rows: [JobResult], action: Action, job ended: Ended, sentAt: Date) async -> [JobResult] {
        var results = await reconcile(rows, action: action, job: ended, sentAt: sentAt)
        // A job that did not complete (stopped, by sweep or by someone else, or failed on the
        // server) may have a worker still acting: its open runs settle first.
        switch ended.how {
        case .stopped,
            .finished where ended.job?.state == .failed:
            break
        case .finished, .uncertain: return results
        }
        guard let since = ended.endedAt else { return results }
        let deadline = since.advanced(by: timing.stopGrace)
        let minimum = since.advanced(by: timing.settleMinimum)
        // Open and not acted on (a row that failed on a Describe's error is not looked at again).
        func isOpen(_ row: JobResult) -> Bool { [.notAttempted, .failed].contains(row.outcome) && row.code == nil }
        while calls.clock.now < deadline {
            let open = results.indices.filter { isOpen(results[$0]) }
            guard !open.isEmpty else { break }
            try? await calls.clock.sleep(for: timing.settleInterval)
            let again = await reconcile(open.map { rows[$0] }, action: action, job: ended, sentAt: sentAt)
            var changed = false
            for (index, row) in zip(open, again) {
                changed = changed || !isOpen(row)
                var row = row
                row.callsSent += results[index].callsSent - rows[index].callsSent
                results[index] = row
            }
            if !changed, calls.clock.now >= minimum { break }
        }
        return results
    }

    /// Each planned run as it stands now.
    private func reconcile(_ rows: [JobResult], action: Action, job ended: Ended, sentAt: Date) async -> [JobResult] {
        var results = rows
        let indexed = Array(rows.enumerated())
        _ = try? await forEachBounded(
            indexed, limit: options.concurrency,
            { item in
                await reconcile(item.element, action: action, job: ended, sentAt: sentAt)
            }
        ) { (item: (offset: Int, element: JobResult), row: JobResult) throws(SweepError) in
            results[item.offset] = row
        }
        return results
    }

    /// One planned run as it stands now. Reads, not paced (as a follow-up's checks are not): the
    /// concurrency bounds them.
    func reconcile(_ planned: JobResult, action: Action, job ended: Ended, sentAt: Date) async -> JobResult {
        let jobID = ended.jobID
        var attempt = JobAttempt<C.Instant>(job: planned.job, action: action)
        attempt.runID = planned.runID
        attempt.attempts = 1
        attempt.callsSent = planned.callsSent
        let target = WorkflowTarget(workflowID: planned.job.target.workflowID, runID: planned.runID)
        let described = await calls.describe(target, &attempt, pacing: .none)
        let elapsed = max(.zero, Duration.seconds(Date().timeIntervalSince(sentAt)))
        var result: JobResult
        switch described {
        case .failure(let failure) where failure.outcome == .notFound:
            result = attempt.finish(.notFound, message: "no longer found after batch job \(jobID)", elapsed: elapsed)
        case .failure(let failure):
            result = attempt.finish(
                .failed, message: "batch job \(jobID) ran; its outcome here is unknown: \(failure.message)",
                elapsed: elapsed)
            result.code = failure.error?.code
        case .success(let run):
            // When the job started, by the server's clock, as the run's close time is; else when the
            // client asked, less the skew between the clocks.
            let jobStart = ended.job?.startTime ?? sentAt.addingTimeInterval(-ExecutionDescription.clockSkew)
            var stopped = false
            if case .stopped = ended.how { stopped = true }
            let outcome = Self.outcome(of: run, action: action, jobStart: jobStart, stopped: stopped)
            var message = Self.message(of: run, outcome: outcome, action: action, jobID: jobID, ended: ended)
            var final = outcome
            if outcome == .alreadyClosed, let newer = await newerOpenRun(of: target, &attempt) {
                // Closed before the job reached it, and replaced: the new run was planned by nobody.
                final = .runChanged
                message =
                    "run is \(run.status.rawValue): closed before batch job \(jobID) reached it; a newer run \(newer.runID) is open and was not touched (run sweep again to act on it)"
            }
            result = attempt.finish(final, message: message, elapsed: elapsed)
            result.status = run.status
        }
        if result.outcome == .notAttempted { result.attempts = 0 }
        return result
    }

    /// The workflow's current run, when it is open and not `pinned` (described on an attempt of
    /// its own: what the row says of the pinned run stays the pinned run's).
    private func newerOpenRun(of pinned: WorkflowTarget, _ attempt: inout JobAttempt<C.Instant>) async
        -> ExecutionDescription?
    {
        var own = JobAttempt<C.Instant>(job: attempt.job, action: attempt.action)
        let described = await calls.describe(WorkflowTarget(workflowID: pinned.workflowID), &own, pacing: .none)
        attempt.callsSent += own.callsSent
        guard case .success(let current) = described, current.runID != pinned.runID, !current.status.isClosed
        else { return nil }
        return current
    }

    /// What the run's state says the job did.
    /// - Parameters:
    ///   - jobStart: when the job started (the server's clock), else when it was asked for.
    ///   - stopped: whether sweep stopped the job before it ended.
    package static func outcome(of run: ExecutionDescription, action: Action, jobStart: Date, stopped: Bool)
        -> Outcome
    {
        // Closed before the job started: it found the run closed.
        let closedBefore = run.closeTime.map { $0 < jobStart } ?? false
        switch action {
        case .terminate:
            if run.status == .terminated, !closedBefore { return .terminated }
            if run.status.isClosed { return .alreadyClosed }
        case .cancel:
            if run.cancelRequested, !closedBefore { return .cancelRequested }
            if run.status == .canceled, !closedBefore { return .cancelRequested }
            if run.status.isClosed { return .alreadyClosed }
        }
        // Still open and not acted on.
        return stopped ? .notAttempted : .failed
    }

    private static func message(
        of run: ExecutionDescription, outcome: Outcome, action: Action, jobID: String, ended: Ended
    ) -> String {
        switch outcome {
        case .terminated, .cancelRequested:
            return "by server batch job \(jobID)"
        case .alreadyClosed:
            return "run is \(run.status.rawValue); closed before batch job \(jobID) reached it"
        case .notAttempted:
            return "batch job \(jobID) was stopped before it reached this run"
        default:
            switch ended.how {
            case .uncertain(let why):
                return
                    "batch job \(jobID) \(why) while this run was still open: it may still act on it (sweep batch describe \(jobID))"
            case .finished, .stopped:
                let state = ended.job.map { $0.state.rawValue } ?? "unknown"
                return
                    "batch job \(jobID) ended (\(state)) but this run is still open\(action == .cancel ? " without a cancel request" : "")"
            }
        }
    }

    private static func unsent(_ planned: JobResult, _ action: Action, _ why: String) -> JobResult {
        var row = planned
        row.outcome = .notAttempted
        row.action = action
        row.message = why
        row.attempts = 0
        row.finishedAt = Date()
        return row
    }

    private static func describe(_ job: BatchJob?) -> String {
        guard let job else { return "state unknown" }
        return "\(job.state.rawValue), server counts \(job.complete) complete, \(job.failure) failed of \(job.total)"
    }

    private static func count(_ rows: [JobResult]) -> String {
        var tally: [Outcome: Int] = [:]
        for row in rows { tally[row.outcome, default: 0] += 1 }
        return Outcome.allCases.compactMap { outcome in tally[outcome].map { "\($0) \(outcome.rawValue)" } }
            .joined(separator: ", ")
    }
}

/// The batch job IDs a run started, in order, for its summary; and how far the one running now
/// is, for the progress display.
package final class StartedBatchJobs: Sendable {
    /// A running job as the server counts it (complete and failed operations; the batcher counts
    /// NOT_FOUND as complete).
    package struct Progress: Sendable, Hashable {
        package var jobID: String
        package var done: Int64
        package var total: Int

        package init(jobID: String, done: Int64, total: Int) {
            self.jobID = jobID
            self.done = done
            self.total = total
        }
    }

    private struct State {
        var jobs: [String] = []
        var running: Progress?
    }

    private let state = Mutex(State())

    package init() {}

    package var all: [String] { state.withLock { $0.jobs } }
    package var running: Progress? { state.withLock { $0.running } }
    var count: Int { state.withLock { $0.jobs.count } }

    func append(_ jobID: String, total: Int) {
        state.withLock {
            $0.jobs.append(jobID)
            $0.running = Progress(jobID: jobID, done: 0, total: total)
        }
    }

    func update(_ job: BatchJob) {
        state.withLock {
            guard $0.running?.jobID == job.jobID else { return }
            $0.running?.done = job.complete + job.failure
        }
    }

    func ended() { state.withLock { $0.running = nil } }
}

/// The rows a slice's plan produced, in the order they came (a duplicate after its first).
private final class PlannedRows: ReportSink {
    private let collected = Mutex<[JobResult]>([])

    var rows: [JobResult] { collected.withLock { $0 } }

    func record(_ result: JobResult) throws(SweepError) {
        collected.withLock { $0.append(result) }
    }
}

/// A slice of jobs, as the sequence the client engine plans.
private struct JobList: AsyncSequence, Sendable {
    typealias Element = Job
    let jobs: [Job]

    init(_ jobs: [Job]) {
        self.jobs = jobs
    }

    func makeAsyncIterator() -> Iterator { Iterator(base: jobs.makeIterator()) }

    struct Iterator: AsyncIteratorProtocol {
        var base: IndexingIterator<[Job]>
        mutating func next() async -> Job? { base.next() }
    }
}
