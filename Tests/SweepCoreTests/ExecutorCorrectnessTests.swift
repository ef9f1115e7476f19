import Foundation
import SweepCSV
import SweepCore
import SweepGRPC
import SweepTestSupport
import Synchronization
import Testing

/// A count shared with the tasks of a run (jobs taken from a source, say).
final class Counter: Sendable {
    private let value = Mutex(0)
    func add() { value.withLock { $0 += 1 } }
    var count: Int { value.withLock { $0 } }
}

/// Rows a sink received, in order.
final class CollectingSink: ReportSink {
    private let results = Mutex<[JobResult]>([])
    var rows: [JobResult] { results.withLock { $0 } }
    func record(_ result: JobResult) throws(SweepError) { results.withLock { $0.append(result) } }
}

@Suite("Executor: nothing lands on the wrong run")
struct ExecutorTargetTests {
    private func terminator(_ service: ScriptedWorkflowService, clock: ManualClock = ManualClock()) -> Executor<
        ManualClock
    > {
        Executor(service: service, options: ExecutorOptions(action: .terminate, reason: "r", rate: 1e6), clock: clock)
    }

    @Test("an unpinned terminate that timed out is pinned to the run that was open before it, then retried")
    func ambiguousThenPinned() async {
        let service = ScriptedWorkflowService(scripts: ["w1": [RPCError(code: .deadlineExceeded, message: "slow")]])
        let result = await terminator(service).perform(Job(target: WorkflowTarget(workflowID: "w1")))
        #expect(result.outcome == .terminated)
        #expect(result.runID == "run-of-w1")
        #expect(service.calls == ["terminate w1", "describe w1", "terminate w1"])
    }

    @Test("after an ambiguous failure, a run started since the call is a new run: left alone, run_changed")
    func ambiguousNewRun() async {
        let service = ScriptedWorkflowService(
            scripts: ["w1": [RPCError(code: .unavailable, message: "connection reset")]],
            startTimes: ["w1": Date(timeIntervalSinceNow: 30)])
        let result = await terminator(service).perform(Job(target: WorkflowTarget(workflowID: "w1")))
        #expect(result.outcome == .runChanged)
        #expect(service.calls.filter { $0.hasPrefix("terminate") } == ["terminate w1"])
    }

    @Test("after an ambiguous failure, a run closed long before the call was not ours: already_closed")
    func ambiguousClosedLongAgo() async {
        let service = ScriptedWorkflowService(
            scripts: ["w1": [RPCError(code: .unavailable, message: "cut")]], statuses: ["w1": .terminated])
        let result = await terminator(service).perform(Job(target: WorkflowTarget(workflowID: "w1")))
        #expect(result.outcome == .alreadyClosed)
    }

    @Test(
        "a pinned terminate retried after a dropped connection: 'already completed' is ours when Describe says so",
        // "Just now" is a close time after the first call however slowly the test runs (ASan, load).
        arguments: [
            (Date(timeIntervalSinceNow: 60), Outcome.terminated), (Date(timeIntervalSinceNow: -86400), .alreadyClosed),
        ])
    func pinnedRetryConfirmed(closedAt: Date, outcome: Outcome) async {
        let service = ScriptedWorkflowService(
            scripts: [
                "w1": [
                    RPCError(code: .unavailable, message: "cut"),
                    RPCError(code: .notFound, message: "workflow execution already completed"),
                ]
            ],
            statuses: ["w1": .terminated], closeTimes: ["w1": closedAt])
        let result = await terminator(service).perform(
            Job(target: WorkflowTarget(workflowID: "w1", runID: "run-of-w1")))
        #expect(result.outcome == outcome)
        #expect(service.calls.filter { $0.hasPrefix("terminate") }.count == 2)
    }

    @Test(
        "a cancel whose first attempt landed before the connection dropped is cancel_requested, confirmed by Describe")
    func cancelLandedThenFailed() async {
        let service = ScriptedWorkflowService(
            scripts: [
                "w1": [
                    RPCError(code: .deadlineExceeded, message: ScriptedWorkflowService.landedPrefix + " slow"),
                    RPCError(code: .invalidArgument, message: "some refusal"),
                ]
            ])
        let executor = Executor(
            service: service, options: ExecutorOptions(action: .cancel, reason: "r", rate: 1e6), clock: ManualClock())
        let result = await executor.perform(Job(target: WorkflowTarget(workflowID: "w1")))
        #expect(result.outcome == .cancelRequested)
        #expect(result.message.contains("confirmed by Describe"))
    }

    @Test("--chain cancel whose first attempt landed before the connection dropped is cancel_requested, not terminated")
    func chainCancelConfirmed() async {
        let service = ScriptedWorkflowService(
            scripts: [
                "w": [
                    RPCError(code: .unavailable, message: ScriptedWorkflowService.landedPrefix + " cut"),
                    RPCError(code: .unavailable, message: "cut"), RPCError(code: .unavailable, message: "cut"),
                ]
            ])
        let executor = Executor(
            service: service,
            options: ExecutorOptions(
                action: .cancel, reason: "r", rate: 1e6, maxAttempts: 3, retryWindow: .zero, chain: true),
            clock: ManualClock())
        let result = await executor.perform(Job(target: WorkflowTarget(workflowID: "w")))
        #expect(result.outcome == .cancelRequested)
    }

    @Test("an unpinned terminate stopped while backing off after an ambiguous failure still pins its row's run")
    func stoppedAmbiguousTerminatePinsTheRow() async {
        let service = ScriptedWorkflowService(scripts: ["w1": [RPCError(code: .deadlineExceeded, message: "slow")]])
        let executor = terminator(service, clock: ManualClock(holdsSleeps: true))
        let task = Task { await executor.perform(Job(target: WorkflowTarget(workflowID: "w1"))) }
        while !service.calls.contains("terminate w1") { try? await Task.sleep(for: .milliseconds(1)) }
        task.cancel()
        let result = await task.value
        #expect(result.outcome == .failed)
        #expect(result.runID == "run-of-w1")
        #expect(service.calls.filter { $0.hasPrefix("terminate") }.count == 1)
    }

    @Test("a stop while waiting to retry ends the job failed with the cause, not silently")
    func stoppedWhileRetrying() async {
        let service = ScriptedWorkflowService(
            scripts: ["w1": [RPCError(code: .unavailable, message: "cut")]], cancelCallerOn: ["terminate w1"])
        let job = Job(target: WorkflowTarget(workflowID: "w1", runID: "run-of-w1"))
        let executor = terminator(service)
        let result = await Task { await executor.perform(job) }.value
        #expect(result.outcome == .failed)
        #expect(result.message.contains("stopped while retrying"))
        // Not sent again; only read, to see whether the failed call had landed after all.
        #expect(service.calls == ["terminate w1", "describe w1@run-of-w1"])
    }

    @Test("a cancel's request ID stays within the server's 1,000-byte limit for a 1,000-byte workflow ID")
    func requestIDLength() async {
        let id = String(repeating: "x", count: CSVJobDecoder.maximumWorkflowIDLength)
        let service = ScriptedWorkflowService(currentRuns: [id: "4b0b5a5c-0e4f-4d3c-9b7e-1c2d3e4f5a6b"])
        let executor = Executor(
            service: service, options: ExecutorOptions(action: .cancel, reason: "r", rate: 1e6), clock: ManualClock())
        let result = await executor.perform(Job(target: WorkflowTarget(workflowID: id)))
        #expect(result.outcome == .cancelRequested)
        let requestID = service.requestIDs.first
        #expect(requestID != nil)
        #expect((requestID?.utf8.count ?? .max) <= 1000)
        #expect(requestID?.contains("4b0b5a5c-0e4f-4d3c-9b7e-1c2d3e4f5a6b") == true)
    }
}

@Suite("Executor: rows a reader can follow")
struct ExecutorRowOrderTests {
    @Test("the same run handed out twice while the first is in flight is sent once; the second is a duplicate")
    func sameRunInFlight() async throws {
        let service = ScriptedWorkflowService()
        // The first call is held in flight until the source has handed out both jobs.
        service.hold()
        let sink = CollectingSink()
        let executor = Executor(
            service: service, options: ExecutorOptions(action: .terminate, reason: "r", rate: 1e6, concurrency: 4),
            clock: ManualClock())
        let job = Job(target: WorkflowTarget(workflowID: "a", runID: "run-of-a"))
        let (stream, continuation) = AsyncStream<Job>.makeStream()
        let taken = Counter()
        let jobs = stream.map { job -> Job in
            taken.add()
            return job
        }
        continuation.yield(job)
        let run = Task { try await executor.run(jobs, reportingTo: sink) }
        try await Patience.waitUntil("the first terminate in flight") {
            (service.calls == ["terminate a"], "\(service.calls)")
        }
        continuation.yield(job)
        continuation.finish()
        // The second is taken from the source while the first is still in flight.
        try await Patience.waitUntil("the second job taken") {
            (taken.count == 2, "\(taken.count) taken, calls \(service.calls)")
        }
        #expect(sink.rows.isEmpty)
        service.release()
        try await run.value
        #expect(sink.rows.map(\.outcome) == [.terminated, .duplicate])
        #expect(service.calls.filter { $0.hasPrefix("terminate") }.count == 1)
    }

    @Test("a duplicate's row comes after the row of the occurrence it refers to")
    func duplicatesFollowTheirOriginal() async throws {
        let service = ScriptedWorkflowService(latency: .milliseconds(30))
        let sink = CollectingSink()
        let executor = Executor(
            service: service, options: ExecutorOptions(action: .terminate, reason: "r", rate: 1e6, concurrency: 4),
            clock: ManualClock())
        try await executor.run(
            Jobs(.workflowIDs(["a", "a", "b", "a", "b", "c"], runID: nil), service: service), reportingTo: sink)
        let rows = sink.rows.map { ($0.job.target.workflowID, $0.outcome) }
        #expect(rows.count == 6)
        for id in ["a", "b"] {
            let first = try #require(rows.firstIndex { $0.0 == id })
            #expect(rows[first].1 == .terminated)
            #expect(rows.indices.filter { rows[$0].0 == id && rows[$0].1 == .duplicate }.allSatisfy { $0 > first })
        }
        #expect(service.calls.filter { $0.hasPrefix("terminate") }.count == 3)
    }
}
