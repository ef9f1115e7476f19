import Foundation
import SweepTestSupport
import Testing

@testable import SweepCore

@Suite("report writer")
struct ReportWriterTests {
    private func row(_ id: String) -> JobResult {
        JobResult(
            job: Job(target: WorkflowTarget(workflowID: id)), runID: nil, action: .terminate, outcome: .terminated,
            attempts: 1, latency: .milliseconds(5), finishedAt: Date(), callsSent: 1)
    }

    @Test("rows are synced by count, and by the clock while fewer than the count wait: one row is not left unsynced")
    func syncsByCountAndClock() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sync-\(UUID().uuidString).csv").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        // By count only (the clock's interval is longer than any test).
        let byCount = try ReportWriter(path: path, syncEvery: 3, syncInterval: .seconds(3600))
        for index in 0..<7 { try byCount.record(row("c\(index)")) }
        #expect(byCount.syncs == 2)

        // One row, far below the count: the clock syncs it, once.
        let byClock = try ReportWriter(path: path, mode: .overwrite, syncEvery: 100, syncInterval: .milliseconds(10))
        try byClock.record(row("w1"))
        try await Patience.waitUntil("the writer to sync its one row") {
            (byClock.syncs >= 1, "\(byClock.syncs) syncs")
        }
    }
}
