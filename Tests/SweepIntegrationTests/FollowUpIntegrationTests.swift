import Foundation
import SweepCore
import SweepTestSupport
import TemporalAPI
import Testing

/// Graceful cancels, escalation and --wait, with the real Python sample worker running the
/// workflow code: the real binary against a real server.
@Suite("follow-ups")
struct FollowUpIntegrationTests {
    let harness: Harness

    init() throws {
        harness = try Harness()
    }

    private var sweep: SweepProcess { harness.sweep }
    private var address: String { harness.address }

    @Test("cancel on the cleanup workflow ends CANCELED with its cleanup in history (--wait)")
    func gracefulCancel() async throws {
        let worker = try await SampleWorker(address: address)
        let started = try await harness.start(
            3, type: "CleanupWorkflow", prefix: TestEnvironment.uniqueName("cleanup"), on: worker)
        try await harness.waitUntil(started) { $0.status == .running }
        let report = TestEnvironment.temporaryPath("report.csv")
        let result = try await sweep.run(
            ["cancel"] + started.flatMap { ["--workflow-id", $0.workflowID] } + [
                "--wait", "300s", "--report", report, "--address", address,
            ])
        #expect(result.status == 0, "\(result.standardError)")
        let byID = Dictionary(grouping: try Report(path: report).rows) { $0["workflow_id"] ?? "" }
        for target in started {
            let rows = try #require(byID[target.workflowID])
            #expect(rows.map { $0["outcome"] } == ["cancel_requested", "cancel_requested"])
            #expect(rows.last?["final_status"] == "CANCELED")
        }
        try await harness.withClient { client in
            for target in started {
                let scheduled = try await client.events(of: .activityTaskScheduled, in: target)
                #expect(scheduled.map(\.activityTaskScheduledEventAttributes.activityType.name) == ["cleanup"])
                #expect(try await client.events(of: .workflowExecutionCanceled, in: target).count == 1)
            }
        }
        await worker.stop()
    }

    @Test("--escalate-after terminates the workflow that ignores cancel, and leaves the cleanup one CANCELED")
    func escalation() async throws {
        let worker = try await SampleWorker(address: address)
        let prefix = TestEnvironment.uniqueName("escalate")
        let stubborn = try await harness.start(2, type: "StubbornWorkflow", prefix: prefix + "-stubborn", on: worker)
        let graceful = try await harness.start(2, type: "CleanupWorkflow", prefix: prefix + "-cleanup", on: worker)
        try await harness.waitUntil(stubborn + graceful) { $0.status == .running }
        let input = try harness.writeCSV((stubborn + graceful).map(\.workflowID))
        let report = TestEnvironment.temporaryPath("report.csv")
        // However long the worker takes to run the cleanup, escalation must meet it done: sweep
        // stops itself after its four cancel rows and is let go once the cleanup workflows have
        // closed (the grace period, overdue or not, then finds only the stubborn ones open).
        let running = try sweep.start(
            [
                "cancel", "--input", input, "--escalate-after", "30s", "--reason", "INC-9", "--report", report,
                "--address", address,
            ], environment: SweepProcess.stopAfterRows(4))
        try await running.waitUntilStopped()
        do {
            try await harness.waitUntil(graceful, "the cleanup workflows to close") { $0.status == .canceled }
        } catch {
            running.send(SIGCONT)
            throw error
        }
        running.send(SIGCONT)
        let result = await running.wait()
        #expect(result.status == 0, "\(result.standardError)")
        let byID = Dictionary(grouping: try Report(path: report).rows) { $0["workflow_id"] ?? "" }
        for target in stubborn {
            #expect(byID[target.workflowID]?.map { $0["outcome"] } == ["cancel_requested", "escalated_terminated"])
            #expect(byID[target.workflowID]?.last?["final_status"] == "TERMINATED")
        }
        for target in graceful {
            #expect(byID[target.workflowID]?.map { $0["outcome"] } == ["cancel_requested", "canceled"])
            #expect(byID[target.workflowID]?.last?["final_status"] == "CANCELED")
        }
        try await harness.withClient { client in
            for target in stubborn {
                #expect(try await client.events(of: .workflowExecutionCancelRequested, in: target).count == 1)
                let terminated = try await client.events(of: .workflowExecutionTerminated, in: target)
                #expect(
                    terminated.first?.workflowExecutionTerminatedEventAttributes.reason.contains("escalated") == true)
            }
        }
        await worker.stop()
    }

    @Test("escalation ends as soon as every cancelled run has closed, not after the grace period")
    func escalationEndsEarly() async throws {
        let worker = try await SampleWorker(address: address)
        let graceful = try await harness.start(
            2, type: "CleanupWorkflow", prefix: TestEnvironment.uniqueName("early"), on: worker)
        try await harness.waitUntil(graceful) { $0.status == .running }
        let report = TestEnvironment.temporaryPath("report.csv")
        // The grace period outlasts the tests' shared ceiling: a run that waited it out would never
        // end here. That the wait ends as the last run closes, exactly, is FollowUpStageTests'
        // "escalation ends as soon as every cancelled run has closed", on the test clock.
        let result = try await sweep.run(
            ["cancel"] + graceful.flatMap { ["--workflow-id", $0.workflowID] } + [
                "--escalate-after", "1h", "--report", report, "--address", address,
            ])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(Report.outcomes(try Report(path: report).rows).values.allSatisfy { $0 == "canceled" })
        // Two workflows, four rows: the summary counts workflows.
        #expect(result.standardError.contains("2 workflows, 4 report rows"), "\(result.standardError)")
        await worker.stop()
    }

    @Test("Ctrl-C during --escalate-after, then --resume: what ignored the cancel is terminated")
    func escalationResumed() async throws {
        let worker = try await SampleWorker(address: address)
        let prefix = TestEnvironment.uniqueName("resume-escalation")
        let stubborn = try await harness.start(2, type: "StubbornWorkflow", prefix: prefix + "-stubborn", on: worker)
        let graceful = try await harness.start(2, type: "CleanupWorkflow", prefix: prefix + "-cleanup", on: worker)
        try await harness.waitUntil(stubborn + graceful) { $0.status == .running }
        // The first stubborn one is listed twice: it is still followed up once.
        let input = try harness.writeCSV((stubborn + graceful).map(\.workflowID) + [stubborn[0].workflowID])
        let report = TestEnvironment.temporaryPath("report.csv")
        let arguments = ["cancel", "--input", input, "--address", address]

        let running = try sweep.start(arguments + ["--escalate-after", "10m", "--report", report])
        // Four cancel requests, the duplicate line and the two cleanup workflows' closing rows:
        // only the stubborn ones are left, and escalation is waiting for their grace period.
        try await harness.waitForRows(report, atLeast: 7)
        running.send(SIGINT)
        let stopped = await running.wait()
        #expect(stopped.status == 130, "\(stopped.standardError)")
        #expect(stopped.standardError.contains("--resume \(report)"))
        let afterStop = try Report(path: report).rows
        for target in stubborn {
            #expect(
                afterStop.last { $0["workflow_id"] == target.workflowID }?["message"]?.contains("not escalated") == true
            )
        }
        #expect(try await harness.statuses(of: stubborn) == [.running: 2])

        let resumed = try await sweep.run(arguments + ["--escalate-after", "1s", "--resume", report])
        #expect(resumed.status == 0, "\(resumed.standardError)")
        let outcomes = Report.outcomes(try Report(path: report).rows)
        for target in stubborn { #expect(outcomes[target.workflowID] == "escalated_terminated") }
        let rows = try Report(path: report).rows
        let escalations = rows.filter {
            $0["workflow_id"] == stubborn[0].workflowID && $0["final_status"] == "TERMINATED"
        }
        #expect(escalations.count == 1)
        for target in graceful { #expect(outcomes[target.workflowID] == "canceled") }
        #expect(try await harness.statuses(of: stubborn) == [.terminated: 2])
        // Each cancel request was sent once: the resumed run followed them up, never cancelled again.
        let requests = try await harness.withClient { client in
            var counts: [Int] = []
            for target in stubborn + graceful {
                counts.append(try await client.events(of: .workflowExecutionCancelRequested, in: target).count)
            }
            return counts
        }
        #expect(requests == [1, 1, 1, 1])
        await worker.stop()
    }

    @Test("--chain with --escalate-after: a workflow that ignores the cancel and continues as new is terminated")
    func chainEscalation() async throws {
        let worker = try await SampleWorker(address: address)
        let started = try await harness.start(
            2, type: "StubbornChainWorkflow", prefix: TestEnvironment.uniqueName("stubborn-chain"), on: worker)
        try await harness.waitUntil(started) { $0.status == .running }
        let report = TestEnvironment.temporaryPath("report.csv")
        // The workflows continue as new every second (and at once on the cancel). What escalation
        // meets must be a successor run, however slow the worker: sweep stops itself after its two
        // cancel rows and is let go once every chain has moved past the run the cancel was sent
        // to; its grace period, overdue or not, then finds the successors.
        let running = try sweep.start(
            ["cancel", "--chain", "--escalate-after", "30s"] + started.flatMap { ["--workflow-id", $0.workflowID] } + [
                "--report", report, "--address", address,
            ], environment: SweepProcess.stopAfterRows(2))
        try await running.waitUntilStopped()
        let cancelled = Set(
            try Report(path: report).rows.filter { $0["outcome"] == "cancel_requested" }.compactMap { $0["run_id"] })
        #expect(cancelled.count == 2)
        do {
            try await harness.waitUntil(started, "the chain to move past the cancelled run") {
                !cancelled.contains($0.runID)
            }
        } catch {
            running.send(SIGCONT)
            throw error
        }
        running.send(SIGCONT)
        let result = await running.wait()
        #expect(result.status == 0, "\(result.standardError)")
        let rows = try Report(path: report).rows
        #expect(Report.outcomes(rows).values.allSatisfy { $0 == "escalated_terminated" })
        // The chain's current run, not the one the cancel was sent to, is the one terminated.
        let current = try await harness.withClient { client in
            try await client.describeAll(started.map { WorkflowTarget(workflowID: $0.workflowID) })
        }
        #expect(current.values.allSatisfy { $0.status == .terminated })
        #expect(current.values.allSatisfy { !cancelled.contains($0.runID) }, "\(cancelled)")
        await worker.stop()
    }

    @Test("--wait reports final statuses, and exit 4 when some are still open")
    func waitFinalStatus() async throws {
        let worker = try await SampleWorker(address: address)
        let stubborn = try await harness.start(
            1, type: "StubbornWorkflow", prefix: TestEnvironment.uniqueName("wait"), on: worker)
        try await harness.waitUntil(stubborn) { $0.status == .running }
        let report = TestEnvironment.temporaryPath("report.csv")
        let open = try await sweep.run([
            "cancel", "--workflow-id", stubborn[0].workflowID, "--wait", "2s", "--report", report, "--address", address,
        ])
        #expect(open.status == 4, "\(open.standardError)")
        #expect(try Report(path: report).rows.last?["final_status"] == "RUNNING")

        let type = TestEnvironment.uniqueName("WaitTerminate")
        let seeded = try await harness.seed(3, type: type)
        let terminated = TestEnvironment.temporaryPath("report.csv")
        let closed = try await sweep.run([
            "terminate", "--query", "WorkflowType='\(type)'", "--yes", "--wait", "300s", "--report", terminated,
            "--address", address,
        ])
        #expect(closed.status == 0, "\(closed.standardError)")
        let rows = try Report(path: terminated).rows
        #expect(rows.filter { $0["final_status"] == "TERMINATED" }.count == 3)
        #expect(Set(rows.compactMap { $0["workflow_id"] }) == Set(seeded.map(\.workflowID)))
        await worker.stop()
    }
}
