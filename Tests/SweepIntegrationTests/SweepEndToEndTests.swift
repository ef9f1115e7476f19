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
        #expect(rows.allSatisfy { $0["outcome"] == "terminated" && $0["attempts"] == "1" })
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

    @Test("a closed workflow is already_closed and an unknown one not_found, for both actions")
    func closedAndUnknown() async throws {
        let type = TestEnvironment.uniqueName("ClosedUnknown")
        let seeded = try await seed(2, type: type)
        let open = seeded[0].workflowID
        let closed = seeded[1].workflowID
        let unknown = "\(type)-never-started"
        try await withClient { client in try await client.terminate(WorkflowTarget(workflowID: closed), reason: "setup")
        }

        for (action, done) in [("cancel", "cancel_requested"), ("terminate", "terminated")] {
            let report = TestEnvironment.temporaryPath("report.csv")
            let result = try await sweep.run([
                action, "--workflow-id", open, "--workflow-id", closed, "--workflow-id", unknown,
                "--report", report, "--address", address,
            ])
            #expect(result.status == 0, "\(result.standardError)")
            let outcomes = try Report(path: report).outcomes
            #expect(outcomes == [open: done, closed: "already_closed", unknown: "not_found"], "\(action)")
        }
    }

    @Test("--rps 20 over 100 terminates: never 10 % over 20/s, paced 1/20 s apart between stalls")
    func rateLimit() async throws {
        let type = TestEnvironment.uniqueName("Rate")
        let seeded = try await seed(100, type: type)
        let input = try writeCSV(seeded.map(\.workflowID))
        let report = TestEnvironment.temporaryPath("report.csv")
        let result = try await sweep.run([
            "terminate", "--input", input, "--rps", "20", "--report", report, "--address", address, "-o", "json",
        ])
        #expect(result.status == 0, "\(result.standardError)")
        // Nothing refused or retried: a rate under 20/s below is the machine's, not a throttle's.
        let summary = try #require(
            try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any])
        #expect(summary["retries"] as? Int == 0, "\(summary)")
        let rows = try Report(path: report).rows
        try #require(rows.count == 100)
        let times = try rows.map { row in
            try Date(
                try #require(row["finished_at"]),
                strategy: .iso8601.year().month().day().time(includingFractionalSeconds: true))
        }.sorted()
        let span = try #require(times.last).timeIntervalSince(try #require(times.first))
        let achieved = Double(times.count - 1) / span
        // Over the rate is what protects the server: over the whole run, tight (a stall's slots
        // are not made up later: 16 in flight book 0.8 s ahead).
        // Under it is what a stalled process loses: the ASan pass, 2 cores shared with the
        // parallel suites and the server, stalls for seconds (17.9 and 14.4/s overall seen there,
        // 20.0/s in the bench's 30 s runs, which hold the rate to 2 %). A stall delays the calls
        // after it and bunches the ones it held; it moves a few gaps between calls, not the
        // middle one, which is the pace: 1/20 s (a limiter at 16/s or less fails this). Overall,
        // half the rate is a defect on any machine.
        let gaps = zip(times.dropFirst(), times).map { $0.timeIntervalSince($1) }.sorted()
        let median = gaps[gaps.count / 2]
        let context = "achieved \(achieved) calls/s, middle gap \(median) s, largest \(gaps.suffix(3)) s"
        #expect(achieved < 22 && achieved > 10, "\(context)")
        #expect(median < 1.0 / 17, "\(context)")
    }

    @Test("a cancel by query at --rps 10 with 64 in flight is one call per workflow: no listing goes stale waiting")
    func slowCancelIsOneCallEach() async throws {
        let type = TestEnvironment.uniqueName("SlowCancel")
        _ = try await seed(30, type: type)
        let result = try await sweep.run([
            "cancel", "--query", "WorkflowType='\(type)'", "--yes", "--rps", "10", "--concurrency", "64",
            "--report", TestEnvironment.temporaryPath("report.csv"), "-o", "json", "--address", address,
        ])
        #expect(result.status == 0, "\(result.standardError)")
        let summary = try #require(
            try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any])
        #expect(summary["workflows"] as? Int == 30)
        // Handed out 6.4 s before their slots, half of them used to be described first (about 57
        // calls). Now a listing is at most about 1.75 s old when acted on, against a trust of 2 s:
        // a loaded machine stalling a few jobs past it costs a Describe each.
        let calls = try #require(summary["calls_sent"] as? Int)
        #expect(calls >= 30 && calls <= 33, "\(summary)")
        // Paced all the same: 30 at 10/s take 2.9 s at least (what the rate is under load is the
        // timing test's and the unit tests' to say).
        let rate = try #require(summary["workflows_per_second"] as? Double)
        #expect(rate <= 10.5, "\(rate)/s")
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
