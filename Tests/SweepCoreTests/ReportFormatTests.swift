import Foundation
import SweepCSV
import SweepCore
import SweepGRPC
import Testing

@Suite("Report format")
struct ReportFormatTests {
    @Test("the header names the documented columns")
    func header() {
        #expect(
            ReportFormat.header
                == "workflow_id,run_id,action,outcome,grpc_code,message,attempts,latency_ms,finished_at,final_status\n")
    }

    @Test("timestamps and latencies read as Foundation's ISO 8601 style and %.1f print them", arguments: 0..<20)
    func fastFormatting(seed: UInt64) {
        var random = SeededGenerator(seed: seed)
        // 2,000 dates in all: Foundation's formatter is slow under AddressSanitizer, and every
        // suite starts at once.
        for _ in 0..<100 {
            // 1970 to 2200, at any millisecond and between milliseconds.
            let date = Date(timeIntervalSince1970: Double.random(in: 0..<7_258_118_400, using: &random))
            let reference = date.formatted(
                .iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
            #expect(ReportFormat.timestamp(date) == reference, "\(date.timeIntervalSince1970)")
            let latency = Duration.microseconds(Int64.random(in: 0..<100_000_000, using: &random))
            let printed = ReportFormat.milliseconds(latency)
            #expect(printed.split(separator: ".").last?.count == 1, "\(printed)")
            #expect(abs((Double(printed) ?? -1) - latency.inMilliseconds) <= 0.05 + 1e-9, "\(printed) for \(latency)")
        }
        #expect(ReportFormat.timestamp(Date(timeIntervalSince1970: 1_795_878_427.1239)) == "2026-11-28T15:07:07.123Z")
        #expect(ReportFormat.milliseconds(.microseconds(12_350)) == "12.4")
        #expect(ReportFormat.milliseconds(.microseconds(999)) == "1.0")
        #expect(ReportFormat.milliseconds(.zero) == "0.0")
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
        #expect(
            records.map(\.fields) == [
                [
                    "order,\"42\"\nB", "run-1", "terminate", "not_found", "NOT_FOUND",
                    "workflow not found for ID: order,\"42\"", "2", "12.0", "2027-01-15T08:00:00.250Z", "",
                ]
            ])
    }
}

@Suite("Plan writer")
struct PlanWriterTests {
    @Test("plan lines keep the source's order whatever order results arrive in; only would_* rows are lines")
    func order() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("plan-\(UUID().uuidString).csv").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let writer = try PlanWriter(path: path)
        let outcomes: [Outcome] = [.wouldTerminate, .alreadyClosed, .wouldTerminate, .wouldTerminate, .duplicate]
        for index in [3, 1, 4, 0, 2] {
            var job = Job(target: WorkflowTarget(workflowID: "w\(index)", runID: "r\(index)"), workflowType: "T")
            job.sequence = index
            try writer.record(
                JobResult(
                    job: job, runID: "r\(index)", action: .terminate, outcome: outcomes[index], attempts: 0,
                    latency: .zero, callsSent: 0))
        }
        let lines = String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self).split(
            separator: "\n")
        #expect(lines.first == "workflow_id,run_id,workflow_type,status,start_time,first_run_id")
        #expect(lines.dropFirst().map { String($0.prefix(5)) } == ["w0,r0", "w2,r2", "w3,r3"])
        #expect(writer.tally[.alreadyClosed] == 1 && writer.tally[.duplicate] == 1)
    }
}
