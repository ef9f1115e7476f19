import Foundation
import SweepCore
import SweepGRPC
import SweepTestSupport
import TemporalAPI
import Testing

/// The built `sweep` binary against a real Temporal dev server (see scripts/test).
@Suite("sweep against a real Temporal server")
struct SweepEndToEndTests {
    let harness: Harness
    var sweep: SweepProcess { harness.sweep }
    var address: String { harness.address }

    init() throws {
        harness = try Harness()
    }

    private func withClient<R>(_ body: (WorkflowServiceClient) async throws -> R) async throws -> R {
        try await harness.withClient(body)
    }

    private func seed(_ count: Int, type: String) async throws -> [WorkflowTarget] {
        try await harness.seed(count, type: type)
    }

    private func writeCSV(_ lines: [String]) throws -> String {
        try harness.writeCSV(lines)
    }

    @Test("terminate --query terminates each listed workflow once, with the reason in history")
    func terminateByQuery() async throws {
        let type = TestEnvironment.uniqueName("TerminateQuery")
        let seeded = try await seed(200, type: type)
        let report = TestEnvironment.temporaryPath("report.csv")
        let reason = "integration test \(type)"
        let result = try await sweep.run([
            "terminate", "--query", "WorkflowType='\(type)' AND ExecutionStatus='Running'", "--yes",
            "--reason", reason, "--report", report, "--address", address, "--rps", "500",
        ])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(SummaryText.count(of: "terminated", in: result.standardError) == 200)

        let rows = try Report(path: report).rows
        #expect(rows.count == 200)
        #expect(Set(rows.compactMap { $0["workflow_id"] }) == Set(seeded.map(\.workflowID)))
        // Terminated, each in one call unless a loaded server let a call outlast its deadline
        // (a retry, pinned to the same run; history shows one terminate each, below).
        #expect(rows.allSatisfy { $0["outcome"] == "terminated" && (Int($0["attempts"] ?? "") ?? 0) >= 1 })
        // Each row names the run that was listed, which is the run that was seeded.
        let seededRuns = Dictionary(uniqueKeysWithValues: seeded.map { ($0.workflowID, $0.runID ?? "") })
        #expect(rows.allSatisfy { seededRuns[$0["workflow_id"] ?? ""] == $0["run_id"] })

        try await withClient { client in
            let described = try await client.describeAll(seeded)
            #expect(described.count == 200)
            #expect(described.values.allSatisfy { $0.status == .terminated })
            for target in seeded.prefix(10) {
                let terminated = try await client.events(of: .workflowExecutionTerminated, in: target)
                #expect(terminated.count == 1)
                #expect(terminated.first?.workflowExecutionTerminatedEventAttributes.reason == reason)
            }
        }
    }

    @Test("a query that also matches closed runs lists each run once, though terminating re-sorts the listing")
    func queryWithoutStatusFilter() async throws {
        let type = TestEnvironment.uniqueName("Unfiltered")
        let seeded = try await seed(2500, type: type)
        let report = TestEnvironment.temporaryPath("report.csv")
        let result = try await sweep.run([
            "terminate", "--query", "WorkflowType='\(type)'", "--yes", "--max", "100000", "--rps", "1000",
            "--concurrency", "32",
            "--report", report, "--address", address,
        ])
        #expect(result.status == 0, "\(result.standardError)")
        let rows = try Report(path: report).rows
        #expect(rows.count == 2500)
        #expect(Set(rows.compactMap { $0["workflow_id"] }) == Set(seeded.map(\.workflowID)))
        #expect(rows.allSatisfy { $0["outcome"] == "terminated" })
    }

    @Test("cancel --input records WorkflowExecutionCancelRequested in each history")
    func cancelFromCSV() async throws {
        let type = TestEnvironment.uniqueName("CancelCSV")
        let seeded = try await seed(20, type: type)
        let input = try writeCSV(["workflow_id"] + seeded.map(\.workflowID))
        let report = TestEnvironment.temporaryPath("report.csv")
        let result = try await sweep.run([
            "cancel", "--input", input, "--reason", "graceful \(type)", "--report", report, "--address", address,
        ])
        #expect(result.status == 0, "\(result.standardError)")
        let outcomes = try Report(path: report).outcomes
        #expect(outcomes.count == 20)
        #expect(outcomes.values.allSatisfy { $0 == "cancel_requested" })

        try await withClient { client in
            for target in seeded {
                let requested = try await client.events(of: .workflowExecutionCancelRequested, in: target)
                #expect(requested.count == 1, "\(target)")
                #expect(requested.first?.workflowExecutionCancelRequestedEventAttributes.cause == "graceful \(type)")
            }
            // No worker runs these, so a cancel request leaves them Running (cancel only asks).
            let described = try await client.describeAll(seeded)
            #expect(described.values.allSatisfy { $0.status == .running && $0.cancelRequested })
        }
    }

    @Test("--dry-run reports would_* and changes nothing", arguments: ["cancel", "terminate"])
    func dryRun(action: String) async throws {
        let type = TestEnvironment.uniqueName("DryRun")
        let seeded = try await seed(10, type: type)
        let report = TestEnvironment.temporaryPath("report.csv")
        let result = try await sweep.run([
            action, "--query", "WorkflowType='\(type)'", "--dry-run", "--report", report, "--address", address,
        ])
        #expect(result.status == 0, "\(result.standardError)")
        let outcomes = try Report(path: report).outcomes
        #expect(outcomes.count == 10)
        #expect(outcomes.values.allSatisfy { $0 == "would_\(action)" })
        try await withClient { client in
            let described = try await client.describeAll(seeded)
            #expect(described.values.allSatisfy { $0.status == .running && !$0.cancelRequested })
        }
    }

    @Test("a dry run of a query that lists closed runs asks after their replacements in bulk: no Describe each")
    func closedRunsInBulk() async throws {
        let type = TestEnvironment.uniqueName("ClosedListed")
        let seeded = try await seed(5, type: type)
        try await withClient { client in
            for target in seeded.prefix(3) { try await client.terminatePatiently(target, reason: "setup") }
            try await client.waitForCount("WorkflowType='\(type)' AND ExecutionStatus='Terminated'", toBe: 3)
        }
        let report = TestEnvironment.temporaryPath("report.csv")
        let result = try await sweep.run([
            "terminate", "--query", "WorkflowType='\(type)'", "--dry-run", "-o", "json", "--report", report,
            "--address", address,
        ])
        #expect(result.status == 0, "\(result.standardError)")
        let outcomes = try Report(path: report).outcomes
        #expect(outcomes.values.filter { $0 == "already_closed" }.count == 3, "\(outcomes)")
        #expect(outcomes.values.filter { $0 == "would_terminate" }.count == 2, "\(outcomes)")
        // The listing and one lookup of the closed runs' workflows; no call per workflow.
        let summary = try #require(
            try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any])
        #expect(summary["calls_sent"] as? Int == 0, "\(summary)")
    }

    @Test("a closed workflow is already_closed and an unknown one not_found, for both actions")
    func closedAndUnknown() async throws {
        let type = TestEnvironment.uniqueName("ClosedUnknown")
        let seeded = try await seed(2, type: type)
        let open = seeded[0].workflowID
        let closed = seeded[1].workflowID
        let unknown = "\(type)-never-started"
        try await withClient { client in
            try await client.terminatePatiently(WorkflowTarget(workflowID: closed), reason: "setup")
        }

        for (action, done) in [("cancel", "cancel_requested"), ("terminate", "terminated")] {
            let report = TestEnvironment.temporaryPath("report.csv")
            let result = try await sweep.run([
                action, "--workflow-id", open, "--workflow-id", closed, "--workflow-id", unknown,
                "--report", report, "--address", address,
            ])
            #expect(result.status == 0, "\(result.standardError)")
            let rows = try Report(path: report).rows
            #expect(Report.outcomes(rows) == [open: done, closed: "already_closed", unknown: "not_found"], "\(action)")
            // The row names the run acted on, for a terminate of an ID too (pinned to the run the
            // bulk lookup found open).
            #expect(rows.first { $0["workflow_id"] == open }?["run_id"] == seeded[0].runID, "\(action): \(rows)")
        }
    }

    @Test("--rps 20 over 100 terminates: each terminated once, nothing refused or retried")
    func rateLimit() async throws {
        let type = TestEnvironment.uniqueName("Rate")
        let seeded = try await seed(100, type: type)
        let input = try writeCSV(seeded.map(\.workflowID))
        let report = TestEnvironment.temporaryPath("report.csv")
        let result = try await sweep.run([
            "terminate", "--input", input, "--rps", "20", "--report", report, "--address", address, "-o", "json",
        ])
        #expect(result.status == 0, "\(result.standardError)")
        // What the rate is, is the clock's to say, not this machine's: the executor's pacing at
        // 20/s is ExecutorTests' "n terminates at 20/s with 16 in flight: every call on its slot",
        // exact on the test clock; scripts/bench holds the real rate to 2 % over 30 s.
        let summary = try #require(
            try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any])
        // One terminate each; every call past that is a retry (a loaded server's calls can
        // outlast their deadline).
        let retries = try #require(summary["retries"] as? Int)
        #expect(summary["calls_sent"] as? Int == 100 + retries, "\(summary)")
        let outcomes = try Report(path: report).outcomes
        #expect(outcomes.count == 100 && outcomes.values.allSatisfy { $0 == "terminated" })
        #expect(try await harness.statuses(of: seeded) == [.terminated: 100])
    }

    @Test("a cancel by query at --rps 10 with 64 in flight: one cancel per workflow, each pinned to its listed run")
    func slowCancelIsOneCallEach() async throws {
        let type = TestEnvironment.uniqueName("SlowCancel")
        let seeded = try await seed(30, type: type)
        let report = TestEnvironment.temporaryPath("report.csv")
        let result = try await sweep.run([
            "cancel", "--query", "WorkflowType='\(type)'", "--yes", "--rps", "10", "--concurrency", "64",
            "--report", report, "-o", "json", "--address", address,
        ])
        #expect(result.status == 0, "\(result.standardError)")
        let summary = try #require(
            try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any])
        #expect(summary["workflows"] as? Int == 30)
        // A cancel each, at most a Describe each (of a listing gone stale before its slot: how
        // many depends on this machine's stalls; that none does at this rate is AdmissionTests',
        // on the test clock), and retries (a loaded server's calls can outlast their deadline).
        let retries = try #require(summary["retries"] as? Int)
        let calls = try #require(summary["calls_sent"] as? Int)
        #expect(calls >= 30 + retries && calls <= 60 + retries, "\(summary)")
        let rows = try Report(path: report).rows
        #expect(rows.count == 30 && rows.allSatisfy { $0["outcome"] == "cancel_requested" })
        let listed = Dictionary(uniqueKeysWithValues: seeded.map { ($0.workflowID, $0.runID) })
        #expect(rows.allSatisfy { listed[$0["workflow_id"] ?? ""] == $0["run_id"] }, "each cancel on its listed run")
    }

    @Test("a query without --yes off a terminal is refused, exit 2, nothing sent")
    func queryNeedsConfirmation() async throws {
        let type = TestEnvironment.uniqueName("Confirm")
        let seeded = try await seed(3, type: type)
        let result = try await sweep.run(["terminate", "--query", "WorkflowType='\(type)'", "--address", address])
        #expect(result.status == 2)
        #expect(result.standardError.contains("--yes"))
        try await withClient { client in
            let described = try await client.describeAll(seeded)
            #expect(described.values.allSatisfy { $0.status == .running })
        }
    }

    @Test("a bad CSV line stops the run before the first RPC, naming file and line")
    func badCSVSendsNothing() async throws {
        let type = TestEnvironment.uniqueName("BadCSV")
        let seeded = try await seed(2, type: type)
        let input = try writeCSV(["workflow_id", seeded[0].workflowID, seeded[1].workflowID, "\"unterminated"])
        let result = try await sweep.run(["terminate", "--input", input, "--address", address])
        #expect(result.status == 2)
        #expect(result.standardError.contains("\(input):4:"), "\(result.standardError)")
        try await withClient { client in
            let described = try await client.describeAll(seeded)
            #expect(described.values.allSatisfy { $0.status == .running })
        }
    }

    @Test("IDs piped on standard input are read as a CSV")
    func standardInput() async throws {
        let type = TestEnvironment.uniqueName("Stdin")
        let seeded = try await seed(5, type: type)
        let report = TestEnvironment.temporaryPath("report.csv")
        let result = try await sweep.run(
            ["terminate", "--input", "-", "--report", report, "--address", address],
            input: seeded.map(\.workflowID).joined(separator: "\n") + "\n"
        )
        #expect(result.status == 0, "\(result.standardError)")
        #expect(
            try Report(path: report).outcomes
                == Dictionary(uniqueKeysWithValues: seeded.map { ($0.workflowID, "terminated") }))
    }

    @Test("an invalid query and an unknown namespace are input errors (exit 2)")
    func serverSideInputErrors() async throws {
        let badQuery = try await sweep.run([
            "terminate", "--query", "WorkflowType = = 'x'", "--yes", "--address", address,
        ])
        #expect(badQuery.status == 2)
        #expect(badQuery.standardError.contains("invalid query"), "\(badQuery.standardError)")

        let badNamespace = try await sweep.run([
            "cancel", "--workflow-id", "x", "--namespace", "no-such-namespace", "--address", address,
        ])
        #expect(badNamespace.status == 2)
        #expect(badNamespace.standardError.contains("no-such-namespace"), "\(badNamespace.standardError)")
    }

    @Test("an unreachable server exits 3")
    func unreachable() async throws {
        let result = try await sweep.run(["terminate", "--workflow-id", "x", "--address", "127.0.0.1:1"])
        #expect(result.status == 3)
        #expect(result.standardError.contains("cannot reach the Temporal server"))
    }
}
