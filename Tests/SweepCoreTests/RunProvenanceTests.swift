import Foundation
import SweepCore
import Testing

@Suite("What a report records of the runs that wrote it")
struct RunProvenanceTests {
    let began = Date(timeIntervalSince1970: 1_765_000_000.25)

    private func write(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("runs-\(UUID().uuidString).csv").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    private func row(_ id: String, _ outcome: Outcome) -> String {
        ReportFormat.row(
            JobResult(
                job: Job(target: WorkflowTarget(workflowID: id)), runID: "r", action: .terminate, outcome: outcome,
                attempts: 1, latency: .zero, callsSent: 1))
    }

    @Test("a run's row reads back whole, awkward values included, and is not a workflow's row")
    func roundTrip() throws {
        let first = RunProvenance(
            action: .terminate, namespace: "prod-ns.a1", address: "dns:///temporal frontend:7233=x%",
            startedAt: began)
        let resumed = RunProvenance(action: .terminate, namespace: "prod-ns.a1", address: "h:1", startedAt: .now)
        let path = try write(
            ReportFormat.header + first.row + row("a", .terminated) + resumed.row + row("b", .failed))
        let journal = try ReportJournal(path: path, action: .terminate)
        #expect(journal.runs.map(\.namespace) == ["prod-ns.a1", "prod-ns.a1"])
        #expect(journal.runs.first?.address == "dns:///temporal frontend:7233=x%")
        #expect(journal.runs.first?.version == SweepVersion.current)
        #expect(journal.firstStartedAt == began)
        #expect(journal.rows == 2)
        #expect(journal.isSettled(Job(target: WorkflowTarget(workflowID: "a")), followingUp: false))
    }

    @Test(
        "a resume in another namespace, against another address or for another action is refused, saying what differs")
    func mismatchRefused() throws {
        let wrote = RunProvenance(action: .terminate, namespace: "prod", address: "prod:7233", startedAt: began)
        let path = try write(ReportFormat.header + wrote.row + row("a", .terminated))
        let journal = try ReportJournal(path: path, action: .terminate)
        try journal.check(resumingAs: wrote, path: path)

        var other = wrote
        other.namespace = "staging"
        let refusal = #expect(throws: SweepError.self) { try journal.check(resumingAs: other, path: path) }
        #expect(refusal?.code.exitCode == 2)
        #expect(refusal?.message.contains("namespace 'prod', this run is in 'staging'") == true, "\(refusal as Any)")
        other = wrote
        other.address = "staging:7233"
        let elsewhere = #expect(throws: SweepError.self) { try journal.check(resumingAs: other, path: path) }
        #expect(elsewhere?.message.contains("against prod:7233, this run is against staging:7233") == true)
        other = wrote
        other.action = .cancel
        let action = #expect(throws: SweepError.self) { try journal.check(resumingAs: other, path: path) }
        #expect(action?.message.contains("resume it with sweep terminate") == true)
    }

    @Test("a workflow is unrecorded with no row, or when a later run began after its unsettled last row")
    func unrecorded() throws {
        let run = RunProvenance(action: .terminate, namespace: "n", address: "a:1", startedAt: began).row
        let path = try write(
            ReportFormat.header + run + row("failed-then-resumed", .failed) + row("done", .terminated) + run
                + row("failed-since", .failed))
        let journal = try ReportJournal(path: path, action: .terminate)
        func unrecorded(_ id: String) -> Bool { journal.isUnrecorded(Job(target: WorkflowTarget(workflowID: id))) }
        #expect(unrecorded("never-seen"))
        // The second run may have acted on it, then crashed before its row.
        #expect(unrecorded("failed-then-resumed"))
        #expect(!unrecorded("done"))
        #expect(!unrecorded("failed-since"))
    }

    @Test("what a resumed run judged the start to be travels with the report to the next resume")
    func judgedSinceCarriesForward() throws {
        var resumed = RunProvenance(action: .terminate, namespace: "n", address: "a:1", startedAt: .now)
        resumed.judgedSince = began
        let path = try write(ReportFormat.header + row("a", .failed) + resumed.row)
        let journal = try ReportJournal(path: path, action: .terminate)
        #expect(journal.runs.first?.judgedSince == began)
        #expect(journal.firstStartedAt == began)
    }

    @Test("a report from before runs were recorded is resumed with nothing to check")
    func oldReport() throws {
        let path = try write(ReportFormat.header + row("a", .terminated))
        let journal = try ReportJournal(path: path, action: .terminate)
        #expect(journal.runs.isEmpty)
        #expect(journal.firstStartedAt == nil)
        try journal.check(
            resumingAs: RunProvenance(action: .terminate, namespace: "any", address: "any:1", startedAt: .now),
            path: path)
    }

    @Test("a run's row that does not read stops the resume")
    func damaged() throws {
        let path = try write(ReportFormat.header + ",,terminate,sweep_started,,namespace=x,,,not a time,\n")
        #expect(throws: SweepError.self) { try ReportJournal(path: path, action: .terminate) }
    }
}
