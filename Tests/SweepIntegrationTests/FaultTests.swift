import Foundation
import SweepCSV
import SweepCore
import SweepTestSupport
import TemporalAPI
import Testing

/// Under faults and bad input, nothing is lost and nothing is done twice: the real binary against
/// real servers, killed, interrupted, and cut off from a restarting server.
@Suite("faults and bad input")
struct FaultTests {
    let harness: Harness

    init() throws {
        harness = try Harness()
    }

    /// Every row of a report, grouped by workflow ID.
    private func rowsByID(_ path: String) throws -> [String: [[String: String]]] {
        Dictionary(grouping: try Report(path: path).rows) { $0["workflow_id"] ?? "" }
    }

    @Test("kill -9 mid-run, then --resume: every ID once with a final outcome, none terminated twice")
    func killAndResume() async throws {
        let type = TestEnvironment.uniqueName("Kill")
        let seeded = try await harness.seed(2000, type: type)
        try await harness.waitPastClockSkew()
        let input = try harness.writeCSV(["workflow_id"] + seeded.map(\.workflowID))
        let report = TestEnvironment.temporaryPath("report.csv")
        let arguments = [
            "terminate", "--input", input, "--rps", "200", "--concurrency", "32", "--address", harness.address,
        ]

        // Killed where it stops itself, after its 300th row: mid-run, with calls in flight.
        let first = try harness.sweep.start(
            arguments + ["--report", report], environment: SweepProcess.stopAfterRows(300))
        try await first.waitUntilStopped()
        first.send(SIGKILL)
        let killed = await first.wait()
        #expect(killed.status == 128 + SIGKILL)
        let rowsBeforeResume = try Report(path: report).rows.count
        #expect(rowsBeforeResume == 300)

        let resumed = try await harness.sweep.run(arguments + ["--resume", report])
        #expect(resumed.status == 0, "\(resumed.standardError)")
        #expect(resumed.standardError.contains("already settled are skipped"))

        let byID = try rowsByID(report)
        #expect(Set(byID.keys) == Set(seeded.map(\.workflowID)))
        // Exactly one row per ID: settled rows were skipped on resume; IDs in flight at the kill
        // had no row yet and got theirs from the resumed run.
        let duplicated = byID.filter { $0.value.count != 1 }
        #expect(duplicated.isEmpty, "\(duplicated.keys.prefix(5))")
        let outcomes = byID.values.compactMap { $0.last?["outcome"] }
        // Those whose terminate landed just before the kill (at most the 32 in flight) are the
        // killed run's work, told from their history: terminated, never already_closed.
        #expect(outcomes.allSatisfy { $0 == "terminated" }, "\(Set(outcomes))")
        let byKilledRun = byID.values.compactMap(\.last).filter {
            $0["message"]?.contains("sweep that wrote the report") == true
        }
        #expect(byKilledRun.count <= 32)

        #expect(try await harness.statuses(of: seeded) == [.terminated: 2000])
        try await harness.withClient { client in
            for target in seeded.shuffled().prefix(200) {
                let events = try await client.events(of: .workflowExecutionTerminated, in: target)
                #expect(events.count == 1, "\(target)")
            }
        }
        print(
            "kill -9 + resume: IDs in 2000, rows before resume \(rowsBeforeResume), rows out \(byID.values.map(\.count).reduce(0, +)), duplicates \(duplicated.count), closed by the killed run \(byKilledRun.count)"
        )
    }

    @Test("SIGINT mid-run: exit 130, every ID accounted for, not_attempted ones untouched; --resume finishes")
    func interrupt() async throws {
        let type = TestEnvironment.uniqueName("Interrupt")
        let seeded = try await harness.seed(300, type: type)
        let input = try harness.writeCSV(seeded.map(\.workflowID))
        let report = TestEnvironment.temporaryPath("report.csv")
        let arguments = ["terminate", "--input", input, "--rps", "50", "--address", harness.address]

        // Interrupted where it stops itself, after its 40th row: 260 are left.
        let running = try harness.sweep.start(
            arguments + ["--report", report], environment: SweepProcess.stopAfterRows(40))
        try await running.waitUntilStopped()
        running.send(SIGINT)
        running.send(SIGCONT)
        let result = await running.wait()
        #expect(result.status == 130, "\(result.standardError)")
        #expect(result.standardError.contains("stopped by signal 2"))
        #expect(result.standardError.contains("not_attempted"))

        let rows = try Report(path: report).rows
        #expect(rows.count == 300)
        let terminated = rows.filter { $0["outcome"] == "terminated" }.compactMap { $0["workflow_id"] }
        let skipped = rows.filter { $0["outcome"] == "not_attempted" }.compactMap { $0["workflow_id"] }
        #expect(terminated.count + skipped.count == 300)
        #expect(terminated.count >= 40 && !skipped.isEmpty)
        let byID = Dictionary(uniqueKeysWithValues: seeded.map { ($0.workflowID, $0) })
        #expect(try await harness.statuses(of: skipped.compactMap { byID[$0] }) == [.running: skipped.count])
        #expect(try await harness.statuses(of: terminated.compactMap { byID[$0] }) == [.terminated: terminated.count])
        print(
            "SIGINT: IDs in 300, rows out \(rows.count), terminated \(terminated.count), not_attempted \(skipped.count)"
        )

        let resumed = try await harness.sweep.run(arguments + ["--resume", report, "--rps", "500"])
        #expect(resumed.status == 0, "\(resumed.standardError)")
        let final = try rowsByID(report)
        #expect(final.values.allSatisfy { $0.last?["outcome"] == "terminated" })
        #expect(try await harness.statuses(of: seeded) == [.terminated: 300])
    }

    @Test("the server stopped and restarted (same db) mid-run: the run completes, nothing lost")
    func serverRestart() async throws {
        let server = try DevServer()
        try await server.start()
        let type = TestEnvironment.uniqueName("Restart")
        let seeded = try await harness.seed(150, type: type, address: server.address)
        let input = try harness.writeCSV(seeded.map(\.workflowID))
        let report = TestEnvironment.temporaryPath("report.csv")

        // The retry window outlasts any restart the tests wait for (the shared ceiling): how long
        // this machine takes to bring the server back is not what is tested. The server goes
        // down while sweep is stopped after its 20th row, so the outage meets the 130 left.
        let running = try harness.sweep.start(
            [
                "terminate", "--input", input, "--rps", "25", "--retry-for", "600", "--report", report, "--address",
                server.address,
            ], environment: SweepProcess.stopAfterRows(20))
        try await running.waitUntilStopped()
        do {
            try await server.stop()
        } catch {
            running.send(SIGCONT)
            throw error
        }
        running.send(SIGCONT)
        try await Task.sleep(for: .seconds(2))
        try await server.start()
        let result = await running.wait()

        #expect(result.status == 0, "\(result.standardError)")
        let byID = try rowsByID(report)
        #expect(byID.count == 150)
        #expect(byID.values.allSatisfy { $0.count == 1 })
        let outcomes = byID.values.compactMap { $0.first?["outcome"] }
        #expect(
            outcomes.allSatisfy { $0 == "terminated" }, "\(Dictionary(grouping: outcomes) { $0 }.mapValues(\.count))")
        let retried = byID.values.filter { Int($0.first?["attempts"] ?? "") ?? 0 > 1 }.count
        #expect(retried > 0, "the outage should have made some calls retry")
        #expect(try await harness.statuses(of: seeded, address: server.address) == [.terminated: 150])
        try await server.stop()
        print("server restart: IDs in 150, rows out \(byID.values.map(\.count).reduce(0, +)), retried \(retried)")
    }

    @Test(
        "each bad input: exit 2, a message naming file and line, nothing sent",
        arguments: [
            // (what, text with W1/W2 standing for two real workflows, raw bytes appended, expected message)
            ("unterminated quote", "workflow_id\nW1\nW2\n\"open\n", [], ":4: unterminated"),
            ("invalid UTF-8", "workflow_id\nW1\nW2\n", [0x62, 0xFF, 0x0A], ":4: field 1 is not valid UTF-8"),
            ("no workflow_id column", "id\nW1\nW2\n", [], ":1: missing workflow_id column"),
            ("empty ID", "workflow_id,run_id\nW1,\n,some-run\nW2,\n", [], ":3: empty workflow_id"),
            (
                "ID over the limit", "workflow_id\nW1\nW2\n" + String(repeating: "x", count: 1001) + "\n", [],
                ":4: workflow_id is 1001 bytes"
            ),
            ("extra headerless column", "W1,extra\nW2\n", [], ":1: expected one column"),
            ("ragged row", "workflow_id,run_id\nW1,\nW2\n", [], ":3: expected 2 fields"),
            ("header separated by ';'", "workflow_id;run_id\nW1;\nW2;\n", [], ":1: the header is separated by ';'"),
            (
                "header separated by tabs", "workflow_id\trun_id\nW1\t\nW2\t\n", [],
                ":1: the header is separated by tabs"
            ),
            (
                "a UTF-16 export", "",
                [0xFF, 0xFE] + Array("workflow_id\nW1\n".utf16).flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] },
                "UTF-16"
            ),
            (
                "UTF-16 without a byte order mark", "workflow_id\nW1\n", [0x78, 0x00, 0x79, 0x00, 0x0A],
                ":3: workflow_id contains NUL"
            ),
            (
                "a control character in an ID", "workflow_id\nW1\nW2\u{1B}[2J\n", [],
                ":3: workflow_id contains the control character U+001B"
            ),
            (
                "the table temporal workflow list prints", "  Status   WorkflowId   Type\n  Running  W1  T\n", [],
                "temporal workflow list"
            ),
            (
                "a malformed run_id", "workflow_id,run_id\nW1,\nW2,not-a-run\n", [],
                ":3: run_id 'not-a-run' is not a run ID"
            ),
        ] as [(String, String, [UInt8], String)])
    func badInput(name: String, text: String, rawSuffix: [UInt8], message: String) async throws {
        let type = TestEnvironment.uniqueName("BadInput")
        let seeded = try await harness.seed(2, type: type)
        let content =
            text
            .replacingOccurrences(of: "W1", with: seeded[0].workflowID)
            .replacingOccurrences(of: "W2", with: seeded[1].workflowID)
        let input = try harness.writeFile(Data(content.utf8) + Data(rawSuffix))
        let report = TestEnvironment.temporaryPath("report.csv")
        let result = try await harness.sweep.run([
            "terminate", "--input", input, "--report", report, "--address", harness.address,
        ])
        #expect(result.status == 2, "\(name): \(result.standardError)")
        #expect(!FileManager.default.fileExists(atPath: report), "\(name): no report is started for bad input")
        #expect(result.standardError.contains(message), "\(name): \(result.standardError)")
        #expect(result.standardError.contains(input), "\(name): the message should name the file")
        #expect(try await harness.statuses(of: seeded) == [.running: 2], "\(name)")
    }

    @Test("a BOM and CRLF line ends are fine: the IDs are read as written")
    func byteOrderMarkAndCRLF() async throws {
        let type = TestEnvironment.uniqueName("Bom")
        let seeded = try await harness.seed(2, type: type)
        let input = try harness.writeFile(
            Data([0xEF, 0xBB, 0xBF])
                + Data("workflow_id\r\n\(seeded[0].workflowID)\r\n\(seeded[1].workflowID)\r\n".utf8))
        let report = TestEnvironment.temporaryPath("report.csv")
        let result = try await harness.sweep.run([
            "terminate", "--input", input, "--report", report, "--address", harness.address,
        ])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(
            try Report(path: report).outcomes == [
                seeded[0].workflowID: "terminated", seeded[1].workflowID: "terminated",
            ])
    }

    @Test(
        "flag errors exit 2 and name the flags",
        arguments: [
            (["terminate", "--workflow-id", "x", "--query", "WorkflowType='x'"], "exclusive"),
            (["terminate"], "--query, --input or --workflow-id"),
            (["cancel", "--workflow-id", "x", "--rps", "0"], "--rps"),
            (["cancel", "--workflow-id", "x", "--resume", "a.csv", "--report", "b.csv"], "--resume"),
            (["terminate", "--workflow-id", "x", "--rps", "1e-12"], "--rps must be from 0.01"),
            (["terminate", "--workflow-id", "x", "--rps", "nan"], "--rps"),
            (["terminate", "--workflow-id", "x", "--retry-for", "1e300"], "--retry-for must be from 0 to 86400"),
            (["cancel", "--workflow-id", "x", "--wait", "1e300s"], "--wait must be from 0 to 604800"),
            (["cancel", "--workflow-id", "x", "--escalate-after", "9999999h"], "--escalate-after must be"),
            (["terminate", "--workflow-id", "x", "--concurrency", "0"], "--concurrency"),
            (["terminate", "--workflow-id", "x", "--max", "0"], "--max"),
            (["plan", "--workflow-id", "x", "--rps", "0"], "--rps"),
            (["terminate", "--query", " \n\t "], "--query is empty"),
            (["terminate", "--workflow-id", "x", "--run-id", "nope"], "--run-id 'nope' is not a run ID"),
            (["terminate", "--workflow-id", "x", "--resume", "a.csv", "--overwrite"], "--overwrite and --resume"),
        ])
    func flagErrors(arguments: [String], message: String) async throws {
        let result = try await harness.sweep.run(arguments + ["--address", harness.address])
        #expect(result.status == 2, "\(result.standardError)")
        #expect(result.standardError.contains(message), "\(result.standardError)")
    }

    @Test("workflow IDs with commas, quotes and formula characters round-trip through input and report")
    func awkwardIDs() async throws {
        let type = TestEnvironment.uniqueName("Awkward")
        let ids = ["\(type),comma", "\(type) \"quoted\"", "+\(type)", "=\(type)+1", "-\(type)", "@\(type)"]
        let started = try await harness.withClient { client in
            for id in ids { _ = try await client.startPatiently(id: id, type: type) }
            try await client.waitForCount("WorkflowType='\(type)'", toBe: ids.count)
            return ids.map { WorkflowTarget(workflowID: $0) }
        }
        let input = try harness.writeCSV(["workflow_id"] + ids.map(CSVWriter.encode))
        let report = TestEnvironment.temporaryPath("report.csv")
        let result = try await harness.sweep.run([
            "terminate", "--input", input, "--report", report, "--address", harness.address,
        ])
        #expect(result.status == 0, "\(result.standardError)")
        let rows = try Report(path: report).rows
        // Formula-like cells are neutralised in the report and restored when read back.
        #expect(Set(rows.compactMap { $0["workflow_id"] }.map(ReportFormat.restore)) == Set(ids))
        #expect(rows.contains { $0["workflow_id"] == "'=\(type)+1" })
        #expect(try await harness.statuses(of: started) == [.terminated: ids.count])
    }
}
