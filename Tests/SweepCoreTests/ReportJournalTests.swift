import Foundation
import SweepCSV
import SweepCore
import Testing

@Suite("Report journal and neutralisation")
struct ReportJournalTests {
    private func row(
        _ id: String, _ outcome: Outcome, action: Action = .terminate, runID: String? = nil,
        finalStatus: WorkflowStatus? = nil
    ) -> String {
        ReportFormat.row(
            JobResult(
                job: Job(target: WorkflowTarget(workflowID: id)), runID: runID, action: action, outcome: outcome,
                attempts: 1, latency: .zero, callsSent: 1, finalStatus: finalStatus))
    }

    /// Which of `ids` (unpinned jobs) the journal skips.
    private func settled(_ journal: ReportJournal, _ ids: [String], followingUp: Bool = false) -> Set<String> {
        Set(ids.filter { journal.isSettled(Job(target: WorkflowTarget(workflowID: $0)), followingUp: followingUp) })
    }

    private func write(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("journal-\(UUID().uuidString).csv")
            .path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test(
        "cells a spreadsheet would run as formulas get a leading quote, and read back unchanged",
        arguments: ["=cmd|' /C calc'!A0", "+1", "-2", "@SUM(A1)", "\tx", "\rx", "'quoted", "plain", ""])
    func neutralise(cell: String) {
        let safe = ReportFormat.neutralize(cell)
        if let first = cell.unicodeScalars.first, "=+-@\t\r'".unicodeScalars.contains(first) {
            #expect(safe == "'" + cell)
        } else {
            #expect(safe == cell)
        }
        #expect(ReportFormat.restore(safe) == cell)
    }

    @Test("settled outcomes are skipped on resume; failed, not_attempted and dry runs are retried; the last row wins")
    func settled() throws {
        let path = try write(
            ReportFormat.header + row("done", .terminated) + row("closed", .alreadyClosed) + row("missing", .notFound)
                + row("broken", .failed) + row("later", .notAttempted) + row("retried", .failed)
                + row("retried", .terminated)
                + row("=formula", .terminated)
        )
        let journal = try ReportJournal(path: path, action: .terminate)
        let ids = ["done", "closed", "missing", "broken", "later", "retried", "=formula", "never-seen"]
        #expect(settled(journal, ids) == ["done", "closed", "missing", "retried", "=formula"])
        #expect(journal.rows == 8)
    }

    @Test("a duplicate row settles nothing: a failed first occurrence is retried")
    func duplicateRowsDoNotSettle() throws {
        let path = try write(
            ReportFormat.header + row("a", .failed) + row("a", .duplicate) + row("b", .terminated)
                + row("b", .duplicate) + row("only-dup", .duplicate))
        let journal = try ReportJournal(path: path, action: .terminate)
        #expect(settled(journal, ["a", "b", "only-dup"]) == ["b"])
    }

    @Test("a job pinned to a run is judged by that run's last row")
    func pinnedRuns() throws {
        let (first, second) = (UUID().uuidString.lowercased(), UUID().uuidString.lowercased())
        let path = try write(
            ReportFormat.header + row("w", .failed, runID: first) + row("w", .terminated, runID: second))
        let journal = try ReportJournal(path: path, action: .terminate)
        #expect(!journal.isSettled(Job(target: WorkflowTarget(workflowID: "w", runID: first)), followingUp: false))
        #expect(journal.isSettled(Job(target: WorkflowTarget(workflowID: "w", runID: second)), followingUp: false))
    }

    @Test("runs acted on but not yet seen closed are followed up on resume, never acted on again")
    func followUpsResume() throws {
        let ids = ["stopped", "open", "closed", "escalated", "failed", "escalation-failed"]
        let runs = Dictionary(uniqueKeysWithValues: ids.map { ($0, UUID().uuidString.lowercased()) })
        let run = { (id: String) in runs[id] ?? "" }
        let path = try write(
            ReportFormat.header + row("stopped", .cancelRequested, action: .cancel, runID: run("stopped"))
                + row("open", .cancelRequested, action: .cancel, runID: run("open"))
                + row("open", .cancelRequested, action: .cancel, runID: run("open"), finalStatus: .running)
                + row("closed", .cancelRequested, action: .cancel, runID: run("closed"))
                + row("closed", .canceled, action: .cancel, runID: run("closed"), finalStatus: .canceled)
                + row(
                    "escalated", .escalatedTerminated, action: .cancel, runID: run("escalated"),
                    finalStatus: .terminated)
                + row("failed", .failed, action: .cancel, runID: run("failed"))
                + row("escalation-failed", .cancelRequested, action: .cancel, runID: run("escalation-failed"))
                + row(
                    "escalation-failed", .failed, action: .cancel, runID: run("escalation-failed"),
                    finalStatus: .running))
        let journal = try ReportJournal(path: path, action: .cancel)
        #expect(
            settled(journal, ids, followingUp: true) == ["stopped", "open", "closed", "escalated", "escalation-failed"])
        // Without a follow-up, a failed escalation is retried from the start rather than left failed.
        #expect(settled(journal, ids) == ["stopped", "open", "closed", "escalated"])
        let pending = ids.compactMap { journal.pendingFollowUp(for: Job(target: WorkflowTarget(workflowID: $0))) }
        #expect(Set(pending.map(\.target.workflowID)) == ["stopped", "open", "escalation-failed"])
        #expect(pending.allSatisfy { $0.target.runID == run($0.target.workflowID) && $0.actedAt != nil })
        #expect(pending.allSatisfy { $0.outcome == .cancelRequested })
        #expect(journal.finalCount(of: .canceled) == 1)
    }

    @Test("--chain: a follow-up's row on the chain's current run is also the last word on the run the action named")
    func chainFollowUpUnderAnotherRun() throws {
        let (first, current) = (UUID().uuidString.lowercased(), UUID().uuidString.lowercased())
        let path = try write(
            ReportFormat.header + row("a", .cancelRequested, action: .cancel, runID: first)
                + row("a", .escalatedTerminated, action: .cancel, runID: current, finalStatus: .terminated))
        let journal = try ReportJournal(path: path, action: .cancel)
        let pinned = Job(target: WorkflowTarget(workflowID: "a", runID: first))
        #expect(journal.pendingFollowUp(for: pinned) == nil)
        #expect(journal.isSettled(pinned, followingUp: true))
    }

    @Test("a job given without a run whose unsettled last row names a run resumes on that run, again and again")
    func resumedOnThePinnedRun() throws {
        let run = UUID().uuidString.lowercased()
        let failed = { (id: String, code: String) in
            CSVWriter.row([id, run, "terminate", "failed", code, "stopped while retrying", "1", "0", "", ""])
        }
        let path = try write(
            ReportFormat.header + failed("timeout", "DEADLINE_EXCEEDED") + failed("refused", "PERMISSION_DENIED")
                + failed("stopped", "CANCELLED"))
        let journal = try ReportJournal(path: path, action: .terminate)
        #expect(journal.resumed(Job(target: WorkflowTarget(workflowID: "timeout"))).target.runID == run)
        #expect(journal.resumed(Job(target: WorkflowTarget(workflowID: "stopped"))).target.runID == run)
        // Any unsettled row that names a run pins the resumed job to it (a permanent failure too).
        #expect(journal.resumed(Job(target: WorkflowTarget(workflowID: "refused"))).target.runID == run)
        #expect(journal.resumed(Job(target: WorkflowTarget(workflowID: "other"))).target.runID == nil)
        // Stopped again before it was sent: the not_attempted row still names the run.
        let again = try write(
            ReportFormat.header + failed("timeout", "DEADLINE_EXCEEDED")
                + CSVWriter.row(["timeout", run, "terminate", "not_attempted", "", "stopped", "0", "0", "", ""]))
        let second = try ReportJournal(path: again, action: .terminate)
        #expect(second.resumed(Job(target: WorkflowTarget(workflowID: "timeout"))).target.runID == run)
    }

    @Test(
        "a torn last row is dropped and cut off, even one torn inside a quoted field",
        arguments: [
            "half,a-run,termin", "\"id with\nnewline,and more", "\"torn", "whole,row,terminate,terminated,,,1,0.0,x,",
        ])
    func tornTail(tail: String) throws {
        let whole = ReportFormat.header + row("done", .terminated)
        let path = try write(whole + tail)
        let journal = try ReportJournal(path: path, action: .terminate)
        #expect(settled(journal, ["done", "half", "whole"]) == ["done"])
        #expect(journal.hadTornRow)
        #expect(journal.validLength == whole.utf8.count)
    }

    @Test("damage before the last row is refused with its line, never read past")
    func damagedMiddle() throws {
        let path = try write(
            ReportFormat.header + row("a", .terminated) + "x,\"open\n" + row("b", .terminated) + row("c", .failed))
        let quoted = #expect(throws: SweepError.self) { try ReportJournal(path: path, action: .terminate) }
        #expect(quoted?.message.contains("damaged") == true)
        let ragged = try write(ReportFormat.header + "a,b\n" + row("b", .terminated))
        let error = #expect(throws: SweepError.self) { try ReportJournal(path: ragged, action: .terminate) }
        #expect(error?.message.contains(":2:") == true)
        let unknown = try write(
            ReportFormat.header + row("a", .terminated).replacingOccurrences(of: "terminated", with: "exploded"))
        #expect(throws: SweepError.self) { try ReportJournal(path: unknown, action: .terminate) }
    }

    @Test("a report from the other action, or not a report, is refused")
    func refused() throws {
        let cancel = try write(ReportFormat.header + row("w", .cancelRequested, action: .cancel))
        let error = #expect(throws: SweepError.self) { try ReportJournal(path: cancel, action: .terminate) }
        #expect(error?.message.contains("cancel run") == true)
        let other = try write("id,status\nw,done\n")
        #expect(throws: SweepError.self) { try ReportJournal(path: other, action: .terminate) }
    }
}

@Suite("Resume filter")
struct ResumeFilterTests {
    private func journal(_ rows: [[String]], action: Action = .cancel) throws -> ReportJournal {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("resume-\(UUID().uuidString).csv")
            .path
        try (ReportFormat.header + rows.map(CSVWriter.row).joined()).write(
            toFile: path, atomically: true, encoding: .utf8)
        return try ReportJournal(path: path, action: action)
    }

    private func row(_ id: String, _ run: String, _ outcome: Outcome, final: String = "", code: String = "") -> [String]
    {
        [id, run, "cancel", outcome.rawValue, code, "", "1", "0", "2026-11-29T10:00:00.000Z", final]
    }

    @Test("two runs of one workflow awaiting follow-up are both followed up; a duplicate line adds nothing")
    func pendingPerRun() throws {
        let (a, b) = ("4b0b5a5c-0e4f-4d3c-9b7e-000000000001", "4b0b5a5c-0e4f-4d3c-9b7e-000000000002")
        let filter = ResumeFilter(
            try journal([row("wf", a, .cancelRequested), row("wf", b, .cancelRequested)]), followingUp: true)
        var duplicate = Job(target: WorkflowTarget(workflowID: "wf", runID: b))
        duplicate.isDuplicate = true
        for job in [
            Job(target: WorkflowTarget(workflowID: "wf", runID: b)),
            Job(target: WorkflowTarget(workflowID: "wf", runID: a)),
            duplicate,
        ] {
            #expect(filter.admit(job) == nil)
        }
        #expect(Set(filter.pendingFollowUps.compactMap(\.target.runID)) == [a, b])
    }

    @Test("a job the report pins to a run, meeting that run given explicitly later, is a duplicate")
    func pinnedMeetsExplicit() throws {
        let run = "4b0b5a5c-0e4f-4d3c-9b7e-000000000003"
        let filter = ResumeFilter(
            try journal(
                [["wf", run, "terminate", "failed", "DEADLINE_EXCEEDED", "", "1", "0", "", ""]], action: .terminate),
            followingUp: false)
        let first = try #require(filter.admit(Job(target: WorkflowTarget(workflowID: "wf"))))
        #expect(first.target.runID == run && !first.isDuplicate)
        let second = try #require(filter.admit(Job(target: WorkflowTarget(workflowID: "wf", runID: run))))
        #expect(second.isDuplicate)
    }

    @Test("through the engine: the run pinned by the report and the same run given explicitly are sent once")
    func pinnedMeetsExplicitThroughTheEngine() async throws {
        let run = "4b0b5a5c-0e4f-4d3c-9b7e-000000000005"
        let filter = ResumeFilter(
            try journal([["wf", run, "terminate", "failed", "UNAVAILABLE", "", "1", "0", "", ""]], action: .terminate),
            followingUp: false)
        let service = ScriptedWorkflowService(currentRuns: ["wf": run])
        let sink = CollectingSink()
        let jobs = AsyncStream<Job> { continuation in
            continuation.yield(Job(target: WorkflowTarget(workflowID: "wf")))
            continuation.yield(Job(target: WorkflowTarget(workflowID: "wf", runID: run)))
            continuation.finish()
        }
        try await Executor(
            service: service, options: ExecutorOptions(action: .terminate, reason: "r", rate: 1e6, concurrency: 1),
            clock: ManualClock()
        ).run(jobs.compactMap { filter.admit($0) }, reportingTo: sink)
        #expect(sink.rows.map(\.outcome) == [.terminated, .duplicate])
        #expect(sink.rows.first?.runID == run)
        #expect(service.calls.filter { $0.hasPrefix("terminate") }.count == 1)
    }

    @Test("without a follow-up, a failed escalation is retried on the run it cancelled, not the current one")
    func failedEscalationPinned() throws {
        let run = "4b0b5a5c-0e4f-4d3c-9b7e-000000000004"
        let filter = ResumeFilter(
            try journal([
                row("wf", run, .cancelRequested), row("wf", run, .failed, final: "RUNNING", code: "PERMISSION_DENIED"),
            ]),
            followingUp: false)
        #expect(filter.admit(Job(target: WorkflowTarget(workflowID: "wf")))?.target.runID == run)
    }

    @Test("a follow-up's row settles its own run, not another run of the same workflow")
    func followUpRowOwnRun() throws {
        let (x, y) = ("4b0b5a5c-0e4f-4d3c-9b7e-00000000000a", "4b0b5a5c-0e4f-4d3c-9b7e-00000000000b")
        let report = try journal([
            row("wf", y, .cancelRequested), row("wf", x, .cancelRequested), row("wf", y, .canceled, final: "CANCELED"),
        ])
        #expect(report.pendingFollowUp(for: Job(target: WorkflowTarget(workflowID: "wf", runID: x))) != nil)
        #expect(report.pendingFollowUp(for: Job(target: WorkflowTarget(workflowID: "wf", runID: y))) == nil)
    }
}
