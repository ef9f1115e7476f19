import Foundation
import SweepCore
import SweepGRPC
import SweepTestSupport
import Synchronization
import Testing

@Suite("--shard: a stable split of the job set")
struct ShardTests {
    @Test("INDEX/COUNT is parsed; anything else is refused with the form it takes")
    func parsing() throws {
        let shard = try Shard(parsing: "2/5")
        #expect(shard.index == 2 && shard.count == 5)
        #expect(shard.description == "2/5")
        for bad in ["5/5", "-1/3", "1/0", "1", "a/b", "1/2/3", "", "1/"] {
            #expect(throws: SweepError.self, "\(bad)") { try Shard(parsing: bad) }
        }
    }

    @Test("the hash is 64-bit FNV-1a of the UTF-8 bytes (published vectors), so other tools can split the same way")
    func fnvVectors() {
        #expect(Shard.fnv1a64("") == 0xcbf2_9ce4_8422_2325)
        #expect(Shard.fnv1a64("a") == 0xaf63_dc4c_8601_ec8c)
        #expect(Shard.fnv1a64("foobar") == 0x8594_4171_f739_67e8)
        // Byte for byte: two spellings of one string Swift calls equal fall apart.
        #expect(Shard.fnv1a64("caf\u{E9}") != Shard.fnv1a64("cafe\u{301}"))
    }

    @Test("n shards of one ID list are disjoint, cover it, keep each ID's repeats together, and count the rest")
    func partition() async throws {
        var ids = (0..<3000).map { "order-\($0)" }
        ids += ["order-7", "order-7", "order-2999"]  // repeats
        let service = NoService()
        var seen: [String: Int] = [:]
        var handedOut = 0
        for index in 0..<3 {
            let shard = try Shard(index: index, count: 3)
            let progress = SourceProgress()
            var mine: [Job] = []
            for try await job in Jobs(.workflowIDs(ids, runID: nil), service: service, progress: progress, shard: shard)
            {
                mine.append(job)
            }
            let distinct = mine.filter { !$0.isDuplicate }
            for job in distinct { seen[job.target.workflowID, default: 0] += 1 }
            handedOut += mine.count
            // Every repeat of an ID lands with it, marked duplicate.
            for job in mine where job.isDuplicate {
                #expect(shard.contains(job.target.workflowID))
            }
            #expect(progress.otherShards == ids.count - mine.count)
            // Roughly even: within 10 % of a third.
            #expect(abs(distinct.count - 1000) < 100, "shard \(index): \(distinct.count)")
        }
        #expect(seen.count == 3000)
        #expect(seen.values.allSatisfy { $0 == 1 })
        #expect(handedOut == ids.count)
    }

    @Test("1/1 takes everything")
    func single() throws {
        let shard = try Shard(index: 0, count: 1)
        #expect(["", "a", "order-1"].allSatisfy(shard.contains))
    }
}

/// A service that is never called (the IDs come from the command line).
private struct NoService: ListingFake {
    func list(query: String, pageSize: Int, pageToken: [UInt8]) async throws(RPCError) -> ExecutionPage {
        throw RPCError(code: .unimplemented, message: "not in this fake")
    }
}

@Suite("--engine server: the per-workflow report of a server batch job")
struct ServerBatchEngineTests {
    private static let started = Date(timeIntervalSince1970: 1_000_000)

    private func run(
        _ status: WorkflowStatus, closed: TimeInterval? = nil, cancelRequested: Bool = false
    ) -> ExecutionDescription {
        ExecutionDescription(
            workflowID: "w", runID: "r", workflowType: "T", status: status,
            closeTime: closed.map { Self.started.addingTimeInterval($0) }, cancelRequested: cancelRequested)
    }

    /// Short waits, for fakes that answer at once; on the test clock, which moves only when the
    /// engine waits, so that no wait depends on how fast this machine runs.
    private static var quick: ServerBatchEngine<ManualClock>.Timing {
        var timing = ServerBatchEngine<ManualClock>.Timing()
        timing.poll = .milliseconds(5)
        timing.settleInterval = .milliseconds(20)
        timing.settleMinimum = .seconds(1)
        timing.busyWait = .zero
        timing.busyWaitAfterOwn = .zero
        timing.lostAfter = .milliseconds(100)
        return timing
    }

    private func engine(
        _ server: FakeBatchServer, _ action: Action = .terminate, batchSize: Int = 10,
        timing: ServerBatchEngine<ManualClock>.Timing = quick
    ) -> ServerBatchEngine<ManualClock> {
        ServerBatchEngine(
            service: server, batches: server, options: ExecutorOptions(action: action, reason: "r", rate: 1e6),
            clock: ManualClock(), batchSize: batchSize, jobIDPrefix: "job", timing: timing)
    }

    private func outcomes(_ sink: CollectingSink) -> [String: Outcome] {
        Dictionary(
            sink.rows.filter { $0.outcome != .duplicate }.map { ($0.job.target.workflowID, $0.outcome) },
            uniquingKeysWith: { _, new in new })
    }

    @Test("what a described run says the job did, for terminate and cancel, finished or stopped")
    func verdicts() {
        typealias Engine = ServerBatchEngine<ContinuousClock>
        func outcome(_ run: ExecutionDescription, _ action: Action, stopped: Bool = false) -> Outcome {
            Engine.outcome(of: run, action: action, jobStart: Self.started, stopped: stopped)
        }
        #expect(outcome(run(.terminated, closed: 1), .terminate) == .terminated)
        // Terminated by someone else before the job started: the job found it closed.
        #expect(outcome(run(.terminated, closed: -1), .terminate) == .alreadyClosed)
        #expect(outcome(run(.completed, closed: 1), .terminate) == .alreadyClosed)
        #expect(outcome(run(.running), .terminate) == .failed)
        #expect(outcome(run(.running), .terminate, stopped: true) == .notAttempted)

        #expect(outcome(run(.running, cancelRequested: true), .cancel) == .cancelRequested)
        #expect(outcome(run(.canceled, closed: 1, cancelRequested: true), .cancel) == .cancelRequested)
        #expect(outcome(run(.canceled, closed: 1), .cancel) == .cancelRequested)
        #expect(outcome(run(.canceled, closed: -1), .cancel) == .alreadyClosed)
        #expect(outcome(run(.completed, closed: 1), .cancel) == .alreadyClosed)
        #expect(outcome(run(.running), .cancel) == .failed)
        #expect(outcome(run(.running), .cancel, stopped: true) == .notAttempted)
    }

    @Test(
        "every job gets exactly one final row over random inputs and slice sizes; the server gets only open runs, pinned"
    )
    func oneRowEach() async throws {
        var generator = SystemRandomNumberGenerator()
        for round in 0..<25 {
            let open = (0..<Int.random(in: 0...12, using: &generator)).map { "open-\(round)-\($0)" }
            let closed = (0..<Int.random(in: 0...4, using: &generator)).map { "closed-\(round)-\($0)" }
            let unknown = (0..<Int.random(in: 0...3, using: &generator)).map { "unknown-\(round)-\($0)" }
            var input = open + closed + unknown
            let repeats = (0..<Int.random(in: 0...3, using: &generator)).compactMap { _ in input.randomElement() }
            input += repeats
            input.shuffle(using: &generator)
            guard !input.isEmpty else { continue }
            let server = FakeBatchServer(open: open, closed: closed)
            let action: Action = Bool.random(using: &generator) ? .terminate : .cancel
            let batchSize = Int.random(in: 1...5, using: &generator)
            let sink = CollectingSink()
            try await engine(server, action, batchSize: batchSize).run(
                Jobs(.workflowIDs(input, runID: nil), service: server), reportingTo: sink)

            let rows = sink.rows
            #expect(rows.count == input.count, "round \(round)")
            // `duplicate` rows stand for input lines, after their workflow's own row.
            let final = rows.filter { $0.outcome != .duplicate }
            #expect(final.count == Set(input).count, "round \(round)")
            let last = outcomes(sink)
            for (position, row) in rows.enumerated() where row.outcome == .duplicate {
                #expect(
                    rows[..<position].contains { $0.outcome != .duplicate && $0.job.target == row.job.target },
                    "a duplicate row before its workflow's row")
            }
            for id in open { #expect(last[id] == (action == .cancel ? .cancelRequested : .terminated), "\(id)") }
            for id in closed { #expect(last[id] == .alreadyClosed, "\(id)") }
            for id in unknown { #expect(last[id] == .notFound, "\(id)") }
            #expect(rows.filter { $0.outcome == .duplicate }.count == repeats.count)
            // Only open runs went to the server, each once, pinned to its run, in jobs of at most
            // batchSize.
            let sent = server.requests.flatMap(\.executions)
            #expect(sent.map(\.workflowID).sorted() == open.sorted())
            #expect(sent.allSatisfy { $0.runID == "run-of-\($0.workflowID)" })
            #expect(server.requests.allSatisfy { $0.executions.count <= batchSize && $0.action == action })
        }
    }

    @Test(
        "a second job refused because the namespace is busy: its slice and every job after it are not_attempted, nothing sent for them, and the run stops saying why"
    )
    func busyNamespace() async throws {
        let server = FakeBatchServer(open: ["a", "b", "c", "d", "e"], closed: ["z"], startsAccepted: 1)
        let sink = CollectingSink()
        let error = await #expect(throws: SweepError.self) {
            try await engine(server, batchSize: 2).run(
                Jobs(.workflowIDs(["a", "b", "z", "c", "d", "e"], runID: nil), service: server), reportingTo: sink)
        }
        #expect(error?.message.contains("one batch job per namespace") == true)
        #expect(sink.rows.count == 6)
        #expect(
            outcomes(sink) == [
                "a": .terminated, "b": .terminated, "z": .alreadyClosed, "c": .notAttempted, "d": .notAttempted,
                "e": .notAttempted,
            ])
        #expect(server.requests.count == 1)
        #expect(server.statuses(["c", "d", "e"]).allSatisfy { $0 == .running })
    }

    @Test("a busy namespace is waited out for a while: the start is tried again and goes through")
    func busyThenFree() async throws {
        let server = FakeBatchServer(open: ["a"], closed: [], refusedStarts: [1])
        var timing = Self.quick
        timing.busyWait = .seconds(5)
        let sink = CollectingSink()
        try await engine(server, timing: timing).run(
            Jobs(.workflowIDs(["a"], runID: nil), service: server), reportingTo: sink)
        #expect(outcomes(sink) == ["a": .terminated])
        #expect(server.startsTried == 2)
    }

    @Test("a start whose answer was lost but that landed (not yet visible) is taken as started, not refused")
    func ambiguousStartLanded() async throws {
        // The first start lands and answers DEADLINE_EXCEEDED, and the job does not show at the
        // first look; the retry under the same ID is refused (ALREADY_EXISTS), then it shows.
        let server = FakeBatchServer(open: ["a", "b"], closed: [], landsThenTimesOut: true, hiddenDescribes: 1)
        let sink = CollectingSink()
        try await engine(server).run(Jobs(.workflowIDs(["a", "b"], runID: nil), service: server), reportingTo: sink)
        #expect(outcomes(sink) == ["a": .terminated, "b": .terminated])
        #expect(server.requests.count == 1)
    }

    @Test("a start that went unanswered and cannot be found: its runs are failed (it may yet act); the run stops")
    func ambiguousStartUnknown() async throws {
        let server = FakeBatchServer(open: ["a", "b"], closed: [], landsThenTimesOut: true, hiddenDescribes: .max)
        let sink = CollectingSink()
        let error = await #expect(throws: SweepError.self) {
            try await engine(server).run(
                Jobs(.workflowIDs(["a", "b"], runID: nil), service: server), reportingTo: sink)
        }
        #expect(error?.message.contains("may have started") == true)
        #expect(outcomes(sink) == ["a": .failed, "b": .failed])
        #expect(sink.rows.allSatisfy { $0.message.contains("sweep batch describe job-1") })
    }

    @Test(
        "after a job of its own, a busy namespace is waited out longer (visibility may still count that job as running)"
    )
    func busyAfterOwnJob() async throws {
        // Slice 1 starts at once; slice 2's first start is refused as busy, its second goes through.
        let server = FakeBatchServer(open: ["a", "b"], closed: [], refusedStarts: [2])
        var timing = Self.quick
        timing.busyWaitAfterOwn = .seconds(5)
        let sink = CollectingSink()
        try await engine(server, batchSize: 1, timing: timing).run(
            Jobs(.workflowIDs(["a", "b"], runID: nil), service: server), reportingTo: sink)
        #expect(outcomes(sink) == ["a": .terminated, "b": .terminated])
        #expect(server.startsTried == 3)
    }

    @Test("a job lost from sight (DescribeBatchOperation failing): its open runs are failed, and the run stops")
    func lostJob() async throws {
        let server = FakeBatchServer(open: ["a", "b"], closed: [], describeFails: true, actsOn: 1)
        let sink = CollectingSink()
        let engine = ServerBatchEngine(
            service: server, batches: server,
            options: ExecutorOptions(action: .terminate, reason: "r", rate: 1e6, maxAttempts: 1, retryWindow: .zero),
            clock: ManualClock(), batchSize: 10, jobIDPrefix: "job", timing: Self.quick)
        let error = await #expect(throws: SweepError.self) {
            try await engine.run(Jobs(.workflowIDs(["a", "b"], runID: nil), service: server), reportingTo: sink)
        }
        #expect(error?.message.contains("could not be followed") == true)
        // Whichever the job reached is terminated; the other, still open, failed.
        let final = outcomes(sink)
        #expect(final.values.sorted { $0.rawValue < $1.rawValue } == [.failed, .terminated])
        for (id, outcome) in final {
            #expect(server.statuses([id]) == [outcome == .terminated ? .terminated : .running], "\(id)")
        }
    }

    @Test(
        "a run replaced between the plan and the job (continue-as-new) is run_changed, naming the open run, not already_closed"
    )
    func replacedRun() async throws {
        let server = FakeBatchServer(open: ["a", "b"], closed: [], replacedAtStart: ["b"])
        let sink = CollectingSink()
        try await engine(server).run(Jobs(.workflowIDs(["a", "b"], runID: nil), service: server), reportingTo: sink)
        #expect(outcomes(sink) == ["a": .terminated, "b": .runChanged])
        let row = try #require(sink.rows.first { $0.job.target.workflowID == "b" })
        #expect(row.message.contains("run2-of-b"))
    }

    @Test("a source that fails mid-slice: the jobs it handed out are acted on and reported, then the run stops")
    func failingSource() async throws {
        let server = FakeBatchServer(open: ["a", "b", "c"], closed: [])
        let sink = CollectingSink()
        await #expect(throws: SweepError.self) {
            try await engine(server).run(FailingAfter(["a", "b"]), reportingTo: sink)
        }
        #expect(sink.rows.map(\.job.target.workflowID).sorted() == ["a", "b"])
        #expect(sink.rows.allSatisfy { $0.outcome == .terminated })
        #expect(server.statuses(["a", "b", "c"]) == [.terminated, .terminated, .running])
    }

    @Test(
        "a stop stops the job; what its worker still does after the stop is waited for; only what stays open is not_attempted"
    )
    func stopped() async throws {
        // The job acts on the first two at once, on a third once it is stopped and its runs have
        // been looked at (its worker has not heard yet), never on the fourth.
        let server = FakeBatchServer(open: ["a", "b", "c", "d"], closed: [], actsOn: 2, actsAfterStop: 1)
        let sink = CollectingSink()
        let task = Task {
            try await engine(server).run(
                Jobs(.workflowIDs(["a", "b", "c", "d"], runID: nil), service: server), reportingTo: sink)
        }
        defer { task.cancel() }
        try await Patience.waitUntil("the batch job to start") { (!server.requests.isEmpty, "no start yet") }
        task.cancel()
        try await task.value
        #expect(server.stops == ["job-1"])
        // Which runs the job reached depends on the plan's order; the report matches the server.
        let final = outcomes(sink)
        #expect(final.values.filter { $0 == .terminated }.count == 3)
        #expect(final.values.filter { $0 == .notAttempted }.count == 1)
        for (id, outcome) in final {
            #expect(server.statuses([id]) == [outcome == .terminated ? .terminated : .running], "\(id)")
        }
        #expect(sink.rows.filter { $0.outcome == .notAttempted }.allSatisfy { $0.attempts == 0 })
    }

    @Test("a job stopped by someone else: what its worker still does afterwards is waited for; the rest is failed")
    func stoppedByOthers() async throws {
        let server = FakeBatchServer(
            open: ["a", "b", "c", "d", "e"], closed: [], actsOn: 2, actsAfterStop: 1, stoppedByOthers: true)
        let sink = CollectingSink()
        // The run stops there (a job stopped by someone is no reason to start the next one).
        let error = await #expect(throws: SweepError.self) {
            try await engine(server, batchSize: 4).run(
                Jobs(.workflowIDs(["a", "b", "c", "d", "e"], runID: nil), service: server), reportingTo: sink)
        }
        #expect(error?.message.contains("ended unfinished") == true)
        var final = outcomes(sink)
        #expect(final["e"] == .notAttempted)
        #expect(server.requests.count == 1)
        final.removeValue(forKey: "e")
        #expect(final.values.filter { $0 == .terminated }.count == 3)
        #expect(final.values.filter { $0 == .failed }.count == 1)
        for (id, outcome) in final {
            #expect(server.statuses([id]) == [outcome == .terminated ? .terminated : .running], "\(id)")
        }
        #expect(server.stops.isEmpty)
    }

    @Test("a stop the server refuses: the open runs are failed (the job may still act), not not_attempted")
    func stopRefused() async throws {
        let server = FakeBatchServer(open: ["a", "b"], closed: [], actsOn: 1, stopFails: true)
        let sink = CollectingSink()
        let task = Task {
            try await engine(server).run(
                Jobs(.workflowIDs(["a", "b"], runID: nil), service: server), reportingTo: sink)
        }
        defer { task.cancel() }
        try await Patience.waitUntil("the batch job to start") { (!server.requests.isEmpty, "no start yet") }
        task.cancel()
        // The run ends with an error: no other job can start while this one may run.
        let error = await #expect(throws: SweepError.self) { try await task.value }
        #expect(error?.message.contains("could not be stopped") == true)
        let final = outcomes(sink)
        #expect(final.values.sorted { $0.rawValue < $1.rawValue } == [.failed, .terminated])
        let row = try #require(sink.rows.first { $0.outcome == .failed })
        #expect(row.message.contains("could not be stopped"))
        #expect(server.statuses([row.job.target.workflowID]) == [.running])
    }
}

/// A server with workflows and a batcher that acts on a job's runs at once (or on the first
/// `actsOn` of them, then runs until stopped), with the faults the tests ask for.
private final class FakeBatchServer: ListingFake, BatchService {
    private struct Run {
        var status: WorkflowStatus
        var closeTime: Date?
        var cancelRequested = false
    }

    private struct State {
        /// Per workflow ID, per run ID.
        var runs: [String: [String: Run]] = [:]
        var current: [String: String] = [:]
        var requests: [BatchRequest] = []
        var jobs: [String: BatchJob] = [:]
        var stops: [String] = []
        var startsTried = 0
        var describes = 0
        var pending: [WorkflowTarget] = []
        /// What the stopped job's worker still does: once one of these runs has been looked at
        /// twice after the stop (the engine's first look, then a look that finds nothing new, which
        /// only the settle period's minimum makes it follow with another), it acts on them.
        var late: (targets: [WorkflowTarget], action: Action, looks: Int)?
    }

    private let state = Mutex(State())
    private let startsAccepted: Int
    private let refusedStarts: Set<Int>
    private let landsThenTimesOut: Bool
    private let hiddenDescribes: Int
    private let describeFails: Bool
    private let replacedAtStart: Set<String>
    private let actsOn: Int?
    private let actsAfterStop: Int
    private let stopFails: Bool
    private let stoppedByOthers: Bool

    init(
        open: [String], closed: [String], startsAccepted: Int = .max, refusedStarts: Set<Int> = [],
        landsThenTimesOut: Bool = false, hiddenDescribes: Int = 0, describeFails: Bool = false,
        replacedAtStart: Set<String> = [], actsOn: Int? = nil, actsAfterStop: Int = 0, stopFails: Bool = false,
        stoppedByOthers: Bool = false
    ) {
        self.stoppedByOthers = stoppedByOthers
        self.startsAccepted = startsAccepted
        self.refusedStarts = refusedStarts
        self.hiddenDescribes = hiddenDescribes
        self.describeFails = describeFails
        self.landsThenTimesOut = landsThenTimesOut
        self.replacedAtStart = replacedAtStart
        self.actsOn = actsOn
        self.actsAfterStop = actsAfterStop
        self.stopFails = stopFails
        state.withLock {
            for id in open {
                $0.runs[id] = ["run-of-\(id)": Run(status: .running)]
                $0.current[id] = "run-of-\(id)"
            }
            for id in closed {
                $0.runs[id] = ["run-of-\(id)": Run(status: .completed, closeTime: Date(timeIntervalSince1970: 0))]
                $0.current[id] = "run-of-\(id)"
            }
        }
    }

    var requests: [BatchRequest] { state.withLock { $0.requests } }
    var stops: [String] { state.withLock { $0.stops } }
    var startsTried: Int { state.withLock { $0.startsTried } }
    func statuses(_ ids: [String]) -> [WorkflowStatus?] {
        state.withLock { s in ids.map { id in s.current[id].flatMap { s.runs[id]?[$0]?.status } } }
    }

    func list(query: String, pageSize: Int, pageToken: [UInt8]) async throws(RPCError) -> ExecutionPage {
        throw RPCError(code: .unimplemented, message: "not in this fake")
    }

    func describe(_ target: WorkflowTarget) async throws(RPCError) -> ExecutionDescription {
        let id = target.workflowID
        let found = state.withLock { s -> (String, Run)? in
            if var late = s.late, late.targets.contains(where: { $0.workflowID == id }) {
                late.looks += 1
                s.late = late.looks > 2 ? nil : late
                if late.looks > 2 { for target in late.targets { Self.act(target, late.action, &s) } }
            }
            guard let runID = target.runID ?? s.current[id], let run = s.runs[id]?[runID] else { return nil }
            return (runID, run)
        }
        guard let (runID, run) = found else {
            throw RPCError(code: .notFound, message: "workflow not found for ID: \(id)")
        }
        return ExecutionDescription(
            workflowID: id, runID: runID, workflowType: "T", status: run.status, closeTime: run.closeTime,
            cancelRequested: run.cancelRequested)
    }

    /// Acts on one pinned run as the batcher would.
    private static func act(_ target: WorkflowTarget, _ action: Action, _ s: inout State) {
        guard let runID = target.runID, var run = s.runs[target.workflowID]?[runID], run.status == .running else {
            return
        }
        switch action {
        case .terminate:
            run.status = .terminated
            run.closeTime = Date()
        case .cancel:
            run.cancelRequested = true
        }
        s.runs[target.workflowID]?[runID] = run
    }

    func startBatch(_ batch: BatchRequest) async throws(RPCError) {
        let refusal = state.withLock { s -> RPCError? in
            s.startsTried += 1
            if refusedStarts.contains(s.startsTried) || s.requests.count >= startsAccepted
                || !s.jobs.isEmpty
                    && s.jobs.values.contains(where: \.isRunning)
            {
                return RPCError(code: .resourceExhausted, message: "Max concurrent batch operations is reached")
            }
            if s.jobs[batch.jobID] != nil {
                return RPCError(code: .alreadyExists, message: "job exists")
            }
            for id in replacedAtStart {
                // Continued-as-new a moment before the job started: a newer run is open.
                s.runs[id]?["run-of-\(id)"] = Run(status: .continuedAsNew, closeTime: Date(timeIntervalSinceNow: -5))
                s.runs[id]?["run2-of-\(id)"] = Run(status: .running)
                s.current[id] = "run2-of-\(id)"
            }
            s.requests.append(batch)
            let startTime = Date()
            let acted = actsOn ?? batch.executions.count
            for target in batch.executions.prefix(acted) { Self.act(target, batch.action, &s) }
            s.pending = Array(batch.executions.dropFirst(acted))
            s.jobs[batch.jobID] = BatchJob(
                jobID: batch.jobID, operation: batch.action.rawValue, state: actsOn == nil ? .completed : .running,
                startTime: startTime, total: Int64(batch.executions.count), reason: batch.reason)
            if stoppedByOthers {
                // Someone else stops it at once; its worker acts on a few more a while later (see
                // `late`).
                s.jobs[batch.jobID]?.state = .failed
                s.jobs[batch.jobID]?.closeTime = Date()
                s.late = (Array(s.pending.prefix(actsAfterStop)), batch.action, 0)
            }
            return landsThenTimesOut && s.requests.count == 1
                ? RPCError(code: .deadlineExceeded, message: "Deadline Exceeded") : nil
        }
        if let refusal { throw refusal }
    }

    func stopBatch(jobID: String, reason: String) async throws(RPCError) {
        if stopFails { throw RPCError(code: .permissionDenied, message: "not allowed to stop batch jobs") }
        state.withLock { s in
            s.stops.append(jobID)
            s.jobs[jobID]?.state = .failed
            s.jobs[jobID]?.closeTime = Date()
            let late = Array(s.pending.prefix(actsAfterStop))
            // The worker, not yet told, acts on a few more a while after the stop (see `late`).
            guard !late.isEmpty, let request = s.requests.last else { return }
            s.late = (late, request.action, 0)
        }
    }

    func describeBatch(jobID: String) async throws(RPCError) -> BatchJob {
        if describeFails, state.withLock({ !$0.jobs.isEmpty }) {
            throw RPCError(code: .unavailable, message: "connection refused")
        }
        let job = state.withLock { s -> BatchJob? in
            guard let job = s.jobs[jobID] else { return nil }
            s.describes += 1
            // A job just started may not show yet.
            return s.describes <= hiddenDescribes ? nil : job
        }
        guard let job else {
            throw RPCError(code: .notFound, message: "workflow not found for ID: \(jobID)")
        }
        return job
    }

    func listBatches(pageSize: Int, pageToken: [UInt8]) async throws(RPCError) -> (jobs: [BatchJob], next: [UInt8]) {
        (state.withLock { Array($0.jobs.values) }, [])
    }
}

/// Jobs for `ids`, then a failure (a listing page that kept failing).
private struct FailingAfter: AsyncSequence, Sendable {
    typealias Element = Job
    let ids: [String]

    init(_ ids: [String]) {
        self.ids = ids
    }

    func makeAsyncIterator() -> Iterator { Iterator(ids: ids[...]) }

    struct Iterator: AsyncIteratorProtocol {
        var ids: ArraySlice<String>
        mutating func next() async throws -> Job? {
            guard let id = ids.popFirst() else { throw SweepError(.server, "listing failed") }
            return Job(target: WorkflowTarget(workflowID: id))
        }
    }
}
