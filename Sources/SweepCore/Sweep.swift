import Foundation
import SweepGRPC

/// One `sweep cancel|terminate` run, start to end: survey the job set, check the server, confirm,
/// execute (stopping gracefully on a signal), report, summarise.
package enum Sweep {
    /// Runs a sweep.
    /// - Returns: the summary (its `exitCode` is 0, 1, or 128 + a signal); the summary is already printed.
    /// - Throws: ``SweepError`` for whole-run failures, before anything was sent (usage, input,
    ///   unreachable server) or when the report cannot be written. Per-workflow failures are
    ///   `failed` rows, never thrown.
    package static func run(_ options: SweepOptions, console: some Console) async throws(SweepError) -> Summary {
        var options = options
        let startDate = Date()
        let cpuAtStart = ProcessCPU.now()
        let clock = ContinuousClock()
        let start = clock.now

        // Standard input can be read once: copy it aside, validate it in full, then stream it.
        var spooled: String?
        if case .csvFile(let path) = options.source, path == "-" {
            let copy = try StandardInputSpool.spool()
            spooled = copy
            options.source = .csvFile(path: copy)
        }
        defer { if let spooled { try? FileManager.default.removeItem(atPath: spooled) } }

        let journal = try options.resumeFrom.map { path throws(SweepError) in try ReportJournal(path: path, action: options.action) }

        do {
            return try await withWorkflowServiceClient(options.connection) { client in
                // A CSV or ID list is checked to the end before the server is even asked.
                let planner = Planner(service: client)
                var survey: Survey?
                if case .query = options.source {} else {
                    survey = try await planner.survey(options.source)
                }
                try await checkServer(client)
                if case .query = options.source {
                    let counted = try await planner.survey(options.source)
                    survey = counted
                    if !options.dryRun {
                        try confirm(options, survey: counted, console: console)
                    }
                }
                if survey?.count == 0 {
                    console.say("\(options.source.label): nothing to \(options.action.rawValue)")
                }

                let reportPath = options.effectiveReportPath(at: startDate)
                let reporter = try ReportWriter(path: reportPath, appending: journal != nil)
                if let journal {
                    console.say("resuming \(reportPath): \(journal.settled.count) workflows already settled are skipped")
                } else if reportPath != "-" {
                    console.say("report: \(reportPath)")
                }
                let executor = Executor(
                    service: client,
                    options: ExecutorOptions(
                        action: options.action,
                        reason: options.effectiveReason(at: startDate),
                        rate: options.rate,
                        concurrency: options.concurrency,
                        maxAttempts: options.maxAttempts,
                        retryWindow: options.retryWindow,
                        dryRun: options.dryRun
                    ),
                    clock: clock
                )
                let settled = journal?.settled ?? []
                let jobs = planner.jobs(options.source).filter { !settled.contains($0.target.workflowID) }
                let interruptedBy = try await executeStoppably(executor, jobs, reporter, console: console)
                reporter.sync()
                let summary = Summary(
                    action: options.action,
                    dryRun: options.dryRun,
                    tally: reporter.tally,
                    elapsed: start.duration(to: clock.now),
                    clientCPU: ProcessCPU.now() - cpuAtStart,
                    reportPath: reportPath,
                    interruptedBy: interruptedBy
                )
                console.say(summary.text)
                return summary
            }
        } catch let error as SweepError {
            throw error
        } catch {
            throw SweepError(.server, "\(error)")
        }
    }

    /// Runs the executor while watching for SIGINT/SIGTERM; the first signal cancels the executor
    /// (a graceful stop), a second one ends the process.
    /// - Returns: the signal that stopped the run, or `nil` if it ran to the end.
    static func executeStoppably(
        _ executor: Executor<ContinuousClock>,
        _ jobs: some AsyncSequence<Job, any Error> & Sendable,
        _ reporter: ReportWriter,
        console: some Console
    ) async throws(SweepError) -> Int32? {
        var interruptedBy: Int32?
        var outcome: Result<Void, SweepError> = .success(())
        await withTaskGroup(of: StopEvent.self) { group in
            group.addTask {
                do throws(SweepError) {
                    try await executor.run(jobs, reportingTo: reporter)
                    return .finished(.success(()))
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
        try outcome.get()
        return interruptedBy
    }

    /// Checks that the server answers and that the namespace exists, before anything is sent.
    static func checkServer(_ client: WorkflowServiceClient) async throws(SweepError) {
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
            _ = try await Planner.withVisibilityRetries { () async throws(RPCError) in try await client.count(query: "") }
        } catch {
            throw Planner.planningError(error, what: "namespace \(client.options.namespace)")
        }
    }

    /// For a query: show what it matches and ask; off a terminal, refuse without `--yes`.
    static func confirm(_ options: SweepOptions, survey: Survey, console: some Console) throws(SweepError) {
        guard !options.assumeYes else { return }
        let verb = options.action.rawValue
        let namespace = options.connection.namespace
        guard console.isInteractive else {
            throw SweepError(
                .usage,
                "refusing to \(verb) \(survey.count) workflows matched by a query without --yes (no terminal to confirm on); preview with --dry-run, then add --yes"
            )
        }
        console.say("The query matches \(survey.count) workflows in namespace \(namespace). First \(survey.preview.count):")
        for job in survey.preview {
            console.say("  \(job.target.workflowID)  \(job.target.runID ?? "")  \(job.workflowType ?? "")")
        }
        let answer = console.ask("\(verb.capitalized) them? Type 'yes' to continue: ")
        guard answer?.trimmingSpaces.lowercased() == "yes" else {
            throw SweepError(.usage, "not confirmed; nothing was sent")
        }
    }
}

/// What ends the executor's run: its own end, or a stop signal.
private enum StopEvent: Sendable {
    case finished(Result<Void, SweepError>)
    case signal(Int32?)
}
