import Foundation
import SweepCore
import SweepTestSupport
import TemporalAPI
import Testing

/// Plan/apply, guards, continue-as-new chains, escalation and --wait: the real binary, a real
/// server, and the real Python sample worker where workflow code must run.
@Suite("incident safety")
struct IncidentSafetyTests {
    let harness: Harness

    init() throws {
        harness = try Harness()
    }

    private var sweep: SweepProcess { harness.sweep }
    private var address: String { harness.address }

    /// Starts workflows of `type` on the worker's task queue, named `<prefix>-1`...
    private func start(_ count: Int, type: String, prefix: String, on worker: SampleWorker) async throws
        -> [WorkflowTarget]
    {
        try await harness.withClient { client in
            var started: [WorkflowTarget] = []
            for index in 1...count {
                let id = "\(prefix)-\(index)"
                started.append(
                    WorkflowTarget(
                        workflowID: id,
                        runID: try await client.startWorkflow(id: id, type: type, taskQueue: worker.taskQueue)))
            }
            return started
        }
    }

    /// Waits until `check` holds for the description of each workflow's current run.
    private func waitUntil(
        _ targets: [WorkflowTarget], timeout: Duration = .seconds(30),
        _ check: @escaping @Sendable (ExecutionDescription) -> Bool
    ) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while clock.now < deadline {
            let all = try await harness.withClient { client in
                try await client.describeAll(targets.map { WorkflowTarget(workflowID: $0.workflowID) })
            }
            if all.count == targets.count, all.values.allSatisfy(check) { return }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw TestEnvironment.Missing(description: "condition not met within \(timeout)")
    }

    @Test("plan -> edit -> apply touches exactly the edited set")
    func planEditApply() async throws {
        let type = TestEnvironment.uniqueName("Plan")
        let seeded = try await harness.seed(10, type: type)
        let planPath = TestEnvironment.temporaryPath("plan.csv")
        let planned = try await sweep.run([
            "plan", "--query", "WorkflowType='\(type)'", "--out", planPath, "--address", address,
        ])
        #expect(planned.status == 0, "\(planned.standardError)")
        let lines = try TextFile.read(planPath).split(separator: "\n").map(String.init)
        #expect(lines.first == "workflow_id,run_id,workflow_type,status,start_time,first_run_id")
        #expect(lines.count == 11)
        let plan = try Report(path: planPath).rows
        let seededRuns = Dictionary(uniqueKeysWithValues: seeded.map { ($0.workflowID, $0.runID ?? "") })
        #expect(
            plan.allSatisfy {
                seededRuns[$0["workflow_id"] ?? ""] == $0["run_id"] && $0["status"] == "RUNNING"
                    && $0["workflow_type"] == type
            })

        // The operator removes four lines; apply must touch the other six only.
        let kept = Array(lines.prefix(7))
        try (kept.joined(separator: "\n") + "\n").write(toFile: planPath, atomically: true, encoding: .utf8)
        let keptIDs = Set(plan.prefix(6).compactMap { $0["workflow_id"] })
        let report = TestEnvironment.temporaryPath("report.csv")
        let applied = try await sweep.run([
            "apply", planPath, "--action", "terminate", "--report", report, "--address", address,
        ])
        #expect(applied.status == 0, "\(applied.standardError)")
        #expect(
            try Report(path: report).outcomes == Dictionary(uniqueKeysWithValues: keptIDs.map { ($0, "terminated") }))
        let statuses = try await harness.withClient { client in try await client.describeAll(seeded) }
        #expect(statuses.filter { keptIDs.contains($0.key) }.values.allSatisfy { $0.status == .terminated })
        #expect(statuses.filter { !keptIDs.contains($0.key) }.values.allSatisfy { $0.status == .running })
    }

    @Test("a run replaced after planning is reported run_changed and the new run is not touched")
    func replacedRun() async throws {
        let type = TestEnvironment.uniqueName("Replaced")
        let seeded = try await harness.seed(2, type: type)
        let (replaced, kept) = (seeded[0].workflowID, seeded[1].workflowID)
        let planPath = TestEnvironment.temporaryPath("plan.csv")
        let planned = try await sweep.run([
            "plan", "--workflow-id", replaced, "--workflow-id", kept, "--out", planPath, "--address", address,
        ])
        #expect(planned.status == 0, "\(planned.standardError)")
        #expect(try Report(path: planPath).rows.map { $0["run_id"] } == seeded.map(\.runID))

        // After the plan: the first workflow's run ends and a new run starts with the same ID.
        let newRun = try await harness.withClient { client in
            try await client.terminate(WorkflowTarget(workflowID: replaced), reason: "replaced in a test")
            return try await client.startWorkflow(id: replaced, type: type, taskQueue: "sweep-test")
        }
        let report = TestEnvironment.temporaryPath("report.csv")
        let applied = try await sweep.run([
            "apply", planPath, "--action", "terminate", "--report", report, "--address", address,
        ])
        // Exit 5: done, but a workflow was left alone on purpose; an alert on the exit code fires.
        #expect(applied.status == 5, "\(applied.standardError)")
        #expect(applied.standardError.contains("left alone on purpose (run_changed): 1"))
        let rows = try Report(path: report).rows
        #expect(Report.outcomes(rows) == [replaced: "run_changed", kept: "terminated"])
        #expect(rows.first { $0["workflow_id"] == replaced }?["message"]?.contains(newRun) == true)
        let now = try await harness.withClient { client in
            try await client.describe(WorkflowTarget(workflowID: replaced))
        }
        #expect(now.runID == newRun && now.status == .running)
    }

    @Test("--max refuses a larger job set with exit 2 and nothing sent", arguments: ["query", "input"])
    func maxGuard(source: String) async throws {
        let type = TestEnvironment.uniqueName("Max")
        let seeded = try await harness.seed(5, type: type)
        let selection =
            source == "query"
            ? ["--query", "WorkflowType='\(type)'", "--yes"]
            : ["--input", try harness.writeCSV(seeded.map(\.workflowID))]
        let result = try await sweep.run(["terminate"] + selection + ["--max", "4", "--address", address])
        #expect(result.status == 2)
        #expect(result.standardError.contains("over --max 4"), "\(result.standardError)")
        #expect(try await harness.statuses(of: seeded) == [.running: 5])
    }

    @Test("duplicate IDs are sent once and reported duplicate")
    func duplicates() async throws {
        let type = TestEnvironment.uniqueName("Dup")
        let seeded = try await harness.seed(3, type: type)
        let (a, b, c) = (seeded[0].workflowID, seeded[1].workflowID, seeded[2].workflowID)
        let input = try harness.writeCSV(["workflow_id", a, b, a, c, b, a])
        let report = TestEnvironment.temporaryPath("report.csv")
        let result = try await sweep.run([
            "terminate", "--input", input, "--report", report, "--concurrency", "1", "--address", address,
        ])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardError.contains("3 duplicate IDs"))
        let rows = try Report(path: report).rows
        #expect(rows.count == 6)
        #expect(
            rows.filter { $0["outcome"] == "terminated" }.compactMap { $0["workflow_id"] }.sorted()
                == [a, b, c].sorted())
        #expect(rows.filter { $0["outcome"] == "duplicate" }.count == 3)
        #expect(rows.filter { $0["outcome"] == "duplicate" }.allSatisfy { $0["attempts"] == "0" })
    }

    @Test("a workflow that continued-as-new after planning is stopped with --chain, and not without")
    func continueAsNewChain() async throws {
        let worker = try await SampleWorker(address: address)
        let prefix = TestEnvironment.uniqueName("chain")
        let started = try await start(2, type: "ChainWorkflow", prefix: prefix, on: worker)
        let planPath = TestEnvironment.temporaryPath("plan.csv")
        let planned = try await sweep.run(
            ["plan"] + started.flatMap { ["--workflow-id", $0.workflowID] } + ["--out", planPath, "--address", address])
        #expect(planned.status == 0, "\(planned.standardError)")
        let plan = try Report(path: planPath).rows
        #expect(plan.allSatisfy { !($0["first_run_id"] ?? "").isEmpty })

        // Each workflow continues-as-new every second: wait until both left the planned run.
        let plannedRuns = Dictionary(uniqueKeysWithValues: plan.map { ($0["workflow_id"] ?? "", $0["run_id"] ?? "") })
        try await waitUntil(started) { plannedRuns[$0.workflowID] != $0.runID && $0.status == .running }

        let withoutChain = TestEnvironment.temporaryPath("report.csv")
        let first = try await sweep.run([
            "apply", planPath, "--action", "terminate", "--report", withoutChain, "--address", address,
        ])
        #expect(first.status == 5, "\(first.standardError)")
        #expect(try Report(path: withoutChain).outcomes.values.allSatisfy { $0 == "run_changed" })
        let afterFirst = try await harness.withClient { client in
            try await client.describeAll(started.map { WorkflowTarget(workflowID: $0.workflowID) })
        }
        #expect(afterFirst.values.allSatisfy { $0.status == .running })

        let withChain = TestEnvironment.temporaryPath("report.csv")
        let second = try await sweep.run([
            "apply", planPath, "--action", "terminate", "--chain", "--report", withChain, "--address", address,
        ])
        #expect(second.status == 0, "\(second.standardError)")
        #expect(try Report(path: withChain).outcomes.values.allSatisfy { $0 == "terminated" })
        let afterSecond = try await harness.withClient { client in
            try await client.describeAll(started.map { WorkflowTarget(workflowID: $0.workflowID) })
        }
        #expect(afterSecond.values.allSatisfy { $0.status == .terminated })
        await worker.stop()
    }

    @Test("cancel on the cleanup workflow ends CANCELED with its cleanup in history (--wait)")
    func gracefulCancel() async throws {
        let worker = try await SampleWorker(address: address)
        let started = try await start(
            3, type: "CleanupWorkflow", prefix: TestEnvironment.uniqueName("cleanup"), on: worker)
        try await waitUntil(started) { $0.status == .running }
        let report = TestEnvironment.temporaryPath("report.csv")
        let result = try await sweep.run(
            ["cancel"] + started.flatMap { ["--workflow-id", $0.workflowID] } + [
                "--wait", "30s", "--report", report, "--address", address,
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
        let stubborn = try await start(2, type: "StubbornWorkflow", prefix: prefix + "-stubborn", on: worker)
        let graceful = try await start(2, type: "CleanupWorkflow", prefix: prefix + "-cleanup", on: worker)
        try await waitUntil(stubborn + graceful) { $0.status == .running }
        let input = try harness.writeCSV((stubborn + graceful).map(\.workflowID))
        let report = TestEnvironment.temporaryPath("report.csv")
        let result = try await sweep.run([
            "cancel", "--input", input, "--escalate-after", "3s", "--reason", "INC-9", "--report", report, "--address",
            address,
        ])
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
        let graceful = try await start(
            2, type: "CleanupWorkflow", prefix: TestEnvironment.uniqueName("early"), on: worker)
        try await waitUntil(graceful) { $0.status == .running }
        let report = TestEnvironment.temporaryPath("report.csv")
        let clock = ContinuousClock()
        let started = clock.now
        let result = try await sweep.run(
            ["cancel"] + graceful.flatMap { ["--workflow-id", $0.workflowID] } + [
                "--escalate-after", "10m", "--report", report, "--address", address,
            ])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(started.duration(to: clock.now) < .seconds(60))
        #expect(Report.outcomes(try Report(path: report).rows).values.allSatisfy { $0 == "canceled" })
        // Two workflows, four rows: the summary counts workflows.
        #expect(result.standardError.contains("2 workflows, 4 report rows"), "\(result.standardError)")
        await worker.stop()
    }

    @Test("Ctrl-C during --escalate-after, then --resume: what ignored the cancel is terminated")
    func escalationResumed() async throws {
        let worker = try await SampleWorker(address: address)
        let prefix = TestEnvironment.uniqueName("resume-escalation")
        let stubborn = try await start(2, type: "StubbornWorkflow", prefix: prefix + "-stubborn", on: worker)
        let graceful = try await start(2, type: "CleanupWorkflow", prefix: prefix + "-cleanup", on: worker)
        try await waitUntil(stubborn + graceful) { $0.status == .running }
        let input = try harness.writeCSV((stubborn + graceful).map(\.workflowID))
        let report = TestEnvironment.temporaryPath("report.csv")
        let arguments = ["cancel", "--input", input, "--address", address]

        let running = try sweep.start(arguments + ["--escalate-after", "10m", "--report", report])
        // Four cancel requests and the two cleanup workflows' closing rows: escalation is waiting.
        try await harness.waitForRows(report, atLeast: 6)
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
        let started = try await start(
            2, type: "StubbornChainWorkflow", prefix: TestEnvironment.uniqueName("stubborn-chain"), on: worker)
        try await waitUntil(started) { $0.status == .running }
        let report = TestEnvironment.temporaryPath("report.csv")
        let result = try await sweep.run(
            ["cancel", "--chain", "--escalate-after", "3s"] + started.flatMap { ["--workflow-id", $0.workflowID] } + [
                "--report", report, "--address", address,
            ])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(Report.outcomes(try Report(path: report).rows).values.allSatisfy { $0 == "escalated_terminated" })
        // The chain's current run, not the one the cancel was sent to, is the one terminated.
        let current = try await harness.withClient { client in
            try await client.describeAll(started.map { WorkflowTarget(workflowID: $0.workflowID) })
        }
        #expect(current.values.allSatisfy { $0.status == .terminated })
        #expect(current.values.allSatisfy { description in !started.contains { $0.runID == description.runID } })
        await worker.stop()
    }

    @Test("--wait reports final statuses, and exit 4 when some are still open")
    func waitFinalStatus() async throws {
        let worker = try await SampleWorker(address: address)
        let stubborn = try await start(
            1, type: "StubbornWorkflow", prefix: TestEnvironment.uniqueName("wait"), on: worker)
        try await waitUntil(stubborn) { $0.status == .running }
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
            "terminate", "--query", "WorkflowType='\(type)'", "--yes", "--wait", "10s", "--report", terminated,
            "--address", address,
        ])
        #expect(closed.status == 0, "\(closed.standardError)")
        let rows = try Report(path: terminated).rows
        #expect(rows.filter { $0["final_status"] == "TERMINATED" }.count == 3)
        #expect(Set(rows.compactMap { $0["workflow_id"] }) == Set(seeded.map(\.workflowID)))
        await worker.stop()
    }
}
