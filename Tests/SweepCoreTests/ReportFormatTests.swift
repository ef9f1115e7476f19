import Foundation
import SweepCSV
import SweepCore
import SweepGRPC
import Testing

@Suite("Report format")
struct ReportFormatTests {
    @Test("the header names the documented columns")
    func header() {
        #expect(ReportFormat.header == "workflow_id,run_id,action,outcome,grpc_code,message,attempts,latency_ms,finished_at,final_status\n")
    }

    @Test("a row quotes awkward IDs and messages and reads back to the same fields")
    func rowRoundTrip() throws {
        let result = JobResult(
            job: Job(target: WorkflowTarget(workflowID: "order,\"42\"\nB")),
            runID: "run-1",
            action: .terminate,
            outcome: .notFound,
            code: .notFound,
            message: "workflow not found for ID: order,\"42\"",
            attempts: 2,
            latency: .milliseconds(12),
            finishedAt: Date(timeIntervalSince1970: 1_800_000_000.25),
            callsSent: 2
        )
        let reader = CSVReader()
        let records = try reader.parse(Array(ReportFormat.row(result).utf8)) + (try reader.finish())
        #expect(records.map(\.fields) == [[
            "order,\"42\"\nB", "run-1", "terminate", "not_found", "NOT_FOUND",
            "workflow not found for ID: order,\"42\"", "2", "12.0", "2027-01-15T08:00:00.250Z", "",
        ]])
    }
}
