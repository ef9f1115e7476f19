import Foundation
import SweepCore
import SweepTestSupport
import TemporalAPI
import Testing

/// Plan/apply, guards and continue-as-new chains: the real binary, a real server, and the real
/// Python sample worker where workflow code must run.
@Suite("incident safety")
struct IncidentSafetyTests {
    let harness: Harness

    init() throws {
        harness = try Harness()
    }

    private var sweep: SweepProcess { harness.sweep }
    private var address: String { harness.address }

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
            try await client.terminatePatiently(WorkflowTarget(workflowID: replaced), reason: "replaced in a test")
            return try await client.startPatiently(id: replaced, type: type)
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
        let started = try await harness.start(2, type: "ChainWorkflow", prefix: prefix, on: worker)
        let planPath = TestEnvironment.temporaryPath("plan.csv")
        let planned = try await sweep.run(
            ["plan"] + started.flatMap { ["--workflow-id", $0.workflowID] } + ["--out", planPath, "--address", address])
        #expect(planned.status == 0, "\(planned.standardError)")
        let plan = try Report(path: planPath).rows
        #expect(plan.allSatisfy { !($0["first_run_id"] ?? "").isEmpty })

        // Each workflow continues-as-new every second: wait until both left the planned run.
        let plannedRuns = Dictionary(uniqueKeysWithValues: plan.map { ($0["workflow_id"] ?? "", $0["run_id"] ?? "") })
        try await harness.waitUntil(started) { plannedRuns[$0.workflowID] != $0.runID && $0.status == .running }

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
}
