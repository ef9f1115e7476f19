import Foundation
import SweepCore
import SweepTestSupport
import TemporalAPI
import Testing

/// A crash between a call that landed and its row (`kill -9`, an out-of-memory kill, a second
/// Ctrl-C), then `--resume`, on the real server: the resumed run never acts on a run started
/// after the sweep began, and reports what the crashed run closed as its work.
@Suite("resuming after a crash")
struct CrashResumeTests {
    let harness: Harness

    init() throws {
        harness = try Harness()
    }

    private var sweep: SweepProcess { harness.sweep }
    private var address: String { harness.address }

    @Test("rows lost in a crash: what the crashed run closed is its work, a run started since is left alone")
    func resumeAfterLostRows() async throws {
        let type = TestEnvironment.uniqueName("LostRows")
        let (a, b, c, d) = ("\(type)-a", "\(type)-b", "\(type)-c", "\(type)-d")
        _ = try await harness.startWorkflows([a, b, c, d], type: type)
        // The sweep begins once they are older than the clock skew sweep allows for: a run that
        // started within it of the sweep's start counts as started since, and is left alone.
        try await harness.waitPastClockSkew()
        let report = TestEnvironment.temporaryPath("report.csv")
        let common = [
            "terminate", "--reason", "incident \(type)", "--identity", "sweep-\(type)", "--address", address,
        ]
        // The run that crashes terminates a and b...
        let first = try await sweep.run(common + ["--workflow-id", a, "--workflow-id", b, "--report", report])
        #expect(first.status == 0, "\(first.standardError)")
        // ...and the crash loses their rows: the report keeps its header and the row of the run.
        let lines = try TextFile.read(report).split(separator: "\n").map(String.init)
        let kept = lines.filter { $0.hasPrefix("workflow_id,") || $0.hasPrefix(",,terminate,sweep_started,") }
        #expect(kept.count == 2, "\(lines)")
        try harness.writeFile(Data((kept.joined(separator: "\n") + "\n").utf8), name: "report.csv")
            .moveOver(report)

        // Since the crash: b's owner starts it again; someone else ends d.
        let newB = try await harness.withClient { client in
            let run = try await client.startPatiently(id: b, type: type)
            try await client.terminatePatiently(WorkflowTarget(workflowID: d), reason: "someone else")
            try await client.waitForCount("WorkflowType='\(type)' AND ExecutionStatus='Running'", toBe: 2)
            return run
        }

        let resumed = try await sweep.run(
            common + [a, b, c, d].flatMap { ["--workflow-id", $0] } + ["--resume", report])
        #expect(resumed.status == 5, "\(resumed.standardError)")
        let rows = try Report(path: report).rows
        let byID = Dictionary(rows.map { ($0["workflow_id"] ?? "", $0) }, uniquingKeysWith: { $1 })
        #expect(rows.count == 4, "\(rows)")
        #expect(byID[a]?["outcome"] == "terminated", "\(byID[a] ?? [:])")
        #expect(byID[a]?["message"]?.contains("sweep that wrote the report") == true)
        #expect(byID[b]?["outcome"] == "run_changed", "\(byID[b] ?? [:])")
        #expect(byID[b]?["run_id"] == newB)
        #expect(byID[c]?["outcome"] == "terminated", "\(byID[c] ?? [:])")
        #expect(byID[d]?["outcome"] == "already_closed", "\(byID[d] ?? [:])")

        try await harness.withClient { client in
            let current = try await client.describeAll([a, b, c, d].map { WorkflowTarget(workflowID: $0) })
            #expect(current[b]?.runID == newB)
            #expect(current[b]?.status == .running, "the run started since was not touched")
            #expect(current[c]?.status == .terminated)
            // a was terminated once, by the crashed run: the resumed run sent nothing to it.
            let terminated = try await client.events(
                of: .workflowExecutionTerminated, in: WorkflowTarget(workflowID: a))
            #expect(terminated.count == 1)
        }
    }
}

extension String {
    /// Renames the file at this path over `path`.
    fileprivate func moveOver(_ path: String) throws {
        guard rename(self, path) == 0 else { throw CocoaError(.fileWriteUnknown) }
    }
}
