import Foundation
import SweepCSV
import SweepCore
import SweepGRPC
import Synchronization
import Testing

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
