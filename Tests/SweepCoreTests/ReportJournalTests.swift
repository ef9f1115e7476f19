import Foundation
import SweepCore
import Testing

@Suite("Report journal and neutralisation")
struct ReportJournalTests {
    private func row(_ id: String, _ outcome: Outcome, action: Action = .terminate) -> String {
        ReportFormat.row(
            JobResult(
                job: Job(target: WorkflowTarget(workflowID: id)), runID: nil, action: action, outcome: outcome,
                attempts: 1, latency: .zero, callsSent: 1))
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
        #expect(journal.settled == ["done", "closed", "missing", "retried", "=formula"])
        #expect(journal.rows == 8)
    }

    @Test("a row cut short by a crash is ignored; what came before counts")
    func truncated() throws {
        let path = try write(ReportFormat.header + row("done", .terminated) + "half,a-run,termin")
        #expect(try ReportJournal(path: path, action: .terminate).settled == ["done"])
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
