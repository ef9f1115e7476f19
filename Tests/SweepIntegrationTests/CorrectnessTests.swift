import Foundation
import SweepCSV
import SweepCore
import SweepTestSupport
import TemporalAPI
import Testing

/// Paths that once skipped workflows in silence, each on the real server with the real binary:
/// the report accounts for every workflow given, and the exit code says whether each reached its
/// outcome.
@Suite("nothing skipped in silence")
struct CorrectnessTests {
    let harness: Harness

    init() throws {
        harness = try Harness()
    }

    private var sweep: SweepProcess { harness.sweep }
    private var address: String { harness.address }

    @Test("plan then apply: IDs a spreadsheet would read as formulas are sent exactly as they are")
    func planApplyRoundTrip() async throws {
        let type = TestEnvironment.uniqueName("Formula")
        let ids = ["+1555\(type)", "=\(type)", "-\(type)", "@\(type)", "'\(type)", "plain-\(type)"]
        let started = try await harness.startWorkflows(ids, type: type)
        let input = try harness.writeCSV(["workflow_id"] + ids.map(CSVWriter.encode))
        let plan = TestEnvironment.temporaryPath("plan.csv")
        let planned = try await sweep.run(["plan", "--input", input, "--out", plan, "--address", address])
        #expect(planned.status == 0, "\(planned.standardError)")
        #expect(try TextFile.read(plan).contains("'+1555\(type)"), "the plan keeps spreadsheets safe")

        let report = TestEnvironment.temporaryPath("report.csv")
        let applied = try await sweep.run([
            "apply", plan, "--action", "terminate", "--report", report, "--address", address,
        ])
        #expect(applied.status == 0, "\(applied.standardError)")
        let outcomes = Report.outcomes(
            try Report(path: report).rows.map { row in
                row.merging(["workflow_id": ReportFormat.restore(row["workflow_id"] ?? "")]) { $1 }
            })
        #expect(outcomes == Dictionary(uniqueKeysWithValues: ids.map { ($0, "terminated") }))
        #expect(try await harness.statuses(of: started) == [.terminated: ids.count])
    }

    @Test("--max counts workflows, not lines: a, a, b with --max 2 sends a and b and reports all three lines")
    func maxCountsDistinct() async throws {
        let type = TestEnvironment.uniqueName("MaxDup")
        let seeded = try await harness.seed(2, type: type)
        let (a, b) = (seeded[0].workflowID, seeded[1].workflowID)
        let input = try harness.writeCSV(["workflow_id", a, a, b])
        let report = TestEnvironment.temporaryPath("report.csv")
        let result = try await sweep.run([
            "terminate", "--input", input, "--max", "2", "--report", report, "--address", address,
        ])
        #expect(result.status == 0, "\(result.standardError)")
        let rows = try Report(path: report).rows
        #expect(rows.map { $0["workflow_id"] ?? "" }.sorted() == [a, a, b].sorted())
        // The duplicate's row follows the row of the line it repeats.
        #expect(rows.lastIndex { $0["workflow_id"] == a } == rows.lastIndex { $0["outcome"] == "duplicate" })
        #expect(rows.first { $0["workflow_id"] == a }?["outcome"] == "terminated")
        #expect(Report.outcomes(rows.filter { $0["outcome"] != "duplicate" }) == [a: "terminated", b: "terminated"])
        #expect(result.standardError.contains("2 workflows, 3 report rows"))
        #expect(try await harness.statuses(of: seeded) == [.terminated: 2])
    }

    @Test(
        "IDs equal as Swift Strings but not byte for byte (é precomposed; e and a combining accent) are two workflows: each acted on, and --resume tells them apart"
    )
    func canonicallyEquivalentIDs() async throws {
        let type = TestEnvironment.uniqueName("Accent")
        let composed = "caf\u{E9}-\(type)"
        let decomposed = "cafe\u{301}-\(type)"
        #expect(composed == decomposed && Array(composed.utf8) != Array(decomposed.utf8), "the premise")
        let started = try await harness.startWorkflows([composed, decomposed], type: type)
        let report = TestEnvironment.temporaryPath("report.csv")

        // A first run settles the precomposed one only.
        let first = try await sweep.run([
            "terminate", "--input", try harness.writeCSV(["workflow_id", composed]), "--report", report,
            "--address", address,
        ])
        #expect(first.status == 0, "\(first.standardError)")
        // Resumed with both: the other is not taken for the settled one.
        let both = try harness.writeCSV(["workflow_id", composed, decomposed])
        let resumed = try await sweep.run(["terminate", "--input", both, "--resume", report, "--address", address])
        #expect(resumed.status == 0, "\(resumed.standardError)")
        let rows = try Report(path: report).rows.map { (Array(($0["workflow_id"] ?? "").utf8), $0["outcome"] ?? "") }
        #expect(rows.count == 2)
        #expect(rows.contains { $0.0 == Array(composed.utf8) && $0.1 == "terminated" })
        #expect(rows.contains { $0.0 == Array(decomposed.utf8) && $0.1 == "terminated" })
        // (Not harness.statuses: it keys by String, which would count these two as one.)
        for target in started {
            let status = try await harness.withClient { try await $0.describe(target).status }
            #expect(status == .terminated, "\(Array(target.workflowID.utf8))")
        }
        #expect(started.count == 2)

        // Both in one input: neither is reported a duplicate of the other.
        let again = try await sweep.run([
            "terminate", "--input", both, "--dry-run", "--report", TestEnvironment.temporaryPath("dry.csv"),
            "--address", address,
        ])
        #expect(again.status == 0, "\(again.standardError)")
        #expect(!again.standardError.contains("duplicate"), "\(again.standardError)")
    }

    @Test("--input from a pipe that is not '-' (process substitution) is read once, validated and sent")
    func processSubstitution() async throws {
        let type = TestEnvironment.uniqueName("Pipe")
        let seeded = try await harness.seed(3, type: type)
        let ids = seeded.map(\.workflowID).joined(separator: "\\n")
        let report = TestEnvironment.temporaryPath("report.csv")
        let result = try await sweep.runShell(
            "\"$SWEEP\" terminate --input <(printf 'workflow_id\\n\(ids)\\n') --report '\(report)' --address \(address)"
        )
        #expect(result.status == 0, "\(result.standardError)")
        #expect(Set(try Report(path: report).outcomes.values) == ["terminated"])
        #expect(try Report(path: report).rows.count == 3)
        #expect(try await harness.statuses(of: seeded) == [.terminated: 3])

        // A bad line in a pipe is still found before anything is sent, named as the path given.
        let more = try await harness.seed(1, type: type + "b")
        let bad = try await sweep.runShell(
            "\"$SWEEP\" terminate --input <(printf 'workflow_id,run_id\\n\(more[0].workflowID),bad-run\\n') --address \(address)"
        )
        #expect(bad.status == 2, "\(bad.standardError)")
        #expect(bad.standardError.contains("/dev/fd/"), "\(bad.standardError)")
        #expect(try await harness.statuses(of: more) == [.running: 1])
    }

    @Test("--resume after a row torn inside a quoted field: the tail is cut off, the workflow retried, the file whole")
    func tornJournal() async throws {
        let type = TestEnvironment.uniqueName("Torn")
        let seeded = try await harness.seed(3, type: type)
        try await harness.waitPastClockSkew()
        let ids = seeded.map(\.workflowID)
        // The sweep that crashed began after the seeding; it terminated the first workflow and
        // wrote its row, then the crash tore the second's row inside a quoted message that spans
        // lines.
        _ = try await harness.withClient { client in
            try await client.terminatePatiently(WorkflowTarget(workflowID: ids[0]), reason: "before the crash")
        }
        let whole =
            ReportFormat.header
            + RunProvenance(action: .terminate, namespace: "default", address: address, startedAt: Date()).row
            + CSVWriter.row([ids[0], seeded[0].runID ?? "", "terminate", "terminated", "", "", "1", "3.0", "", ""])
        let report = try harness.writeFile(
            Data((whole + "\(ids[1]),,terminate,failed,UNAVAILABLE,\"conn\nreset").utf8), name: "report.csv")
        let input = try harness.writeCSV(["workflow_id"] + ids)
        let result = try await sweep.run(["terminate", "--input", input, "--resume", report, "--address", address])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardError.contains("torn last row was cut off"))
        let rows = try Report(path: report).rows
        #expect(rows.map { $0["workflow_id"] ?? "" }.sorted() == ids.sorted())
        #expect(Report.outcomes(rows) == Dictionary(uniqueKeysWithValues: ids.map { ($0, "terminated") }))
        #expect(try await harness.statuses(of: seeded) == [.terminated: 3])

        // A journal damaged before its end is refused: nothing is sent.
        let others = try await harness.seed(2, type: type + "d")
        let damaged = try harness.writeFile(
            Data(
                (ReportFormat.header + "\(others[0].workflowID),\"open\n"
                    + CSVWriter.row([others[1].workflowID, "", "terminate", "failed", "", "", "1", "0", "", ""])).utf8),
            name: "report.csv")
        let refused = try await sweep.run([
            "terminate", "--input", try harness.writeCSV(others.map(\.workflowID)), "--resume", damaged, "--address",
            address,
        ])
        #expect(refused.status == 2, "\(refused.standardError)")
        #expect(refused.standardError.contains("damaged"))
        #expect(try await harness.statuses(of: others) == [.running: 2])
    }

    @Test("Ctrl-C before --wait, then --resume with it: what was terminated is waited for, not terminated again")
    func resumeWait() async throws {
        let type = TestEnvironment.uniqueName("ResumeWait")
        let seeded = try await harness.seed(200, type: type)
        let input = try harness.writeCSV(["workflow_id"] + seeded.map(\.workflowID))
        let report = TestEnvironment.temporaryPath("report.csv")
        let arguments = ["terminate", "--input", input, "--wait", "300s", "--address", address]
        // Interrupted where it stops itself, after its 20th row, before any --wait.
        let running = try sweep.start(
            arguments + ["--rps", "40", "--report", report], environment: SweepProcess.stopAfterRows(20))
        try await running.waitUntilStopped()
        running.send(SIGINT)
        running.send(SIGCONT)
        let stopped = await running.wait()
        #expect(stopped.status == 130, "\(stopped.standardError)")
        let terminatedBefore = Set(
            try Report(path: report).rows.filter { $0["outcome"] == "terminated" }.compactMap { $0["workflow_id"] })
        #expect(terminatedBefore.count >= 20)

        let resumed = try await sweep.run(arguments + ["--rps", "500", "--resume", report])
        #expect(resumed.status == 0, "\(resumed.standardError)")
        let rows = try Report(path: report).rows
        let last = Dictionary(rows.map { ($0["workflow_id"] ?? "", $0) }, uniquingKeysWith: { $1 })
        #expect(last.count == 200)
        // Every workflow ends terminated and seen TERMINATED; none was sent a second terminate
        // (which would have answered 'already completed' and ended already_closed).
        #expect(last.values.allSatisfy { $0["outcome"] == "terminated" && $0["final_status"] == "TERMINATED" })
        #expect(!rows.contains { $0["outcome"] == "already_closed" })
        #expect(try await harness.statuses(of: seeded) == [.terminated: 200])
    }

    @Test("a run left alone on purpose (run_changed) still makes the resumed run exit 5")
    func resumeKeepsLeftAlone() async throws {
        let type = TestEnvironment.uniqueName("LeftAlone")
        let id = "\(type)-1"
        let old = try await harness.startWorkflows([id], type: type)[0]
        _ = try await harness.withClient { client in
            try await client.terminatePatiently(WorkflowTarget(workflowID: id), reason: "replaced in a test")
            return try await client.startPatiently(id: id, type: type)
        }
        let report = TestEnvironment.temporaryPath("report.csv")
        let arguments = ["terminate", "--workflow-id", id, "--run-id", old.runID ?? "", "--address", address]
        let first = try await sweep.run(arguments + ["--report", report])
        #expect(first.status == 5, "\(first.standardError)")
        let resumed = try await sweep.run(arguments + ["--resume", report])
        #expect(resumed.status == 5, "\(resumed.standardError)")
        #expect(resumed.standardError.contains("1 in earlier runs of this report"), "\(resumed.standardError)")
    }

    @Test("plan then apply by query: IDs with tabs and newlines, which a CSV input refuses, round-trip exactly")
    func planApplyControlCharacters() async throws {
        let type = TestEnvironment.uniqueName("Control")
        let ids = ["tab-\(type)\t", "\tlead-\(type)", "new\nline-\(type)", " spaced-\(type) "]
        let started = try await harness.startWorkflows(ids, type: type)
        let plan = TestEnvironment.temporaryPath("plan.csv")
        let planned = try await sweep.run([
            "plan", "--query", "WorkflowType='\(type)'", "--out", plan, "--address", address,
        ])
        #expect(planned.status == 0, "\(planned.standardError)")
        let report = TestEnvironment.temporaryPath("report.csv")
        let applied = try await sweep.run([
            "apply", plan, "--action", "terminate", "--report", report, "--address", address,
        ])
        #expect(applied.status == 0, "\(applied.standardError)")
        #expect(Set(try Report(path: report).outcomes.keys.map(ReportFormat.restore)) == Set(ids))
        #expect(try await harness.statuses(of: started) == [.terminated: ids.count])
    }

    @Test("with $USER and $LOGNAME unset (containers, cron), history names the OS account, not 'unknown'")
    func identityWithoutUser() async throws {
        let type = TestEnvironment.uniqueName("Identity")
        let seeded = try await harness.seed(1, type: type)
        let account = String(cString: getpwuid(geteuid()).pointee.pw_name)
        let result = try await sweep.runShell(
            "env -u USER -u LOGNAME \"$SWEEP\" terminate --workflow-id '\(seeded[0].workflowID)' --report - --address \(address) >/dev/null"
        )
        #expect(result.status == 0, "\(result.standardError)")
        let identities = try await harness.withClient { client in
            try await client.events(of: .workflowExecutionTerminated, in: seeded[0])
                .map(\.workflowExecutionTerminatedEventAttributes.identity)
        }
        #expect(identities.count == 1)
        #expect(identities.first?.contains(" \(account)@") == true, "\(identities)")
        #expect(identities.first?.contains("unknown@") == false)
    }

    @Test("IDs and types are escaped in the confirmation preview and the plan table: no terminal control")
    func escapedForTerminal() {
        #expect("order-1".escapedForTerminal == "order-1")
        #expect("a\u{1B}[2Jb".escapedForTerminal == "a\\u{1B}[2Jb")
        #expect("two\nlines\r\t".escapedForTerminal == "two\\nlines\\r\\t")
        #expect("rtl\u{202E}txt".escapedForTerminal == "rtl\\u{202E}txt")
        #expect(!"x\u{9B}31m".escapedForTerminal.unicodeScalars.contains("\u{9B}"))
    }
}
