// In-process benchmarks of the parts a run spends its client time in, with ordo-one/benchmark:
// `scripts/bench-micro` (all of them, a table), `scripts/bench-micro --filter 'CSV.*'`.
// Whole-run throughput against the server and its peers is `scripts/bench`.
import Benchmark
import Foundation
import SweepCSV
import SweepCore
import SweepGRPC

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .mallocCountTotal, .peakMemoryResident],
        warmupIterations: 1,
        maxDuration: .seconds(5),
        maxIterations: 20
    )

    // Issue 11's target: a 1M-ID CSV read and validated before anything is sent in < 0.5 s and
    // <= 16 MiB more than an idle run.
    Benchmark("CSV: survey 1M workflow IDs", configuration: .init(maxIterations: 5)) { benchmark, path in
        let planner = Planner(service: NoService())
        benchmark.startMeasurement()
        let survey = try await planner.survey(.csvFile(path: path))
        benchmark.stopMeasurement()
        precondition(survey.count == 1_000_000 && survey.duplicates == 0)
    } setup: {
        try idsFile(count: 1_000_000)
    }

    Benchmark("CSV: parse 1M records (libcsv)", configuration: .init(maxIterations: 5)) { benchmark, path in
        guard let reader = CSVFileReader(path: path, tracksOffsets: false) else { fatalError("cannot open \(path)") }
        var records = 0
        benchmark.startMeasurement()
        while try reader.next() != nil { records += 1 }
        benchmark.stopMeasurement()
        blackHole(records)
    } setup: {
        try idsFile(count: 1_000_000)
    }

    Benchmark("Duplicates: 1M fingerprints", configuration: .init(maxIterations: 5)) { benchmark in
        var filter = DuplicateFilter(.fingerprints)
        for index in 0..<1_000_000 { _ = try filter.insert(Job(target: WorkflowTarget(workflowID: "order-\(index)"))) }
        precondition(filter.surveyedFingerprints().repeated.isEmpty)
    }

    Benchmark("Duplicates: 1M exact keys (Set)", configuration: .init(maxIterations: 5)) { benchmark in
        var filter = DuplicateFilter(.exact)
        var new = 0
        for index in 0..<1_000_000 where try filter.insert(Job(target: WorkflowTarget(workflowID: "order-\(index)"))) {
            new += 1
        }
        precondition(new == 1_000_000)
    }

    // What the engine costs per workflow apart from the wire: 20,000 cancels of listed runs (one
    // call each) against a service that answers at once, a report row each to /dev/null.
    Benchmark("Executor: 20k cancels, instant service", configuration: .init(maxIterations: 10)) { benchmark in
        let options = ExecutorOptions(action: .cancel, reason: "bench", rate: 10_000_000, concurrency: 64)
        let executor = Executor(service: InstantService(), options: options, clock: ContinuousClock())
        let report = try ReportWriter(path: "/dev/null", mode: .overwrite)
        let now = ContinuousClock.now
        let jobs = (0..<20_000).map { index in
            var job = Job(
                target: WorkflowTarget(workflowID: "order-\(index)"), listedStatus: .running, startTime: Date())
            job.lookedUpRunID = "4b0b5a5c-0e4f-4d3c-9b7e-1c2d3e4f5a6b"
            job.listedAt = now.advanced(by: .seconds(3600))
            return job
        }
        benchmark.startMeasurement()
        try await executor.run(jobs.async, reportingTo: report)
        benchmark.stopMeasurement()
        precondition(report.tally.workflows == 20_000)
    }

    Benchmark("Token bucket: 1M reservations") { benchmark in
        var bucket = TokenBucket<ContinuousClock.Instant>(rate: 1_000_000, burst: 64)
        let now = ContinuousClock.now
        var waited = Duration.zero
        for index in 0..<1_000_000 {
            waited += bucket.reserve(now: now.advanced(by: .microseconds(index)))
        }
        blackHole(waited)
    }

    Benchmark("Report: 100k rows written") { benchmark in
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("bench-report-\(UUID()).csv").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let writer = try ReportWriter(path: path, syncEvery: 1000)
        let result = JobResult(
            job: Job(target: WorkflowTarget(workflowID: "order-2026-11-29-000001")),
            runID: "4b0b5a5c-0e4f-4d3c-9b7e-1c2d3e4f5a6b", action: .cancel, outcome: .cancelRequested,
            attempts: 1, latency: .milliseconds(3), callsSent: 1)
        benchmark.startMeasurement()
        for _ in 0..<100_000 { try writer.record(result) }
        benchmark.stopMeasurement()
    }
}

/// A CSV of `count` IDs such as an operator exports (one header, one ID per line), made once.
private func idsFile(count: Int) throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("sweep-bench-\(count)-ids.csv").path
    if FileManager.default.fileExists(atPath: path) { return path }
    var text = "workflow_id\n"
    text.reserveCapacity(count * 26)
    for index in 1...count { text += "order-2026-11-29-\(index)\n" }
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}

/// A survey of a file sends nothing: any call is a bug in the benchmark.
private struct NoService: WorkflowService {
    func count(query: String) async throws(RPCError) -> Int { throw unexpected }
    func list(query: String, pageSize: Int, pageToken: [UInt8]) async throws(RPCError) -> ExecutionPage {
        throw unexpected
    }
    func describe(_ target: WorkflowTarget) async throws(RPCError) -> ExecutionDescription { throw unexpected }
    func requestCancel(_ target: WorkflowTarget, chain: String?, reason: String, requestID: String)
        async throws(RPCError)
    { throw unexpected }
    func terminate(_ target: WorkflowTarget, chain: String?, reason: String) async throws(RPCError) {
        throw unexpected
    }
    private var unexpected: RPCError { RPCError(code: .unimplemented, message: "a survey of a file sends nothing") }
}

/// A service that answers every call at once: what remains is the engine's own cost.
private struct InstantService: WorkflowService {
    func count(query: String) async throws(RPCError) -> Int { 0 }
    func list(query: String, pageSize: Int, pageToken: [UInt8]) async throws(RPCError) -> ExecutionPage {
        ExecutionPage(executions: [], nextPageToken: [])
    }
    func describe(_ target: WorkflowTarget) async throws(RPCError) -> ExecutionDescription {
        ExecutionDescription(workflowID: target.workflowID, runID: "r", workflowType: "T", status: .running)
    }
    func requestCancel(_ target: WorkflowTarget, chain: String?, reason: String, requestID: String)
        async throws(RPCError)
    {}
    func terminate(_ target: WorkflowTarget, chain: String?, reason: String) async throws(RPCError) {}
}

/// An array as an async sequence.
extension Array where Element: Sendable {
    fileprivate var async: AsyncStream<Element> {
        AsyncStream { continuation in
            for element in self { continuation.yield(element) }
            continuation.finish()
        }
    }
}
