import Foundation
import SweepCore
import SweepTestSupport
import Testing

/// `--engine server` (Temporal's batch engine, reconciled per workflow), `sweep batch`, and
/// `--shard`, on the real server. Serialized: the server runs one batch job per namespace.
@Suite("scale: server batch engine, batch commands, shards", .serialized)
struct ScaleIntegrationTests {
    let harness: Harness

    init() throws {
        harness = try Harness()
    }

    /// The batch job IDs a summary names.
    private static func jobIDs(_ summary: String) -> [String] {
        guard let line = summary.split(separator: "\n").first(where: { $0.contains("server batch jobs:") }) else {
            return []
        }
        return line.split(separator: " ").map(String.init).filter { $0.hasPrefix("sweep-") }.map {
            $0.trimmingCharacters(in: CharacterSet(charactersIn: ","))
        }
    }

    @Test(
        "--engine server by CSV: unknown IDs, a closed one and a duplicate reported as the client engine would; batch describe, list and stop"
    )
    func serverEngineCSV() async throws {
        let type = TestEnvironment.uniqueName("SrvCsv")
        let seeded = try await harness.seed(6, type: type)
        _ = try await harness.sweep.run([
            "terminate", "-w", seeded[0].workflowID, "--address", harness.address, "--report", "/dev/null",
        ])
        try await harness.withClient { client in
            try await client.waitForCount("WorkflowType='\(type)' AND ExecutionStatus='Running'", toBe: 5)
        }
        let unknown = ["\(type)-absent-1", "\(type)-absent-2"]
        let input = try harness.writeCSV(
            ["workflow_id"] + seeded.map(\.workflowID) + unknown + [seeded[2].workflowID])
        let report = TestEnvironment.temporaryPath("server-csv.csv")
        let result = try await harness.sweep.run([
            "terminate", "--engine", "server", "--input", input, "--address", harness.address, "--report", report,
        ])
        #expect(result.status == 0, "\(result.standardError)")
        let rows = try Report(path: report).rows
        #expect(rows.count == 9)
        let outcomes = Report.outcomes(rows.filter { $0["outcome"] != "duplicate" })
        #expect(outcomes.values.filter { $0 == "terminated" }.count == 5)
        #expect(outcomes[seeded[0].workflowID] == "already_closed")
        #expect(unknown.allSatisfy { outcomes[$0] == "not_found" })
        #expect(rows.filter { $0["outcome"] == "duplicate" }.map { $0["workflow_id"] } == [seeded[2].workflowID])

        let jobs = Self.jobIDs(result.standardError)
        #expect(jobs.count == 1, "\(result.standardError)")
        let job = try #require(jobs.first)
        // Each terminated row names the job and the exact run the server was given.
        let byID = Dictionary(seeded.map { ($0.workflowID, $0.runID) }, uniquingKeysWith: { first, _ in first })
        for row in rows where row["outcome"] == "terminated" {
            #expect(row["message"]?.contains(job) == true)
            #expect(row["run_id"] == byID[row["workflow_id"] ?? ""] ?? nil)
        }
        #expect(try await harness.statuses(of: seeded) == [.terminated: 6])

        // The server's own view of that job.
        let described = try await harness.sweep.run([
            "batch", "describe", job, "-o", "json", "--address", harness.address,
        ])
        #expect(described.status == 0, "\(described.standardError)")
        let document = try #require(
            try JSONSerialization.jsonObject(with: Data(described.standardOutput.utf8)) as? [String: Any])
        #expect(document["job_id"] as? String == job)
        #expect(document["state"] as? String == "completed")
        #expect(document["operation"] as? String == "terminate")
        #expect(document["total"] as? Int == 5)

        let listed = try await harness.sweep.run(["batch", "list", "-o", "json", "--address", harness.address])
        #expect(listed.status == 0, "\(listed.standardError)")
        let list = try #require(
            try JSONSerialization.jsonObject(with: Data(listed.standardOutput.utf8)) as? [[String: Any]])
        #expect(list.contains { $0["job_id"] as? String == job })
        let table = try await harness.sweep.run(["batch", "list", "--address", harness.address])
        #expect(table.standardOutput.hasPrefix("JOB ID"))
        #expect(table.standardOutput.contains(job))

        let stopEnded = try await harness.sweep.run(["batch", "stop", job, "--address", harness.address])
        #expect(stopEnded.status == 0, "\(stopEnded.standardError)")
        #expect(stopEnded.standardError.contains("had already ended"))
        let unknownJob = try await harness.sweep.run([
            "batch", "describe", "\(type)-no-such-job", "--address", harness.address,
        ])
        #expect(unknownJob.status == 2)
        #expect(unknownJob.standardError.contains("no batch job"))
    }

    @Test("--engine server by query: the listed runs are pinned and the cancel requests are confirmed on each run")
    func serverEngineQueryCancel() async throws {
        let type = TestEnvironment.uniqueName("SrvQuery")
        let seeded = try await harness.seed(5, type: type)
        let report = TestEnvironment.temporaryPath("server-query.csv")
        let result = try await harness.sweep.run([
            "cancel", "--engine", "server", "-q", "WorkflowType='\(type)'", "--yes", "--address", harness.address,
            "--report", report, "--batch-size", "2",
        ])
        #expect(result.status == 0, "\(result.standardError)")
        let rows = try Report(path: report).rows
        #expect(rows.count == 5)
        #expect(rows.allSatisfy { $0["outcome"] == "cancel_requested" })
        // Three jobs of at most two, one after another.
        #expect(Self.jobIDs(result.standardError).count == 3, "\(result.standardError)")
        let described = try await harness.withClient { client in try await client.describeAll(seeded) }
        #expect(described.count == 5)
        let notRequested = described.values.filter { !$0.cancelRequested }.map(\.workflowID)
        #expect(notRequested.isEmpty)
    }

    /// Waits until a batch job runs on the server at `address`; returns its ID.
    @discardableResult
    private func runningBatchJob(_ address: String) async throws -> String {
        try await Patience.waitFor("a batch job running on \(address)", every: .milliseconds(200)) {
            () async throws -> (value: String?, seen: String) in
            let jobs = try await harness.withClient(address: address) { client in
                try await client.listBatches(pageSize: 10, pageToken: []).jobs
            }
            return (jobs.first { $0.isRunning }?.jobID, "\(jobs.count) jobs, none running")
        }
    }

    @Test(
        "a stop mid-job stops it on the server and reports exactly what it did; a second job meanwhile is refused clearly; both finish with --resume; a job stopped with sweep batch stop leaves its unreached runs failed"
    )
    func stopBusyResume() async throws {
        // A server of its own whose batcher goes at 3/s: 150 runs take it about 50 s, long enough
        // for a second sweep to be refused meanwhile (after its 10 s wait) and for a stop to find
        // work left, without loading the shared server the other suites run on.
        let server = try DevServer(extraArguments: ["--dynamic-config-value", "worker.batcherRPS=3"])
        try await server.start()
        let address = server.address
        let type = TestEnvironment.uniqueName("SrvStop")
        let seeded = try await harness.seed(150, type: type, address: address)
        let other = try await harness.seed(1, type: TestEnvironment.uniqueName("SrvOther"), address: address)
        let report = TestEnvironment.temporaryPath("server-stop.csv")
        let arguments = [
            "terminate", "--engine", "server", "-q", "WorkflowType='\(type)'", "--yes", "--rps", "1000", "--address",
            address,
        ]
        let running = try harness.sweep.start(arguments + ["--report", report])
        try await runningBatchJob(address)

        // A second job in the namespace is refused (after a short wait), said plainly, nothing sent.
        let otherReport = TestEnvironment.temporaryPath("server-busy.csv")
        let busy = try await harness.sweep.run([
            "terminate", "--engine", "server", "-w", other[0].workflowID, "--address", address, "--report", otherReport,
        ])
        #expect(busy.status == 1, "\(busy.standardError)")
        #expect(busy.standardError.contains("Max concurrent batch operations is reached"))
        #expect(busy.standardError.contains("one batch job per namespace"))
        #expect(try Report(path: otherReport).outcomes == [other[0].workflowID: "not_attempted"])
        #expect(try await harness.statuses(of: other, address: address) == [.running: 1])

        running.send(SIGINT)
        let stopped = await running.wait()
        #expect(stopped.status == 130, "\(stopped.standardError)")
        #expect(stopped.standardError.contains("StopBatchOperation"))
        let first = try Report(path: report).outcomes
        #expect(first.count == 150)
        let done = first.filter { $0.value == "terminated" }.count
        let left = first.filter { $0.value == "not_attempted" }.count
        #expect(done + left == 150, "\(Set(first.values))")
        #expect(done > 0 && left > 0, "terminated \(done), not_attempted \(left)")
        // The report says what the server did, run by run.
        let statuses = try await harness.withClient(address: address) { client in try await client.describeAll(seeded) }
        for (id, outcome) in first {
            let expected: WorkflowStatus = outcome == "terminated" ? .terminated : .running
            #expect(statuses[id]?.status == expected, "\(id): reported \(outcome)")
        }

        let resumed = try await harness.sweep.run(arguments + ["--resume", report])
        #expect(resumed.status == 0, "\(resumed.standardError)")
        #expect(resumed.standardError.contains("\(150 - left) workflows already settled are skipped"))
        if left >= 15 {
            // The batcher goes at its own 3/s, not the 1,000/s asked; the run says so.
            #expect(
                resumed.standardError.contains("the server's batcher sets its own pace"), "\(resumed.standardError)")
        }
        let final = try Report(path: report).outcomes
        #expect(final.count == 150)
        #expect(final.values.allSatisfy { $0 == "terminated" }, "\(Set(final.values))")
        #expect(try await harness.statuses(of: seeded, address: address) == [.terminated: 150])

        let busyResumed = try await harness.sweep.run([
            "terminate", "--engine", "server", "-w", other[0].workflowID, "--address", address, "--resume", otherReport,
        ])
        #expect(busyResumed.status == 0, "\(busyResumed.standardError)")
        #expect(try Report(path: otherReport).outcomes == [other[0].workflowID: "terminated"])

        // A job stopped by someone else (sweep batch stop): the sweep reports what it did, and
        // the runs it never reached as failed (exit 1), matching the server run by run.
        let thirdType = TestEnvironment.uniqueName("SrvStopped")
        let third = try await harness.seed(60, type: thirdType, address: address)
        let thirdReport = TestEnvironment.temporaryPath("server-stopped-by-other.csv")
        let thirdRun = try harness.sweep.start([
            "terminate", "--engine", "server", "-q", "WorkflowType='\(thirdType)'", "--yes", "--address", address,
            "--report", thirdReport,
        ])
        let job = try await runningBatchJob(address)
        let stop = try await harness.sweep.run(["batch", "stop", job, "--reason", "test", "--address", address])
        #expect(stop.status == 0, "\(stop.standardError)")
        #expect(stop.standardOutput.contains(job))
        let thirdResult = await thirdRun.wait()
        #expect(thirdResult.status == 1, "\(thirdResult.standardError)")
        let thirdOutcomes = try Report(path: thirdReport).outcomes
        #expect(thirdOutcomes.count == 60)
        #expect(thirdOutcomes.values.contains("failed"), "\(Set(thirdOutcomes.values))")
        let thirdStatuses = try await harness.withClient(address: address) { client in
            try await client.describeAll(third)
        }
        for (id, outcome) in thirdOutcomes {
            #expect(["terminated", "failed"].contains(outcome), "\(id): \(outcome)")
            let expected: WorkflowStatus = outcome == "terminated" ? .terminated : .running
            #expect(thirdStatuses[id]?.status == expected, "\(id): reported \(outcome)")
        }
        try await server.stop()  // (on a failure above, its deinit stops it)
    }

    @Test("--shard i/3 over one query: three runs act on disjoint shares that cover it, each saying which shard it was")
    func shards() async throws {
        let type = TestEnvironment.uniqueName("Shard")
        // 150 at the default 50/s: the shared server's other suites time their own runs.
        let seeded = try await harness.seed(150, type: type)
        var owner: [String: Int] = [:]
        var reports: [String] = []
        for index in 0..<3 {
            let report = TestEnvironment.temporaryPath("shard-\(index).csv")
            reports.append(report)
            let result = try await harness.sweep.run([
                "terminate", "-q", "WorkflowType='\(type)'", "--shard", "\(index)/3", "--yes",
                "--address", harness.address, "--report", report,
            ])
            #expect(result.status == 0, "\(result.standardError)")
            let outcomes = try Report(path: report).outcomes
            #expect(outcomes.values.allSatisfy { $0 == "terminated" })
            for id in outcomes.keys {
                #expect(owner[id] == nil, "\(id) in shards \(owner[id] ?? -1) and \(index)")
                owner[id] = index
            }
            // The listing still holds every run (closed ones included): the others' share is
            // what this one read and left.
            #expect(result.standardError.contains("shard \(index)/3: "), "\(result.standardError)")
        }
        #expect(Set(owner.keys) == Set(seeded.map(\.workflowID)))
        #expect(try await harness.statuses(of: seeded) == [.terminated: 150])
        // The same split as the documented hash gives.
        for (id, index) in owner { #expect(Shard.index(of: id, count: 3) == index) }

        // The documented merge: one header, every shard's rows.
        let merge = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("samples/kubernetes/merge-reports").path
        let merged = TestEnvironment.temporaryPath("merged.csv")
        let result = try await harness.sweep.runShell(
            "'\(merge)' \(reports.map { "'\($0)'" }.joined(separator: " ")) > '\(merged)'")
        #expect(result.status == 0, "\(result.standardError)")
        let rows = try Report(path: merged).rows
        #expect(rows.count == 150)
        #expect(Set(rows.compactMap { $0["workflow_id"] }) == Set(seeded.map(\.workflowID)))
    }

    @Test("--shard over a CSV: a dry run of each share, disjoint and complete; --chain is refused with --engine server")
    func shardsOfCSV() async throws {
        let ids = (0..<200).map { "shard-csv-\($0)" }
        let input = try harness.writeCSV(["workflow_id"] + ids)
        var seen: [String] = []
        for index in 0..<4 {
            let report = TestEnvironment.temporaryPath("shard-csv-\(index).csv")
            let result = try await harness.sweep.run([
                "terminate", "--input", input, "--shard", "\(index)/4", "--dry-run", "--address", harness.address,
                "--report", report,
            ])
            #expect(result.status == 0, "\(result.standardError)")
            let outcomes = try Report(path: report).outcomes
            #expect(outcomes.values.allSatisfy { $0 == "not_found" })
            seen += outcomes.keys
            #expect(
                result.standardError.contains(
                    "shard \(index)/4: \(200 - outcomes.count) entries read (IDs, or listed runs) fell to the other 3 shards"
                ),
                "\(result.standardError)")
        }
        #expect(seen.count == 200)
        #expect(Set(seen) == Set(ids))

        let chained = try await harness.sweep.run([
            "terminate", "--engine", "server", "--chain", "-w", "x", "--address", harness.address, "--report",
            "/dev/null",
        ])
        #expect(chained.status == 2)
        #expect(chained.standardError.contains("--chain and --engine server do not go together"))
    }
}
