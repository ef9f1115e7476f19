package import Foundation
import SweepGRPC
import Synchronization

/// `--engine server`: Temporal's own batch engine does the acting, sweep keeps the per-workflow
/// report.
///
/// The job set is taken in slices of ``batchSize``. For each slice:
/// 1. **Plan**: the client engine's dry run (through the run's calls: the same resolution, the same
///    `already_closed`, `not_found`, `duplicate` and `run_changed` rows) pins the exact run of each
///    workflow to act on.
/// 2. **Act**: one StartBatchOperation with exactly those runs (never a query: what the server
///    touches is what was planned), then DescribeBatchOperation until the job ends. The server
///    allows one running batch job per namespace by default, so slices run one after another.
/// 3. **Reconcile**: the batcher only counts (and counts NOT_FOUND and "already completed" as
///    success), so every run handed to it is described: `terminated` or `cancel_requested` when the
///    run shows it, `already_closed` when it closed before the job reached it, `not_attempted`
///    when a stop ended the job first (`--resume` retries those), `failed` otherwise.
/// 4. The slice's rows are recorded in the plan's order (a duplicate after its first occurrence).
///
/// A stop (the task cancelled) while a job runs stops it (StopBatchOperation, with a reason),
/// waits for it to end, and reconciles what it did; the rest of the source is `not_attempted`.
package struct ServerBatchEngine<C: Clock>: SweepEngine where C.Duration == Duration {
    let batches: any BatchService
    let calls: Calls<C>
    let options: ExecutorOptions
    /// Workflows per batch job.
    let batchSize: Int
    /// Job IDs are `<jobIDPrefix>-<n>`, n from 1.
    let jobIDPrefix: String
    /// How often a running job is described.
    let pollInterval: Duration
    /// How long a stopped job is given to end, and its runs to settle, before what is still open
    /// is reported `not_attempted`.
    let stopGrace: Duration
    /// How long a stopped job's open runs are left between two looks.
    let settleInterval: Duration
    /// How long a start refused because a batch job is running in the namespace is retried (the
    /// job before, just ended, may still count as running for a moment).
    let busyWait: Duration
    /// The job IDs started, for the summary.
    let started: StartedBatchJobs
    /// Progress for the operator (a job started, how far it is, how it ended).
    let note: @Sendable (String) -> Void

    /// An engine whose planning and reconciling calls go through `service` at `options.rate`.
    package init(
        service: any WorkflowService, batches: any BatchService, options: ExecutorOptions, clock: C, batchSize: Int,
        jobIDPrefix: String, pollInterval: Duration = .seconds(1), stopGrace: Duration = .seconds(60),
        settleInterval: Duration = .seconds(3), busyWait: Duration = .seconds(10),
        started: StartedBatchJobs = StartedBatchJobs(),
        note: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.init(
            batches: batches, calls: Calls(service: service, options: options, clock: clock), options: options,
            batchSize: batchSize, jobIDPrefix: jobIDPrefix, pollInterval: pollInterval, stopGrace: stopGrace,
            settleInterval: settleInterval, busyWait: busyWait, started: started, note: note)
    }

    /// An engine sending through `calls`, which the follow-up stage shares.
    init(
        batches: any BatchService, calls: Calls<C>, options: ExecutorOptions, batchSize: Int, jobIDPrefix: String,
        pollInterval: Duration = .seconds(1), stopGrace: Duration = .seconds(60),
        settleInterval: Duration = .seconds(3),
        busyWait: Duration = .seconds(10), started: StartedBatchJobs = StartedBatchJobs(),
        note: @escaping @Sendable (String) -> Void
    ) {
        self.batches = batches
        self.calls = calls
        self.options = options
        self.batchSize = max(1, batchSize)
        self.jobIDPrefix = jobIDPrefix
        self.pollInterval = pollInterval
        self.stopGrace = stopGrace
        self.settleInterval = settleInterval
        self.busyWait = busyWait
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
        while true {
            slice.removeAll(keepingCapacity: true)
            // A source that fails mid-slice ends the run, after the jobs it already handed out
            // are carried out and reported.
            var sourceFailure: SweepError?
            do {
                while slice.count < batchSize, !Task.isCancelled, let job = try await Self.next(&iterator) {
                    slice.append(job)
                }
            } catch {
                sourceFailure = error
            }
            if !slice.isEmpty {
                let planned = PlannedRows()
                try await planner.run(JobList(slice), reportingTo: planned)
                try await act(action, on: planned.rows, reportingTo: reporter)
            }
            if let sourceFailure { throw sourceFailure }
            if slice.isEmpty || Task.isCancelled { break }
        }
        // Stopped: every job the source still holds is accounted for, nothing sent for it.
        guard Task.isCancelled else { return }
        while let job = try await Self.next(&iterator) {
            try reporter.record(
                JobAttempt<C.Instant>(job: job, action: action).finish(
                    job.isDuplicate ? .duplicate : .notAttempted,
                    message: job.isDuplicate
                        ? "listed earlier in the input; acted on once" : "stopped before it was sent",
                    elapsed: .zero))
        }
    }

    /// Hands the planned runs of one slice to a batch job, reconciles them, and records the
    /// slice's rows in the plan's order.
    private func act(_ action: Action, on rows: [JobResult], reportingTo reporter: some ReportSink)
        async throws(SweepError)
    {
        let toAct = rows.indices.filter { rows[$0].outcome == .dryRun(action) }
        var finals = rows
        guard !toAct.isEmpty else {
            for row in rows { try reporter.record(row) }
            return
        }
        if Task.isCancelled {
            for index in toAct { finals[index] = Self.unsent(rows[index], action, "stopped before it was sent") }
            for row in finals { try reporter.record(row) }
            return
        }
        let jobID = "\(jobIDPrefix)-\(started.count + 1)"
        let executions = toAct.map { WorkflowTarget(workflowID: rows[$0].job.target.workflowID, runID: rows[$0].runID) }
        let request = BatchRequest(
            jobID: jobID, action: action, reason: options.reason, executions: executions,
            operationsPerSecond: options.rate)
        let sentAt = Date()
        if let refusal = await start(request) {
            // Nothing was started: these runs are untouched, and a resume retries them.
            for index in toAct {
                finals[index] = Self.unsent(
                    rows[index], action, "batch job \(jobID) was not started: \(refusal.reason)")
            }
            for row in finals { try reporter.record(row) }
            throw refusal.error
        }
        started.append(jobID, total: executions.count)
        note(
            "batch job \(jobID): \(action == .cancel ? "cancelling" : "terminating") \(executions.count) workflows on the server"
        )
        let ended = await follow(jobID, total: executions.count)
        started.ended()
        // Reconciled even when stopped: the job may have acted on some before it stopped.
        let reconciled = await Task { [self] in
            await settle(toAct.map { rows[$0] }, action: action, job: ended, sentAt: sentAt)
        }.value
        for (index, row) in zip(toAct, reconciled) { finals[index] = row }
        for row in finals { try reporter.record(row) }
        note(
            "batch job \(jobID): \(Self.describe(ended.job)); reconciled \(reconciled.count) runs: \(Self.count(reconciled))"
        )
        if let slow = Self.slowerThanAsked(ended, executions: executions.count, asked: options.rate) {
            note(slow)
        }
    }

    /// When a job that ran by itself went well below `--rps`: why (the server's batcher sets its
    /// own pace), so that nobody waits for a rate the server does not apply.
    static func slowerThanAsked(_ ended: Ended, executions: Int, asked: Double) -> String? {
        guard !ended.stopped, let job = ended.job, let start = job.startTime, let close = job.closeTime else {
            return nil
        }
        let seconds = close.timeIntervalSince(start)
        let rate = Double(executions) / seconds
        guard seconds >= 2, rate < asked * 0.8 else { return nil }
        return
            "batch job \(job.jobID) ran at \(Int(rate.rounded())) workflows/s, below the \(Int(asked.rounded()))/s asked: the server's batcher sets its own pace (worker.batcherRPS, 50/s per namespace by default; servers since 1.29 do not read the request's rate); --engine client goes at --rps"
    }

    /// Starts the job, retrying what is transient (a start that may have landed is checked first).
    /// - Returns: the whole-run error when the server refused it (and the server's words, for the
    ///   rows), else `nil`.
    private func start(_ request: BatchRequest) async -> (error: SweepError, reason: String)? {
        var concurrentLimit = false
        let busySince = calls.clock.now
        do {
            try await calls.retry.run(on: calls.clock) { () async throws(RPCError) in
                do throws(RPCError) {
                    try await batches.startBatch(request)
                } catch {
                    if error.message.lowercased().contains("max concurrent batch operations") {
                        // Waited out briefly (the job before may still count as running), not
                        // longer: another job, perhaps another operator's, holds the namespace.
                        concurrentLimit = true
                        guard busySince.duration(to: calls.clock.now) >= busyWait else { throw error }
                        throw RPCError(code: .failedPrecondition, message: error.message)
                    }
                    // A start that timed out may have landed: the job ID says.
                    if [.unavailable, .deadlineExceeded].contains(error.code),
                        (try? await batches.describeBatch(jobID: request.jobID)) != nil
                    {
                        return
                    }
                    throw error
                }
            }
            return nil
        } catch let error as RPCError {
            if concurrentLimit {
                return (
                    SweepError(
                        .server,
                        "the server refused batch job \(request.jobID): \(error.message): it runs one batch job per namespace at a time (frontend.MaxConcurrentBatchOperationPerNamespace); see sweep batch list, wait for the running job or stop it, then --resume this report"
                    ), error.message
                )
            }
            return (
                SweepError(
                    .server,
                    "the server refused batch job \(request.jobID) (\(error)); nothing was done to its \(request.executions.count) workflows\(error.code == .invalidArgument ? "; a smaller --batch-size may fit the server's limits" : "")"
                ), error.description
            )
        } catch {
            return (SweepError(.server, "batch job \(request.jobID) was not started: stopped"), "stopped")
        }
    }

    /// How a followed job ended, and whether sweep stopped it.
    struct Ended {
        var job: BatchJob?
        var stopped: Bool
    }

    /// Describes the job until it ends; a stop (the task cancelled) stops it first.
    private func follow(_ jobID: String, total: Int) async -> Ended {
        var lastNote = calls.clock.now
        var last: BatchJob?
        // A small job ends within a second: looked at after 100 ms, then less often up to the
        // poll interval.
        var pause = min(pollInterval, .milliseconds(100))
        while true {
            do {
                try await calls.clock.sleep(for: pause)
                pause = min(pollInterval, pause * 2)
            } catch {
                return await stop(jobID, last: last)
            }
            guard
                let job = try? await calls.retry.run(
                    on: calls.clock,
                    { () async throws(RPCError) in
                        try await batches.describeBatch(jobID: jobID)
                    })
            else {
                if Task.isCancelled { return await stop(jobID, last: last) }
                continue
            }
            last = job
            started.update(job)
            if !job.isRunning { return Ended(job: job, stopped: false) }
            if lastNote.duration(to: calls.clock.now) >= .seconds(10) {
                lastNote = calls.clock.now
                note("batch job \(jobID): \(job.complete + job.failure) of \(total) done")
            }
        }
    }

    /// Stops the job (outside the cancelled task) and waits, up to ``stopGrace``, for it to end.
    private func stop(_ jobID: String, last: BatchJob?) async -> Ended {
        let reason = "stopped by temporal-sweep (signal or --max-duration)"
        let stopped = await Task { [self] () -> BatchJob? in
            _ = try? await calls.retry.run(on: calls.clock) { () async throws(RPCError) in
                try await batches.stopBatch(jobID: jobID, reason: reason)
            }
            let deadline = calls.clock.now.advanced(by: stopGrace)
            var job = last
            while calls.clock.now < deadline {
                if let described = try? await batches.describeBatch(jobID: jobID) {
                    job = described
                    if !described.isRunning { break }
                }
                try? await calls.clock.sleep(for: .milliseconds(200))
            }
            return job
        }.value
        note("batch job \(jobID): stopped (StopBatchOperation, reason: \(reason))")
        return Ended(job: stopped, stopped: true)
    }

    /// Each planned run as it stands once the job has done all it will do. A stopped job's
    /// worker goes on acting until it next checks in with the server (about 8 s on the dev
    /// server): the runs still open are described again, every ``settleInterval``, until a round
    /// finds none newly closed (or ``stopGrace`` is over). Only what is open then is
    /// `not_attempted`.
    private func settle(_ rows: [JobResult], action: Action, job ended: Ended, sentAt: Date) async -> [JobResult] {
        var results = await reconcile(rows, action: action, job: ended, sentAt: sentAt)
        guard ended.stopped else { return results }
        let deadline = calls.clock.now.advanced(by: stopGrace)
        while calls.clock.now < deadline {
            let open = results.indices.filter { results[$0].outcome == .notAttempted }
            guard !open.isEmpty else { break }
            try? await calls.clock.sleep(for: settleInterval)
            let again = await reconcile(open.map { rows[$0] }, action: action, job: ended, sentAt: sentAt)
            var changed = false
            for (index, row) in zip(open, again) {
                changed = changed || row.outcome != .notAttempted
                results[index] = row
            }
            if !changed { break }
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

    /// One planned run as it stands now.
    func reconcile(_ planned: JobResult, action: Action, job ended: Ended, sentAt: Date) async -> JobResult {
        let jobID = ended.job?.jobID ?? "?"
        var attempt = JobAttempt<C.Instant>(job: planned.job, action: action)
        attempt.runID = planned.runID
        attempt.attempts = 1
        attempt.callsSent = planned.callsSent
        let target = WorkflowTarget(workflowID: planned.job.target.workflowID, runID: planned.runID)
        let described = await calls.describe(target, &attempt, pacing: .every)
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
            result = attempt.finish(
                Self.outcome(of: run, action: action, jobStart: ended.job?.startTime ?? sentAt, stopped: ended.stopped),
                message: "", elapsed: elapsed)
            result.message = Self.message(of: run, outcome: result.outcome, action: action, jobID: jobID, ended: ended)
            result.status = run.status
            if run.status.isClosed { result.finalStatus = run.status }
        }
        result.callsSent = attempt.callsSent
        if result.outcome == .notAttempted { result.attempts = 0 }
        return result
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
            let state = ended.job.map { $0.state.rawValue } ?? "unknown"
            return
                "batch job \(jobID) ended (\(state)) but this run is still open\(action == .cancel ? " without a cancel request" : "")"
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

    /// The source's next job; a failing source is a whole-run failure.
    private static func next<Iterator: AsyncIteratorProtocol>(_ iterator: inout Iterator) async throws(SweepError)
        -> Job? where Iterator.Element == Job
    {
        do {
            return try await iterator.next()
        } catch let error as SweepError {
            throw error
        } catch {
            throw SweepError(.input, "reading the job set failed: \(error)")
        }
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
