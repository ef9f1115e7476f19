import Foundation
import SweepCSV
import SweepCore
import SweepGRPC
import Synchronization
import Testing

/// Rows a sink received, in order.
final class CollectingSink: ReportSink {
    private let results = Mutex<[JobResult]>([])
    var rows: [JobResult] { results.withLock { $0 } }
    func record(_ result: JobResult) throws(SweepError) { results.withLock { $0.append(result) } }
}

@Suite("Executor: nothing lands on the wrong run")
struct ExecutorTargetTests {
    private func terminator(_ service: ScriptedWorkflowService, clock: ManualClock = ManualClock()) -> Executor<
        ManualClock
    > {
        Executor(service: service, options: ExecutorOptions(action: .terminate, reason: "r", rate: 1e6), clock: clock)
    }

    @Test("an unpinned terminate that timed out is pinned to the run that was open before it, then retried")
    func ambiguousThenPinned() async {
        let service = ScriptedWorkflowService(scripts: ["w1": [RPCError(code: .deadlineExceeded, message: "slow")]])
        let result = await terminator(service).perform(Job(target: WorkflowTarget(workflowID: "w1")))
        #expect(result.outcome == .terminated)
        #expect(result.runID == "run-of-w1")
        #expect(service.calls == ["terminate w1", "describe w1", "terminate w1"])
    }

    @Test("after an ambiguous failure, a run started since the call is a new run: left alone, run_changed")
    func ambiguousNewRun() async {
        let service = ScriptedWorkflowService(
            scripts: ["w1": [RPCError(code: .unavailable, message: "connection reset")]],
            startTimes: ["w1": Date(timeIntervalSinceNow: 30)])
        let result = await terminator(service).perform(Job(target: WorkflowTarget(workflowID: "w1")))
        #expect(result.outcome == .runChanged)
        #expect(service.calls.filter { $0.hasPrefix("terminate") } == ["terminate w1"])
    }

    @Test("after an ambiguous failure, a run closed long before the call was not ours: already_closed")
    func ambiguousClosedLongAgo() async {
        let service = ScriptedWorkflowService(
            scripts: ["w1": [RPCError(code: .unavailable, message: "cut")]], statuses: ["w1": .terminated])
        let result = await terminator(service).perform(Job(target: WorkflowTarget(workflowID: "w1")))
        #expect(result.outcome == .alreadyClosed)
    }

    @Test(
        "a pinned terminate retried after a dropped connection: 'already completed' is ours when Describe says so",
        // "Just now" is a close time after the first call however slowly the test runs (ASan, load).
        arguments: [
            (Date(timeIntervalSinceNow: 60), Outcome.terminated), (Date(timeIntervalSinceNow: -86400), .alreadyClosed),
        ])
    func pinnedRetryConfirmed(closedAt: Date, outcome: Outcome) async {
        let service = ScriptedWorkflowService(
            scripts: [
                "w1": [
                    RPCError(code: .unavailable, message: "cut"),
                    RPCError(code: .notFound, message: "workflow execution already completed"),
                ]
            ],
            statuses: ["w1": .terminated], closeTimes: ["w1": closedAt])
        let result = await terminator(service).perform(
            Job(target: WorkflowTarget(workflowID: "w1", runID: "run-of-w1")))
        #expect(result.outcome == outcome)
        #expect(service.calls.filter { $0.hasPrefix("terminate") }.count == 2)
    }

    @Test(
        "a cancel whose first attempt landed before the connection dropped is cancel_requested, confirmed by Describe")
    func cancelLandedThenFailed() async {
        let service = ScriptedWorkflowService(
            scripts: [
                "w1": [
                    RPCError(code: .deadlineExceeded, message: ScriptedWorkflowService.landedPrefix + " slow"),
                    RPCError(code: .invalidArgument, message: "some refusal"),
                ]
            ])
        let executor = Executor(
            service: service, options: ExecutorOptions(action: .cancel, reason: "r", rate: 1e6), clock: ManualClock())
        let result = await executor.perform(Job(target: WorkflowTarget(workflowID: "w1")))
        #expect(result.outcome == .cancelRequested)
        #expect(result.message.contains("confirmed by Describe"))
    }

    @Test("--chain cancel whose first attempt landed before the connection dropped is cancel_requested, not terminated")
    func chainCancelConfirmed() async {
        let service = ScriptedWorkflowService(
            scripts: [
                "w": [
                    RPCError(code: .unavailable, message: ScriptedWorkflowService.landedPrefix + " cut"),
                    RPCError(code: .unavailable, message: "cut"), RPCError(code: .unavailable, message: "cut"),
                ]
            ])
        let executor = Executor(
            service: service,
            options: ExecutorOptions(
                action: .cancel, reason: "r", rate: 1e6, maxAttempts: 3, retryWindow: .zero, chain: true),
            clock: ManualClock())
        let result = await executor.perform(Job(target: WorkflowTarget(workflowID: "w")))
        #expect(result.outcome == .cancelRequested)
    }

    @Test("an unpinned terminate stopped while backing off after an ambiguous failure still pins its row's run")
    func stoppedAmbiguousTerminatePinsTheRow() async {
        let service = ScriptedWorkflowService(scripts: ["w1": [RPCError(code: .deadlineExceeded, message: "slow")]])
        let executor = terminator(service, clock: ManualClock(holdsSleeps: true))
        let task = Task { await executor.perform(Job(target: WorkflowTarget(workflowID: "w1"))) }
        while !service.calls.contains("terminate w1") { try? await Task.sleep(for: .milliseconds(1)) }
        task.cancel()
        let result = await task.value
        #expect(result.outcome == .failed)
        #expect(result.runID == "run-of-w1")
        #expect(service.calls.filter { $0.hasPrefix("terminate") }.count == 1)
    }

    @Test("a stop while waiting to retry ends the job failed with the cause, not silently")
    func stoppedWhileRetrying() async {
        let service = ScriptedWorkflowService(
            scripts: ["w1": [RPCError(code: .unavailable, message: "cut")]], cancelCallerOn: ["terminate w1"])
        let job = Job(target: WorkflowTarget(workflowID: "w1", runID: "run-of-w1"))
        let executor = terminator(service)
        let result = await Task { await executor.perform(job) }.value
        #expect(result.outcome == .failed)
        #expect(result.message.contains("stopped while retrying"))
        // Not sent again; only read, to see whether the failed call had landed after all.
        #expect(service.calls == ["terminate w1", "describe w1@run-of-w1"])
    }

    @Test("a cancel's request ID stays within the server's 1,000-byte limit for a 1,000-byte workflow ID")
    func requestIDLength() async {
        let id = String(repeating: "x", count: CSVJobDecoder.maximumWorkflowIDLength)
        let service = ScriptedWorkflowService(currentRuns: [id: "4b0b5a5c-0e4f-4d3c-9b7e-1c2d3e4f5a6b"])
        let executor = Executor(
            service: service, options: ExecutorOptions(action: .cancel, reason: "r", rate: 1e6), clock: ManualClock())
        let result = await executor.perform(Job(target: WorkflowTarget(workflowID: id)))
        #expect(result.outcome == .cancelRequested)
        let requestID = try? #require(service.requestIDs.first)
        #expect((requestID?.utf8.count ?? .max) <= 1000)
        #expect(requestID?.contains("4b0b5a5c-0e4f-4d3c-9b7e-1c2d3e4f5a6b") == true)
    }
}

@Suite("Executor: rows a reader can follow")
struct ExecutorRowOrderTests {
    @Test("a duplicate's row comes after the row of the occurrence it refers to")
    func duplicatesFollowTheirOriginal() async throws {
        let service = ScriptedWorkflowService(latency: .milliseconds(30))
        let sink = CollectingSink()
        let executor = Executor(
            service: service, options: ExecutorOptions(action: .terminate, reason: "r", rate: 1e6, concurrency: 4),
            clock: ManualClock())
        try await executor.run(
            Jobs(.workflowIDs(["a", "a", "b", "a", "b", "c"], runID: nil), service: service), reportingTo: sink)
        let rows = sink.rows.map { ($0.job.target.workflowID, $0.outcome) }
        #expect(rows.count == 6)
        for id in ["a", "b"] {
            let first = try #require(rows.firstIndex { $0.0 == id })
            #expect(rows[first].1 == .terminated)
            #expect(rows.indices.filter { rows[$0].0 == id && rows[$0].1 == .duplicate }.allSatisfy { $0 > first })
        }
        #expect(service.calls.filter { $0.hasPrefix("terminate") }.count == 3)
    }
}

@Suite("Executor: follow-ups")
struct FollowUpTests {
    private func acted(_ id: String, run: String, chain: String? = nil) -> ActedRun<ManualClock.Instant> {
        ActedRun(
            job: Job(target: WorkflowTarget(workflowID: id)), runID: run, chain: chain, outcome: .cancelRequested,
            actedAt: ManualClock.Instant(offset: .zero))
    }

    private func canceller(_ service: ScriptedWorkflowService, clock: ManualClock, chain: Bool = false)
        -> FollowUpStage<ManualClock>
    {
        FollowUpStage(
            sharing: Executor(
                service: service, options: ExecutorOptions(action: .cancel, reason: "r", rate: 1e6, chain: chain),
                clock: clock))
    }

    @Test("--chain: a workflow that ignored the cancel and continued as new is escalated on the chain's current run")
    func chainEscalation() async throws {
        let service = ScriptedWorkflowService(currentRuns: ["w": "r2"])
        let clock = ManualClock()
        let sink = CollectingSink()
        let open = try await canceller(service, clock: clock, chain: true).escalate(
            [acted("w", run: "r1", chain: "first-of-w")], after: .seconds(60), pollInterval: .seconds(1),
            reportingTo: sink)
        #expect(open.isEmpty)
        #expect(sink.rows.map(\.outcome) == [.escalatedTerminated])
        #expect(service.calls.contains("terminate-chain(first-of-w) w"))
    }

    @Test("--chain, resumed: a run acted on earlier (its chain not in the report) is escalated on its chain")
    func resumedChainEscalation() async throws {
        let service = ScriptedWorkflowService(currentRuns: ["w": "r2"])
        let sink = CollectingSink()
        let resumed = ActedRun(
            job: Job(target: WorkflowTarget(workflowID: "w")), runID: "r1", outcome: .cancelRequested,
            actedAt: ManualClock.Instant(offset: .zero), lastReported: .some(nil))
        _ = try await canceller(service, clock: ManualClock(), chain: true).escalate(
            [resumed], after: .seconds(60), pollInterval: .seconds(1), reportingTo: sink)
        #expect(sink.rows.map(\.outcome) == [.escalatedTerminated])
        #expect(service.calls.contains("terminate-chain(first-of-w) w"))
        // Its first row is in an earlier run: this run's tally counts it once, not minus one.
        var tally = Tally()
        for row in sink.rows { tally.add(row) }
        #expect(tally.workflows == 1)
    }

    @Test("an escalation that fails, then --wait: one workflow, counted once, with its latest outcome")
    func failedEscalationThenWait() async throws {
        let service = ScriptedWorkflowService(
            scripts: ["w": [RPCError(code: .permissionDenied, message: "no")]],
            describeScripts: ["w": [.running, .running, .canceled]])
        let stage = canceller(service, clock: ManualClock())
        let sink = CollectingSink()
        var tally = Tally()
        let first = JobResult(
            job: Job(target: WorkflowTarget(workflowID: "w")), runID: "run-of-w", action: .cancel,
            outcome: .cancelRequested, attempts: 1, latency: .zero, callsSent: 2)
        tally.add(first)
        let open = try await stage.escalate(
            [acted("w", run: "run-of-w")], after: .zero, pollInterval: .seconds(1), reportingTo: sink)
        _ = try await stage.waitForClose(open, timeout: .seconds(30), pollInterval: .seconds(1), reportingTo: sink)
        for row in sink.rows { tally.add(row) }
        #expect(sink.rows.map(\.outcome) == [.failed, .cancelRequested])
        #expect(tally.workflows == 1)
        #expect(tally[.failed] == 0)
    }

    @Test("--chain with --wait: a run that continued as new is not closed; the chain's current run is waited for")
    func chainWait() async throws {
        let service = ScriptedWorkflowService(currentRuns: ["w": "r2"], describeScripts: ["w": [.running, .canceled]])
        let sink = CollectingSink()
        let stillOpen = try await canceller(service, clock: ManualClock(), chain: true).waitForClose(
            [acted("w", run: "r1", chain: "first-of-w")], timeout: .seconds(60), pollInterval: .seconds(1),
            reportingTo: sink)
        #expect(stillOpen == 0)
        #expect(sink.rows.map(\.finalStatus) == [.canceled])
        #expect(service.calls.filter { $0 == "describe w" }.count == 2)
    }

    @Test("escalation ends as soon as every cancelled run has closed, not after the whole grace period")
    func escalationEndsEarly() async throws {
        let service = ScriptedWorkflowService(describeScripts: ["a": [.running, .canceled], "b": [.completed]])
        let clock = ManualClock()
        let sink = CollectingSink()
        _ = try await canceller(service, clock: clock).escalate(
            [acted("a", run: "run-of-a"), acted("b", run: "run-of-b")], after: .seconds(300),
            pollInterval: .seconds(1), reportingTo: sink)
        #expect(Set(sink.rows.map(\.outcome)) == [.canceled, .closed])
        #expect(clock.now.offset <= .seconds(2))
        #expect(!service.calls.contains { $0.hasPrefix("terminate") })
    }

    @Test(
        "a stop during the grace period writes a row per run, not escalated, and terminates nothing",
        .timeLimit(.minutes(1)))
    func stoppedGracePeriod() async throws {
        let service = ScriptedWorkflowService()
        let sink = CollectingSink()
        let executor = canceller(service, clock: ManualClock(holdsSleeps: true))
        let items = [acted("a", run: "run-of-a"), acted("b", run: "run-of-b")]
        let escalation = Task {
            try await executor.escalate(items, after: .seconds(300), pollInterval: .seconds(1), reportingTo: sink)
        }
        // Both runs were looked at once and found open; the grace period is under way.
        while service.calls.count < 2 { try await Task.sleep(for: .milliseconds(1)) }
        escalation.cancel()
        _ = try await escalation.value
        #expect(Set(sink.rows.map(\.job.target.workflowID)) == ["a", "b"])
        #expect(sink.rows.allSatisfy { $0.outcome == .cancelRequested && $0.message.contains("not escalated") })
        #expect(!service.calls.contains { $0.hasPrefix("terminate") })
    }
}

@Suite("Counting workflows, not rows")
struct CountingTests {
    @Test(
        "--max counts distinct workflows: a, a, b with --max 2 hands out all three; a, b, c stops after b and says so")
    func maxCountsDistinct() async throws {
        let service = ScriptedWorkflowService()
        let progress = SourceProgress()
        var seen: [String] = []
        for try await job in Jobs(
            .workflowIDs(["a", "a", "b"], runID: nil), service: service, maximum: 2, progress: progress)
        {
            seen.append(job.target.workflowID)
        }
        #expect(seen == ["a", "a", "b"])
        #expect(!progress.overMax)
        seen = []
        for try await job in Jobs(
            .workflowIDs(["a", "b", "c"], runID: nil), service: service, maximum: 2, progress: progress)
        {
            seen.append(job.target.workflowID)
        }
        #expect(seen == ["a", "b"])
        #expect(progress.overMax)
    }

    @Test("a follow-up row replaces its workflow's outcome in the tally; duplicates are rows, not workflows")
    func tallyCountsWorkflows() {
        var tally = Tally()
        let job = Job(target: WorkflowTarget(workflowID: "w"))
        tally.add(
            JobResult(
                job: job, runID: "r", action: .cancel, outcome: .cancelRequested, attempts: 1, latency: .zero,
                callsSent: 2))
        var followUp = JobResult(
            job: job, runID: "r", action: .cancel, outcome: .escalatedTerminated, attempts: 1, latency: .zero,
            callsSent: 2)
        followUp.supersedes = .cancelRequested
        tally.add(followUp)
        tally.add(
            JobResult(
                job: job, runID: nil, action: .cancel, outcome: .duplicate, attempts: 0, latency: .zero, callsSent: 0))
        #expect(tally.workflows == 1)
        #expect(tally.rows == 3)
        #expect(tally[.cancelRequested] == 0)
        #expect(tally[.escalatedTerminated] == 1)
    }

    @Test(
        "the exit code tells each kind of end apart",
        arguments: [
            (Outcome.terminated, Int32(0)), (.runChanged, 5), (.failed, 1), (.alreadyClosed, 0), (.notFound, 0),
        ])
    func exitCodes(outcome: Outcome, code: Int32) {
        var tally = Tally()
        tally.add(
            JobResult(
                job: Job(target: WorkflowTarget(workflowID: "w")), runID: nil, action: .terminate, outcome: outcome,
                attempts: 1, latency: .zero, callsSent: 1))
        let summary = Summary(
            action: .terminate, dryRun: false, tally: tally, elapsed: .zero, clientCPU: .zero, reportPath: "r.csv")
        #expect(summary.exitCode == code)
        var lost = summary
        lost.failure = SweepError(.output, "cannot write the report")
        #expect(lost.exitCode == 6)
        var capped = summary
        capped.overMax = 10
        #expect(capped.exitCode == (code == 0 ? 5 : code))
        var earlier = summary
        earlier.leftAloneEarlier = 1
        #expect(earlier.exitCode == (code == 0 ? 5 : code))
        // A planning call the server refused ends the run before anything is sent (exit 2); a
        // listing that fails mid-run ends it early after calls were sent (exit 1).
        #expect(SweepError(.server, "refused").code.exitCode == 2)
        var listing = summary
        listing.failure = SweepError(.server, "listing the query failed after 10 workflows")
        #expect(listing.exitCode == 1)
    }
}
