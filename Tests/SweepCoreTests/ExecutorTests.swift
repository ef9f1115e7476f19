import Foundation
import SweepCSV
import SweepCore
import SweepGRPC
import SweepTestSupport
import Synchronization
import Testing

/// Runs `body` with a report in a temporary file; returns its rows as field arrays (header dropped).
private func reportRows(_ body: (ReportWriter) async throws -> Void) async throws -> [[String]] {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("executor-\(UUID().uuidString).csv").path
    defer { try? FileManager.default.removeItem(atPath: path) }
    try await body(try ReportWriter(path: path))
    let reader = CSVReader()
    let records = try reader.parse(Array(try Data(contentsOf: URL(fileURLWithPath: path)))) + (try reader.finish())
    return records.dropFirst().map(\.fields)
}

@Suite("Executor")
struct ExecutorTests {
    private func jobs(_ ids: [String]) -> AsyncStream<Job> {
        AsyncStream { continuation in
            for id in ids { continuation.yield(Job(target: WorkflowTarget(workflowID: id))) }
            continuation.finish()
        }
    }

    /// Runs the executor over `ids` and returns the report's rows as field arrays (header dropped).
    private func run(
        _ ids: [String],
        service: ScriptedWorkflowService,
        options: ExecutorOptions,
        clock: ManualClock = ManualClock()
    ) async throws -> [[String]] {
        let executor = Executor(service: service, options: options, clock: clock)
        return try await reportRows { try await executor.run(jobs(ids), reportingTo: $0) }
    }

    @Test("every job gets exactly one row; in-flight calls never exceed the concurrency cap")
    func oneRowPerJobWithinCap() async throws {
        let service = ScriptedWorkflowService()
        let ids = (1...60).map { "w\($0)" }
        let rows = try await run(
            ids, service: service, options: ExecutorOptions(action: .terminate, reason: "r", rate: 1e6, concurrency: 4))
        #expect(rows.map { $0[0] }.sorted() == ids.sorted())
        #expect(rows.allSatisfy { $0[3] == "terminated" })
        #expect(service.maxInFlight <= 4)
        #expect(service.maxInFlight >= 2)
    }

    @Test("transient errors are retried with backoff, then succeed")
    func retriesTransient() async throws {
        let unavailable = RPCError(code: .unavailable, message: "connection reset")
        let service = ScriptedWorkflowService(scripts: ["w1": [unavailable, unavailable]])
        let clock = ManualClock()
        let rows = try await run(
            ["w1"], service: service, options: ExecutorOptions(action: .terminate, reason: "r", rate: 1e6), clock: clock
        )
        #expect(rows.first?[3] == "terminated")
        #expect(rows.first?[6] == "3")
        // Two backoff pauses on the test clock (rate-limiter slots at 1e6/s are ~1 us).
        #expect(clock.sleeps.filter { $0 >= .milliseconds(50) }.count == 2)
    }

    @Test("throttling is retried past --max-attempts within the retry window, and slows the limiter")
    func throttlingRetried() async throws {
        let throttled = RPCError(code: .resourceExhausted, message: "namespace rate limit exceeded")
        let service = ScriptedWorkflowService(scripts: ["w1": Array(repeating: throttled, count: 6)])
        let rows = try await run(
            ["w1"], service: service,
            options: ExecutorOptions(action: .terminate, reason: "r", rate: 1e6, maxAttempts: 3))
        #expect(rows.first?[3] == "terminated")
        #expect(rows.first?[6] == "7")
    }

    @Test("an outage past --max-attempts and the retry window is failed with its code, not dropped")
    func outageGivesUp() async throws {
        let unavailable = RPCError(code: .unavailable, message: "connection refused")
        let service = ScriptedWorkflowService(scripts: ["w1": Array(repeating: unavailable, count: 50)])
        let rows = try await run(
            ["w1"], service: service,
            options: ExecutorOptions(
                action: .terminate, reason: "r", rate: 1e6, maxAttempts: 3, retryWindow: .seconds(2))
        )
        #expect(rows.first?[3] == "failed")
        #expect(rows.first?[4] == "UNAVAILABLE")
        // 3 attempts, then more while the 2 s window (on the test clock: 0.05-5 s pauses) lasts.
        let attempts = try #require(Int(rows.first?[6] ?? ""))
        #expect(attempts >= 3 && attempts < 10)
    }

    @Test("a deadline exceeded is retried only up to --max-attempts")
    func deadlineGivesUp() async throws {
        let slow = RPCError(code: .deadlineExceeded, message: "Deadline Exceeded")
        let service = ScriptedWorkflowService(scripts: ["w1": Array(repeating: slow, count: 10)])
        let rows = try await run(
            ["w1"], service: service,
            options: ExecutorOptions(action: .terminate, reason: "r", rate: 1e6, maxAttempts: 3))
        #expect(rows.first?[3] == "failed")
        #expect(rows.first?[4] == "DEADLINE_EXCEEDED")
        #expect(rows.first?[6] == "3")
    }

    @Test("permanent errors are not retried")
    func permanentNotRetried() async throws {
        let service = ScriptedWorkflowService(scripts: [
            "w1": [RPCError(code: .invalidArgument, message: "Invalid RunId.")]
        ])
        let rows = try await run(
            ["w1"], service: service, options: ExecutorOptions(action: .terminate, reason: "r", rate: 1e6))
        #expect(rows.first?[3] == "failed")
        #expect(service.calls == ["terminate w1"])
    }

    @Test("cancel describes first: a closed run is already_closed and gets no cancel")
    func cancelSkipsClosed() async throws {
        let service = ScriptedWorkflowService(statuses: ["done": .completed, "gone": .unspecified])
        let rows = try await run(
            ["done", "open", "gone"], service: service,
            options: ExecutorOptions(action: .cancel, reason: "r", rate: 1e6, concurrency: 1))
        let outcomes = Dictionary(uniqueKeysWithValues: rows.map { ($0[0], $0[3]) })
        #expect(outcomes == ["done": "already_closed", "open": "cancel_requested", "gone": "not_found"])
        #expect(service.calls.filter { $0.hasPrefix("cancel") } == ["cancel open"])
        // The cancel was pinned to the run Describe returned.
        #expect(rows.first { $0[0] == "open" }?[1] == "run-of-open")
    }

    @Test("a retried terminate that finds the run already terminated by us reports terminated")
    func retriedTerminateConfirmed() async throws {
        let service = ScriptedWorkflowService(
            scripts: [
                "w1": [
                    RPCError(code: .unavailable, message: "cut"),
                    RPCError(code: .notFound, message: "workflow execution already completed"),
                ]
            ],
            statuses: ["w1": .terminated],
            // Closed after the first call, however slowly the test runs (ASan, load).
            closeTimes: ["w1": Date(timeIntervalSinceNow: 60)]
        )
        let rows = try await run(
            ["w1"], service: service, options: ExecutorOptions(action: .terminate, reason: "r", rate: 1e6))
        #expect(rows.first?[3] == "terminated")
        #expect(rows.first?[5] == "confirmed by Describe after a retry")
    }

    @Test(
        "a dry run only reads: Describe resolves the run, nothing is cancelled or terminated",
        arguments: Action.allCases)
    func dryRun(action: Action) async throws {
        let service = ScriptedWorkflowService(statuses: ["done": .completed, "gone": .unspecified])
        let rows = try await run(
            ["a", "done", "gone"], service: service,
            options: ExecutorOptions(action: action, reason: "r", concurrency: 1, dryRun: true))
        #expect(service.calls == ["describe a", "describe done", "describe gone"])
        #expect(rows.map { $0[3] } == [Outcome.dryRun(action).rawValue, "already_closed", "not_found"])
        #expect(rows.first?[1] == "run-of-a")
    }

    @Test("a duplicate is reported duplicate and sent once")
    func duplicates() async throws {
        let service = ScriptedWorkflowService()
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("dup-\(UUID().uuidString).csv").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let reporter = try ReportWriter(path: path)
        let executor = Executor(
            service: service, options: ExecutorOptions(action: .terminate, reason: "r", rate: 1e6, concurrency: 1),
            clock: ManualClock())
        try await executor.run(
            Jobs(.workflowIDs(["a", "b", "a", "a"], runID: nil), service: service), reportingTo: reporter)
        #expect(service.calls == ["terminate a", "terminate b"])
        #expect(reporter.tally[.duplicate] == 2)
        #expect(reporter.tally[.terminated] == 2)
    }

    @Test(
        "a pinned run replaced by a newer open run is run_changed and the new run is not touched",
        arguments: Action.allCases)
    func runChanged(action: Action) async throws {
        let service = ScriptedWorkflowService(currentRuns: ["w": "new"])
        let executor = Executor(
            service: service, options: ExecutorOptions(action: action, reason: "r", rate: 1e6), clock: ManualClock())
        let result = await executor.perform(Job(target: WorkflowTarget(workflowID: "w", runID: "old")))
        #expect(result.outcome == .runChanged)
        #expect(result.message.contains("replaced by run new"))
        #expect(!service.calls.contains("\(action == .cancel ? "cancel" : "terminate") w"))
    }

    @Test("a terminate of an ID a lookup found open is pinned to that run, and its row names it")
    func terminatePinnedToLookup() async throws {
        let service = ScriptedWorkflowService(currentRuns: ["w": "r1"])
        let executor = Executor(
            service: service, options: ExecutorOptions(action: .terminate, reason: "r", rate: 1e6),
            clock: ManualClock())
        var job = Job(target: WorkflowTarget(workflowID: "w"))
        job.lookedUpRunID = "r1"
        job.listedStatus = .running
        let result = await executor.perform(job)
        #expect(result.outcome == .terminated)
        #expect(result.runID == "r1")
        #expect(service.calls == ["terminate w"])

        // The lookup was stale: r1 was replaced by r2, which was there before the terminate was
        // sent. The ID names its current run: r2 is terminated, pinned, and the row names it.
        let followed = ScriptedWorkflowService(currentRuns: ["w": "r2"])
        let current = await Executor(
            service: followed, options: ExecutorOptions(action: .terminate, reason: "r", rate: 1e6),
            clock: ManualClock()
        ).perform(job)
        #expect(current.outcome == .terminated, "\(current.message)")
        #expect(current.runID == "r2")
        #expect(followed.calls == ["terminate w@r1", "describe w", "terminate w"], "\(followed.calls)")

        // r2 started after the terminate was sent: nobody selected it; it is not touched.
        let replaced = ScriptedWorkflowService(currentRuns: ["w": "r2"], startTimes: ["w": Date() + 600])
        let stale = await Executor(
            service: replaced, options: ExecutorOptions(action: .terminate, reason: "r", rate: 1e6),
            clock: ManualClock()
        ).perform(job)
        #expect(stale.outcome == .runChanged, "\(stale.message)")
        #expect(stale.runID == "r1")
        #expect(replaced.calls == ["terminate w@r1", "describe w"], "\(replaced.calls)")
    }

    @Test(
        "a cancel trusting a stale listing of a run that had closed is not cancel_requested: the server's OK is checked"
    )
    func cancelOfClosedRun() async throws {
        var options = ExecutorOptions(action: .cancel, reason: "r", rate: 1e6)
        options.listingFreshness = .seconds(600)
        var listed = Job(target: WorkflowTarget(workflowID: "w", runID: "r1"), listedStatus: .running)
        listed.listedAt = .now
        // Closed (completed) before the cancel, no newer run: already_closed.
        let ended = ScriptedWorkflowService(statuses: ["w": .completed], currentRuns: ["w": "r1"])
        let first = await Executor(service: ended, options: options, clock: ManualClock()).perform(listed)
        #expect(first.outcome == .alreadyClosed, "\(first.message)")
        #expect(ended.calls.first == "cancel w", "the cancel went out, and was answered OK: \(ended.calls)")
        // Continued as new before the cancel: run_changed, and the new run is not touched.
        let replaced = ScriptedWorkflowService(currentRuns: ["w": "r2"])
        let second = await Executor(service: replaced, options: options, clock: ManualClock()).perform(listed)
        #expect(second.outcome == .runChanged, "\(second.message)")
        #expect(second.message.contains("replaced by run r2"))
        #expect(replaced.calls.filter { $0.hasPrefix("cancel") } == ["cancel w@r1"], "\(replaced.calls)")
        // An ID looked up in bulk: the same.
        var lookedUp = Job(target: WorkflowTarget(workflowID: "w"), listedStatus: .running)
        lookedUp.lookedUpRunID = "r1"
        lookedUp.listedAt = .now
        let third = await Executor(
            service: ScriptedWorkflowService(currentRuns: ["w": "r2"]), options: options, clock: ManualClock()
        ).perform(lookedUp)
        #expect(third.outcome == .runChanged, "\(third.message)")
    }

    @Test("--chain acts on the chain's current run through first_execution_run_id")
    func chain() async throws {
        let service = ScriptedWorkflowService(currentRuns: ["w": "new"])
        let executor = Executor(
            service: service, options: ExecutorOptions(action: .terminate, reason: "r", rate: 1e6, chain: true),
            clock: ManualClock())
        let result = await executor.perform(
            Job(target: WorkflowTarget(workflowID: "w", runID: "old"), firstRunID: "first-of-w"))
        #expect(result.outcome == .terminated)
        #expect(result.runID == "new")
        #expect(service.calls.contains("terminate-chain(first-of-w) w"))
    }

    @Test("cancelling the run stops new jobs and reports every remaining one not_attempted", .timeLimit(.minutes(10)))
    func gracefulStop() async throws {
        let service = ScriptedWorkflowService()
        let ids = (1...200).map { "w\($0)" }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("stop-\(UUID().uuidString).csv").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let reporter = try ReportWriter(path: path)
        // Time stands still at 10 calls/s: the first slot is now, every later one 100 ms on, and
        // no slot after the first comes before the stop. Nothing depends on how fast this runs.
        let executor = Executor(
            service: service, options: ExecutorOptions(action: .terminate, reason: "r", rate: 10, concurrency: 8),
            clock: ManualClock(holdsSleeps: true))
        let run = Task { try await executor.run(jobs(ids), reportingTo: reporter) }
        defer { run.cancel() }
        try await Patience.waitUntil("the first terminate") { (service.calls.count >= 1, "\(service.calls)") }
        run.cancel()
        try await run.value
        let reader = CSVReader()
        let rows = try (reader.parse(Array(try Data(contentsOf: URL(fileURLWithPath: path)))) + reader.finish())
            .dropFirst().map(\.fields)
        #expect(rows.count == 200)
        #expect(Set(rows.map { $0[0] }) == Set(ids))
        let sent = rows.filter { $0[3] == "terminated" }.count
        let skipped = rows.filter { $0[3] == "not_attempted" }.count
        #expect(sent + skipped == 200)
        #expect(sent == 1, "\(sent) terminated before the stop: only the first slot had come")
        // Nothing reported not_attempted was sent.
        let terminatedCalls = Set(service.calls.filter { $0.hasPrefix("terminate ") }.map { String($0.dropFirst(10)) })
        #expect(terminatedCalls == Set(rows.filter { $0[3] == "terminated" }.map { $0[0] }))
    }

    @Test("n terminates at 20/s with 16 in flight: every call on its slot, 1/20 s apart on the clock")
    func pacedOnTheClock() async throws {
        // What `--rps 20` guarantees, exact on the test clock (the real rate is scripts/bench's):
        // the n-th call waits for the slot (n-1)/20 s after the first, so 100 calls end the clock
        // at 4.95 s. A limiter at 17/s ends it at 5.82 s; calls past the limiter at 0.
        let service = ScriptedWorkflowService(latency: .zero)
        let clock = ManualClock()
        let executor = Executor(
            service: service, options: ExecutorOptions(action: .terminate, reason: "r", rate: 20, concurrency: 16),
            clock: clock)
        let rows = try await reportRows { try await executor.run(jobs((1...100).map { "w\($0)" }), reportingTo: $0) }
        #expect(rows.count == 100 && rows.allSatisfy { $0[3] == "terminated" })
        #expect(service.calls.count == 100 && service.calls.allSatisfy { $0.hasPrefix("terminate ") })
        // 16 in flight book at most 0.8 s ahead, within the admission's second: the clock moves
        // only to the slots the calls wait for.
        #expect(clock.now.offset == .milliseconds(4950), "\(clock.now.offset)")
    }
}

@Suite("Executor: one call per listed workflow")
struct ListedCancelTests {
    private func run(_ jobs: [Job], service: ScriptedWorkflowService) async throws -> [[String]] {
        var options = ExecutorOptions(action: .cancel, reason: "r", rate: 1e6)
        // Fresh for as long as a loaded test machine may take; the stale job is an hour old.
        options.listingFreshness = .seconds(600)
        let executor = Executor(service: service, options: options, clock: ManualClock())
        let stream = AsyncStream<Job> { continuation in
            for job in jobs { continuation.yield(job) }
            continuation.finish()
        }
        return try await reportRows { try await executor.run(stream, reportingTo: $0) }
    }

    @Test(
        "a cancel of a run a listing just described as open is one paced call, pinned, then one read to confirm; a listed closed run is none"
    )
    func oneCall() async throws {
        let service = ScriptedWorkflowService(currentRuns: [
            "w1": "11111111-1111-4111-8111-111111111111", "w5": "55555555-5555-4555-8555-555555555555",
        ])
        var open = Job(
            target: WorkflowTarget(workflowID: "w1", runID: "11111111-1111-4111-8111-111111111111"),
            listedStatus: .running)
        open.listedAt = .now
        var closed = Job(
            target: WorkflowTarget(workflowID: "w2", runID: "22222222-2222-4222-8222-222222222222"),
            listedStatus: .completed)
        closed.listedAt = .now
        // Listed long ago: its status is stale, so it is described first, as an unlisted one.
        var stale = Job(
            target: WorkflowTarget(workflowID: "w4", runID: "44444444-4444-4444-8444-444444444444"),
            listedStatus: .running)
        stale.listedAt = .now - .seconds(3600)
        let unlisted = Job(target: WorkflowTarget(workflowID: "w3"))
        // Looked up for an ID given without a run: open → one call; closed → Describe finds the
        // current run (visibility may not show a newer one yet).
        var lookedUpOpen = Job(target: WorkflowTarget(workflowID: "w5"), listedStatus: .running)
        lookedUpOpen.lookedUpRunID = "55555555-5555-4555-8555-555555555555"
        lookedUpOpen.listedAt = .now
        var lookedUpClosed = Job(target: WorkflowTarget(workflowID: "w6"), listedStatus: .completed)
        lookedUpClosed.lookedUpRunID = "66666666-6666-4666-8666-666666666666"
        lookedUpClosed.listedAt = .now
        let rows = try await run([open, closed, unlisted, stale, lookedUpOpen, lookedUpClosed], service: service)
        let outcomes = Dictionary(uniqueKeysWithValues: rows.map { ($0[0], $0[3]) })
        #expect(outcomes["w1"] == "cancel_requested" && outcomes["w3"] == "cancel_requested")
        let calls = service.calls
        // The cancel, then a Describe of the run it pinned: a closed run answers a cancel OK too.
        #expect(
            calls.filter { $0.contains("w1") } == ["cancel w1", "describe w1@11111111-1111-4111-8111-111111111111"],
            "\(calls)")
        // A listed closed run is not cancelled; whether a newer run replaced it is still asked.
        #expect(!calls.contains("cancel w2"), "\(calls)")
        #expect(outcomes["w2"] != "cancel_requested")
        #expect(calls.filter { $0.contains("w4") }.first?.hasPrefix("describe w4") == true, "\(calls)")
        #expect(
            calls.filter { $0.contains("w5") } == ["cancel w5", "describe w5@55555555-5555-4555-8555-555555555555"],
            "\(calls)")
        #expect(rows.first { $0[0] == "w5" }?[1] == "55555555-5555-4555-8555-555555555555")
        #expect(calls.filter { $0.contains("w6") }.first == "describe w6", "\(calls)")
        #expect(outcomes["w6"] == "cancel_requested", "the fake's current run is open: cancelled")
        // What no listing described is described first, then cancelled on the run Describe named.
        #expect(calls.filter { $0.contains("w3") }.first == "describe w3", "\(calls)")
        #expect(calls.filter { $0.contains("w3") }.count == 2, "\(calls)")
    }
}

@Suite("Executor: jobs handed out near their slot")
struct AdmissionTests {
    @Test("at a low rate with many in flight, every job still gets its slot: one cancel each, 1/20 s apart")
    func lowRateHighConcurrency() async throws {
        // 80 listed runs at 20/s with 64 in flight, on the test clock: held back in the source
        // (admissionPause below says how long), each still gets its own slot, and each listing
        // is trusted (one cancel each, and its read to confirm). Which job waits where is the
        // admission's exact tests'.
        let runs = (1...80).map { WorkflowTarget(workflowID: "w\($0)", runID: UUID().uuidString.lowercased()) }
        let service = ScriptedWorkflowService(
            currentRuns: Dictionary(uniqueKeysWithValues: runs.map { ($0.workflowID, $0.runID ?? "") }), latency: .zero)
        var options = ExecutorOptions(action: .cancel, reason: "r", rate: 20, concurrency: 64)
        options.listingFreshness = .seconds(600)
        let clock = ManualClock()
        let executor = Executor(service: service, options: options, clock: clock)
        let stream = AsyncStream<Job> { continuation in
            for target in runs {
                var job = Job(target: target, listedStatus: .running)
                job.listedAt = .now
                continuation.yield(job)
            }
            continuation.finish()
        }
        let rows = try await reportRows { try await executor.run(stream, reportingTo: $0) }
        #expect(rows.count == 80 && rows.allSatisfy { $0[3] == "cancel_requested" })
        let calls = service.calls
        #expect(calls.filter { $0.hasPrefix("cancel") }.count == 80, "\(calls)")
        #expect(calls.filter { $0.hasPrefix("describe") }.count == 80, "\(calls)")
        // Paced: the 80th slot is 79/20 s after the first (a held-back job's pause may move the
        // test clock on further; never a call closer to the one before than its slot).
        #expect(clock.now.offset >= .milliseconds(3950), "\(clock.now.offset)")
    }

    @Test("the next job is held back by how far booked slots reach past the horizon, and not at all within it")
    func admissionPause() {
        typealias Engine = Executor<ContinuousClock>
        // 20/s: a second's slots (20) may be booked ahead; the 21st job waits for one to pass.
        #expect(Engine.admissionPause(backlog: .zero, unstarted: 0, rate: 20) == .zero)
        #expect(Engine.admissionPause(backlog: .milliseconds(750), unstarted: 5, rate: 20) == .zero)
        #expect(Engine.admissionPause(backlog: .seconds(1), unstarted: 0, rate: 20) == .zero)
        #expect(Engine.admissionPause(backlog: .seconds(1), unstarted: 5, rate: 20) == .milliseconds(250))
        // Slots booked by jobs not yet started count as much as those booked.
        #expect(
            Engine.admissionPause(backlog: .zero, unstarted: 25, rate: 20)
                == Engine.admissionPause(backlog: .milliseconds(500), unstarted: 15, rate: 20))
        #expect(Engine.admissionPause(backlog: .zero, unstarted: 60, rate: 20) == .seconds(2))
        // 1/s: two slots ahead, never a fan-out's 64 (which would wait 64 s for the last slot).
        #expect(Engine.admissionPause(backlog: .seconds(1), unstarted: 1, rate: 1) == .zero)
        #expect(Engine.admissionPause(backlog: .seconds(1), unstarted: 2, rate: 1) == .seconds(1))
        #expect(Engine.admissionPause(backlog: .seconds(64), unstarted: 0, rate: 1) == .seconds(62))
        // A count gone negative for a moment (a job started before it was counted) is none.
        #expect(Engine.admissionPause(backlog: .zero, unstarted: -3, rate: 20) == .zero)
    }

    @Test(
        "jobs wait for their slot in the source, not in flight; a stop then reports every job and sends nothing more",
        .timeLimit(.minutes(10)))
    func stopWhileHeldBack() async throws {
        let service = ScriptedWorkflowService(latency: .zero)
        // 5/s with 64 in flight, time standing still: the first slot is now, the next ones 200 ms
        // apart. A second's worth of slots is booked (jobs 1-6: 0 to 1 s), then the source is
        // held back: without the admission's pause, the fan-out would take 64 jobs at once.
        let clock = ManualClock(holdsSleeps: true)
        let options = ExecutorOptions(action: .terminate, reason: "r", rate: 5, concurrency: 64)
        let executor = Executor(service: service, options: options, clock: clock)
        let stream = AsyncStream<Job> { continuation in
            for index in 1...200 { continuation.yield(Job(target: WorkflowTarget(workflowID: "w\(index)"))) }
            continuation.finish()
        }
        let taken = Counter()
        let jobs = stream.map { job -> Job in
            taken.add()
            return job
        }
        var takenBeforeStop = 0
        let records = try await reportRows { reporter in
            let run = Task { try await executor.run(jobs, reportingTo: reporter) }
            defer { run.cancel() }
            // Settled: one call made, and every other job taken waits on the clock (for its slot),
            // as does the source (the admission's pause): nothing more can happen until the stop.
            try await Patience.waitUntil("the run to settle with the source held back") {
                let (calls, held, count) = (service.calls.count, clock.held, taken.count)
                return (calls == 1 && count > 1 && held == count, "\(calls) calls, \(held) held, \(count) taken")
            }
            takenBeforeStop = taken.count
            run.cancel()
            try await run.value
        }
        // Six, or a few more when a job had started but not yet booked its slot as the next one
        // was weighed; without the pause, all 64 a fan-out holds.
        #expect(takenBeforeStop >= 6 && takenBeforeStop < 64, "\(takenBeforeStop) jobs taken from the source")
        #expect(records.count == 200)
        #expect(Set(records.map { $0[0] }).count == 200)
        let terminated = records.filter { $0[3] == "terminated" }.map { $0[0] }
        // Only the first slot came: one call, whichever job in flight booked it.
        #expect(terminated.count == 1, "\(terminated)")
        #expect(records.filter { $0[3] == "not_attempted" }.count == 199)
        let sent = Set(service.calls.filter { $0.hasPrefix("terminate ") }.map { String($0.dropFirst(10)) })
        #expect(sent == Set(terminated))
    }

    @Test("the horizon is a second, or two slots when slots are further apart")
    func horizon() {
        #expect(Executor<ContinuousClock>.admissionHorizon(rate: 100) == .seconds(1))
        #expect(Executor<ContinuousClock>.admissionHorizon(rate: 1) == .seconds(2))
    }
}
