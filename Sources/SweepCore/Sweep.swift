import Foundation
import SweepGRPC

/// One `sweep cancel|terminate|apply` or `sweep plan` run, start to end: survey the job set,
/// check the server, guard and confirm, execute (stopping gracefully on a signal), follow up,
/// report, summarise.
package enum Sweep {
    /// Runs a sweep.
    /// - Returns: the summary (its `exitCode` is 0, 1, 4, or 128 + a signal); already printed.
    /// - Throws: ``SweepError`` for whole-run failures, before anything was sent (usage, input,
    ///   guards, unreachable server) or when the report cannot be written. Per-workflow failures
    ///   are `failed` rows, never thrown.
    package static func run(_ options: SweepOptions, console: some Console) async throws(SweepError) -> Summary {
        try await prepare(options, console: console) {
            (options, client, planner, startDate) async throws(SweepError) -> Summary in
            let followingUp = !options.followUp.isEmpty && !options.dryRun
            let journal = try options.resumeFrom.map { path throws(SweepError) in
                try ReportJournal(path: path, action: options.action)
            }
            let reporter = try openReport(options, journal: journal, at: startDate)
            let reportPath = reporter.path
            if let journal {
                console.say(
                    "resuming \(reportPath): \(journal.settledCount) workflows already settled are skipped"
                        + (journal.hadTornRow ? "; its torn last row was cut off and that workflow is retried" : ""))
            } else if reportPath != "-" {
                console.say("report: \(reportPath)")
            }
            let progress = SourceProgress()
            let jobs = planner.jobs(options.source, maximum: options.maxJobs, progress: progress).filter {
                journal?.isSettled($0) != true
            }
            let executor = makeExecutor(options, client: client, startDate: startDate, dryRun: options.dryRun)
            let collector = FollowUpCollector(reporter, now: { ContinuousClock().now })

            var interruptedBy: Int32?
            var failure: SweepError?
            do throws(SweepError) {
                if options.dryRun, reportPath != "-" {
                    // The exact runs it would touch: a table on a terminal, plan CSV otherwise.
                    let plan = try PlanWriter(path: "-", style: console.standardOutputIsTerminal ? .table : .csv)
                    interruptedBy = try await executeStoppably(console: console) { () async throws(SweepError) in
                        try await executor.run(jobs, reportingTo: TeeSink(reporter, plan))
                    }.interruptedBy
                } else if !followingUp {
                    interruptedBy = try await executeStoppably(console: console) { () async throws(SweepError) in
                        try await executor.run(jobs, reportingTo: reporter)
                    }.interruptedBy
                } else {
                    // Only a follow-up needs the runs acted on remembered (one entry per run).
                    interruptedBy = try await executeStoppably(console: console) { () async throws(SweepError) in
                        try await executor.run(jobs, reportingTo: collector)
                    }.interruptedBy
                }
            } catch {
                failure = error
            }

            var stillOpen = 0
            if failure == nil, interruptedBy == nil, followingUp {
                // What this run acted on, and what an earlier run acted on but did not see close
                // (followed up from when it was acted on, never acted on again).
                let acted = collector.collected + (journal.map(resumedFollowUps) ?? [])
                do throws(SweepError) {
                    let followed = try await executeStoppably(console: console) { () async throws(SweepError) in
                        try await followUp(executor, acted, options.followUp, reporter: reporter, console: console)
                    }
                    interruptedBy = followed.interruptedBy
                    stillOpen = followed.value ?? 0
                } catch {
                    failure = error
                }
            }
            reporter.sync()
            var summary = Summary(
                action: options.action, dryRun: options.dryRun, tally: reporter.tally, elapsed: .zero,
                clientCPU: .zero, reportPath: reportPath, interruptedBy: interruptedBy
            )
            summary.stillOpen = stillOpen
            summary.stoppedListing = progress.stoppedListing
            summary.overMax = progress.overMax ? options.maxJobs : nil
            summary.failure = failure
            summary.leftAloneEarlier = journal?.finalCount(of: .runChanged) ?? 0
            return summary
        }
    }

    /// The runs an earlier run acted on whose follow-up did not see them close, as the follow-up
    /// stage takes them: acted on when their row was written.
    private static func resumedFollowUps(_ journal: ReportJournal) -> [ActedRun<ContinuousClock.Instant>] {
        let now = ContinuousClock().now
        return journal.pendingFollowUps.map { pending in
            let age = pending.actedAt.map { max(0, Date().timeIntervalSince($0)) } ?? 0
            return ActedRun(
                job: Job(target: WorkflowTarget(workflowID: pending.target.workflowID)), runID: pending.target.runID,
                outcome: pending.outcome, actedAt: now.advanced(by: .zero - .seconds(age)))
        }
    }

    /// Opens the report: appended to (cut back to its last whole row) for `--resume`, replaced
    /// with `--overwrite`, else created new (an existing file is refused; a default name that is
    /// taken gets a suffix).
    private static func openReport(_ options: SweepOptions, journal: ReportJournal?, at date: Date)
        throws(SweepError) -> ReportWriter
    {
        if let resumeFrom = options.resumeFrom, let journal {
            return try ReportWriter(path: resumeFrom, mode: .append(validLength: journal.validLength))
        }
        if let path = options.reportPath {
            return try ReportWriter(path: path, mode: options.overwrite && path != "-" ? .overwrite : .create)
        }
        return try ReportWriter(path: "", mode: .createUnique(stem: options.defaultReportStem(at: date)))
    }

    /// `sweep plan`: resolves the job set to exact runs (Describe for IDs given without a run) and
    /// writes the plan; sends nothing but reads.
    /// - Returns: the summary, whose tally says what was left out (closed, not found, duplicate).
    package static func plan(_ options: SweepOptions, to path: String, console: some Console) async throws(SweepError)
        -> Summary
    {
        var options = options
        options.dryRun = true
        return try await prepare(options, console: console) {
            (options, client, planner, startDate) async throws(SweepError) -> Summary in
            let plan = try PlanWriter(
                path: path, style: path == "-" && console.standardOutputIsTerminal ? .table : .csv,
                overwrite: options.overwrite)
            let progress = SourceProgress()
            let jobs = planner.jobs(options.source, maximum: options.maxJobs, progress: progress)
            let executor = makeExecutor(options, client: client, startDate: startDate, dryRun: true)
            var failure: SweepError?
            var interruptedBy: Int32?
            do throws(SweepError) {
                interruptedBy = try await executeStoppably(console: console) { () async throws(SweepError) in
                    try await executor.run(jobs, reportingTo: plan)
                }.interruptedBy
            } catch {
                failure = error
            }
            let tally = plan.tally
            console.say(
                "plan: \(tally[.wouldCancel] + tally[.wouldTerminate]) runs to act on\(path == "-" ? "" : ", written to \(path)")"
            )
            var summary = Summary(
                action: options.action, dryRun: true, tally: tally, elapsed: .zero, clientCPU: .zero, reportPath: path,
                interruptedBy: interruptedBy)
            summary.stoppedListing = progress.stoppedListing
            summary.overMax = progress.overMax ? options.maxJobs : nil
            summary.failure = failure
            summary.isPlan = true
            return summary
        }
    }

    /// What every run does before acting: spool standard input, survey the source (a CSV before
    /// the server is asked), check the server, apply the guards, ask; then `body`; then time it.
    private static func prepare(
        _ options: SweepOptions,
        console: some Console,
        _ body: (SweepOptions, WorkflowServiceClient, Planner, Date) async throws(SweepError) -> Summary
    ) async throws(SweepError) -> Summary {
        var options = options
        let startDate = Date()
        let clock = ContinuousClock()

        try refuseReportAsInput(options)
        // Standard input, a pipe or a FIFO can be read once: copy it aside, validate it in full,
        // then stream it. A regular file is read twice in place.
        var spooled: (copy: String, original: String)?
        switch options.source {
        case .csvFile(let path) where InputSpool.needsSpooling(path):
            spooled = (try InputSpool.spool(path), path)
            options.source = .csvFile(path: spooled?.copy ?? path)
        case .planFile(let path) where InputSpool.needsSpooling(path):
            spooled = (try InputSpool.spool(path), path)
            options.source = .planFile(path: spooled?.copy ?? path)
        default:
            break
        }
        defer { if let spooled { try? FileManager.default.removeItem(atPath: spooled.copy) } }

        do {
            return try await withWorkflowServiceClient(options.connection) { client in
                let planner = Planner(service: client, retry: options.retry)
                var survey: Survey?
                if case .query = options.source {
                } else {
                    survey = try await planner.survey(options.source)
                }
                try await checkServer(client, planner: planner)
                if case .query = options.source {
                    survey = try await planner.survey(options.source)
                }
                let surveyed = survey ?? Survey(count: 0, preview: [])
                try guardSize(options, survey: surveyed, console: console)
                if surveyed.count == 0 {
                    console.say("\(options.source.label): nothing to \(options.verb)")
                }
                if surveyed.duplicates > 0 {
                    console.say(
                        "\(options.source.label): \(surveyed.duplicates) duplicate IDs will be reported duplicate and sent once"
                    )
                }
                // Time and CPU from here: the summary's rate is the sweep's, not the operator's typing.
                let start = clock.now
                let cpuAtStart = ProcessCPU.now()
                var summary = try await body(options, client, planner, startDate)
                summary.elapsed = start.duration(to: clock.now)
                summary.clientCPU = ProcessCPU.now() - cpuAtStart
                console.say(summary.text)
                return summary
            }
        } catch let error as SweepError {
            guard let spooled else { throw error }
            // Name the input the operator gave, not the private copy.
            var named = error
            named.message = error.message.replacingOccurrences(
                of: spooled.copy, with: spooled.original == "-" ? "standard input" : spooled.original)
            throw named
        } catch {
            throw SweepError(.server, "\(error)")
        }
    }

    /// The report is written while the input is read: one file as both would be emptied
    /// (`--overwrite`) or would grow as it is read (`--resume`).
    private static func refuseReportAsInput(_ options: SweepOptions) throws(SweepError) {
        guard let report = options.resumeFrom ?? options.reportPath, report != "-" else { return }
        let input: String
        switch options.source {
        case .csvFile(let path), .planFile(let path): input = path
        case .query, .workflowIDs: return
        }
        var inputStatus = stat()
        var reportStatus = stat()
        guard stat(input, &inputStatus) == 0, stat(report, &reportStatus) == 0,
            inputStatus.st_dev == reportStatus.st_dev, inputStatus.st_ino == reportStatus.st_ino
        else { return }
        throw SweepError(
            .usage,
            "\(input) is both the input and the report; write the report elsewhere (to act on a report's workflows, copy it first)"
        )
    }

    private static func makeExecutor(
        _ options: SweepOptions, client: WorkflowServiceClient, startDate: Date, dryRun: Bool
    ) -> Executor<ContinuousClock> {
        Executor(
            service: client,
            options: ExecutorOptions(
                action: options.action,
                reason: options.effectiveReason(at: startDate),
                rate: options.rate,
                concurrency: options.concurrency,
                maxAttempts: options.maxAttempts,
                retryWindow: options.retryWindow,
                dryRun: dryRun,
                chain: options.chain
            ),
            clock: ContinuousClock()
        )
    }

    /// Escalation, then waiting, for the runs the first pass acted on.
    /// - Returns: how many were still open when `--wait` gave up.
    private static func followUp(
        _ executor: Executor<ContinuousClock>,
        _ acted: [ActedRun<ContinuousClock.Instant>],
        _ options: FollowUpOptions,
        reporter: ReportWriter,
        console: some Console
    ) async throws(SweepError) -> Int {
        var pending = acted
        if let grace = options.escalateAfter {
            let cancelled = pending.filter { $0.outcome == .cancelRequested }
            console.say(
                "escalation: terminating what is still open \(grace.inSeconds) s after its cancel request (\(cancelled.count) runs)"
            )
            pending = try await executor.escalate(
                cancelled, after: grace, pollInterval: options.pollInterval, reportingTo: reporter)
        }
        guard let timeout = options.waitTimeout, !pending.isEmpty else { return 0 }
        console.say("waiting up to \(timeout.inSeconds) s for \(pending.count) runs to close")
        return try await executor.waitForClose(
            pending, timeout: timeout, pollInterval: options.pollInterval, reportingTo: reporter)
    }

    /// Runs `work` while watching for SIGINT/SIGTERM; the first signal cancels it (a graceful
    /// stop), a second one ends the process.
    /// - Returns: the signal that stopped it, or `nil` if it ran to the end.
    @discardableResult
    static func executeStoppably<Value: Sendable>(
        console: some Console,
        _ work: @escaping @Sendable () async throws(SweepError) -> Value
    ) async throws(SweepError) -> (value: Value?, interruptedBy: Int32?) {
        var interruptedBy: Int32?
        var outcome: Result<Value, SweepError>?
        await withTaskGroup(of: StopEvent<Value>.self) { group in
            group.addTask {
                do throws(SweepError) {
                    return .finished(.success(try await work()))
                } catch {
                    return .finished(.failure(error))
                }
            }
            group.addTask { .signal(await StopSignals.first()) }
            while let event = await group.next() {
                switch event {
                case .signal(let number?):
                    interruptedBy = number
                    console.say("stopping: no new workflows; letting calls in flight finish (signal again to exit now)")
                    group.cancelAll()
                case .signal(nil):
                    break
                case .finished(let result):
                    outcome = result
                    group.cancelAll()
                }
            }
        }
        return (try outcome?.get(), interruptedBy)
    }

    /// Checks that the server answers and that the namespace exists, before anything is sent.
    static func checkServer(_ client: WorkflowServiceClient, planner: Planner) async throws(SweepError) {
        do {
            _ = try await client.systemInfo()
        } catch {
            throw SweepError(
                .unreachable,
                "cannot reach the Temporal server at \(client.options.address): \(error); check --address and that the server is up",
                cause: error
            )
        }
        do {
            _ = try await planner.retrying { () async throws(RPCError) in try await client.count(query: "") }
        } catch {
            throw Planner.planningError(error, what: "namespace \(client.options.namespace)")
        }
    }

    /// The guards: `--max`; for a query, confirmation (and, above 1,000 matches without `--max`,
    /// the namespace typed back); off a terminal, a query needs `--yes` (and `--max` when large).
    static func guardSize(_ options: SweepOptions, survey: Survey, console: some Console) throws(SweepError) {
        let verb = options.verb
        if let max = options.maxJobs, survey.count > max {
            throw SweepError(.usage, "the job set has \(survey.count) workflows, over --max \(max); nothing was sent")
        }
        guard case .query = options.source, !options.dryRun else { return }
        let namespace = options.connection.namespace
        let large = survey.count > SweepOptions.largeQueryThreshold && options.maxJobs == nil
        if options.assumeYes {
            guard !large else {
                throw SweepError(
                    .usage,
                    "the query matches \(survey.count) workflows (over \(SweepOptions.largeQueryThreshold)); add --max \(survey.count) to confirm the size, or narrow the query; nothing was sent"
                )
            }
            return
        }
        guard console.isInteractive else {
            throw SweepError(
                .usage,
                "refusing to \(verb) \(survey.count) workflows matched by a query without --yes\(large ? " and --max" : "") (no terminal to confirm on); preview with --dry-run, then add --yes"
            )
        }
        console.say(
            "The query matches \(survey.count) workflows in namespace \(namespace). First \(survey.preview.count):")
        for job in survey.preview {
            // Escaped: a control character in an ID must not rewrite what the operator confirms.
            let fields = [job.target.workflowID, job.target.runID ?? "", job.workflowType ?? ""]
            console.say("  " + fields.map(\.escapedForTerminal).joined(separator: "  "))
        }
        if large {
            let answer = console.ask(
                "That is more than \(SweepOptions.largeQueryThreshold). Type the namespace (\(namespace)) to \(verb) them: "
            )
            guard answer?.trimmingSpaces == namespace else {
                throw SweepError(.usage, "the namespace was not typed back; nothing was sent")
            }
        } else {
            let answer = console.ask("\(verb.capitalized) them? Type 'yes' to continue: ")
            guard answer?.trimmingSpaces.lowercased() == "yes" else {
                throw SweepError(.usage, "not confirmed; nothing was sent")
            }
        }
    }
}

/// What ends a stoppable piece of work: its own end, or a stop signal.
private enum StopEvent<Value: Sendable>: Sendable {
    case finished(Result<Value, SweepError>)
    case signal(Int32?)
}
