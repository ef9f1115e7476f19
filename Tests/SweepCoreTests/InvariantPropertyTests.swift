import Foundation
import SweepCSV
import SweepCore
import SweepGRPC
import Synchronization
import Testing

/// The promise as a property: over random inputs (duplicates near and far, awkward IDs, `--max`),
/// random transient, ambiguous and permanent failures, and a stop at a random point followed by
/// `--resume`, every distinct input ID ends with exactly one final row (the last non-duplicate row
/// wins), each run writes one row per job it was handed, a duplicate's row follows its original,
/// nothing takes effect twice, and the exit code agrees with the rows.
@Suite("the promise, as a property")
struct InvariantPropertyTests {
    /// One run over `jobs`, stopped (as by a signal) once the service has seen `stopAfterCalls`
    /// calls; then, unless stopped, `--wait` on what it acted on and on `resumed`.
    private func execute(
        _ scenario: Scenario, jobs: some AsyncSequence<Job, any Error> & Sendable, service: ScriptedWorkflowService,
        report: ReportWriter, stopAfterCalls: Int?, resumed: ResumeFilter? = nil, earlierRun: EarlierRun? = nil
    ) async throws {
        let clock = ManualClock()
        var options = ExecutorOptions(
            action: scenario.action, reason: "property", rate: 1e6, concurrency: 4, maxAttempts: 3,
            retryWindow: .seconds(1))
        options.earlierRun = earlierRun
        let executor = Executor(service: service, options: options, clock: clock)
        let collector = FollowUpCollector(report, now: { clock.now })
        let ended = EndFlag()
        let run = Task {
            defer { ended.set() }
            try await executor.run(jobs, reportingTo: collector)
        }
        if let stopAfterCalls {
            while service.calls.count < stopAfterCalls, !ended.isSet {
                try await Task.sleep(for: .microseconds(200))
            }
            run.cancel()
        }
        try await run.value
        guard scenario.wait, !run.isCancelled else { return }
        // Read once the job set has been consumed: the filter meets them as it goes.
        let earlier = (resumed?.pendingFollowUps ?? []).map { pending in
            ActedRun(
                job: Job(target: WorkflowTarget(workflowID: pending.target.workflowID)), runID: pending.target.runID,
                outcome: pending.outcome, actedAt: clock.now)
        }
        _ = try await FollowUpStage(sharing: executor).waitForClose(
            collector.collected + earlier, timeout: .seconds(5), pollInterval: .seconds(1), reportingTo: report)
    }

    private func rows(_ path: String) throws -> [[String]] {
        let reader = CSVReader()
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        return try (reader.parse(Array(bytes)) + reader.finish()).dropFirst().map { record in
            var fields = record.fields
            fields[0] = ReportFormat.restore(fields[0])
            return fields
        }
    }

    @Test(
        "every distinct ID ends with exactly one final row; nothing lands twice; exit code agrees", arguments: 0..<150)
    func promise(seed: Int) async throws {
        let scenario = Self.scenario(seed: UInt64(seed) &* 7919 &+ 17)
        let service = ScriptedWorkflowService(
            scripts: scenario.scripts, statuses: scenario.statuses, latency: .microseconds(300))
        service.closeRunsOnSuccess()
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("property-\(UUID().uuidString).csv")
            .path
        defer { try? FileManager.default.removeItem(atPath: path) }

        // Run 1, perhaps stopped part way.
        let began = Date()
        let progress = SourceProgress()
        let first = try ReportWriter(path: path)
        try await execute(
            scenario,
            jobs: Jobs(
                .workflowIDs(scenario.input, runID: nil), service: service, maximum: scenario.maximum,
                progress: progress),
            service: service, report: first, stopAfterCalls: scenario.stopAfterCalls)
        first.sync()
        let firstRows = try rows(path)

        // What run 1 was handed: the input up to the --max cap (distinct workflows).
        var handed: [String] = []
        var distinct: [String] = []
        for id in scenario.input {
            if !distinct.contains(id) {
                if let maximum = scenario.maximum, distinct.count >= maximum { break }
                distinct.append(id)
            }
            handed.append(id)
        }
        #expect(progress.overMax == (distinct.count < Set(scenario.input).count), "seed \(seed)")
        // One first-pass row per job handed out (a follow-up's row has a final_status).
        #expect(
            firstRows.filter { $0[9].isEmpty }.map { $0[0] }.sorted() == handed.sorted(),
            "seed \(seed): one row per job handed out")
        var restarted: Set<String> = []
        if let keeps = scenario.crashKeeps {
            // The crash: the rows after some point never reached the report; then someone else
            // starts new runs of some workflows run 1 acted on.
            try crash(path, keepingRows: Int((Double(firstRows.count) * keeps).rounded(.down)))
            for (index, id) in service.landed.keys.sorted().enumerated() where index % scenario.restartOneIn == 0 {
                service.startNewRun(of: id, runID: "new-run")
                restarted.insert(id)
            }
        }
        let keptRows = try rows(path)

        // Run 2: --resume, to the end.
        let journal = try ReportJournal(path: path, action: scenario.action)
        let second = try ReportWriter(path: path, mode: .append(validLength: journal.validLength))
        // As the runner does: settled jobs are skipped; those awaiting a follow-up are followed up.
        let filter = ResumeFilter(journal, followingUp: scenario.wait)
        let resumed = Jobs(.workflowIDs(scenario.input, runID: nil), service: service, maximum: scenario.maximum)
            .compactMap { filter.admit($0) }
        try await execute(
            scenario, jobs: resumed, service: service, report: second, stopAfterCalls: nil,
            resumed: filter,
            earlierRun: EarlierRun(
                began: began, requesters: [Requester(identity: ScriptedWorkflowService.identity, reason: "property")],
                runsFromListing: false))
        second.sync()
        let allRows = try rows(path)
        let secondRows = Array(allRows.dropFirst(keptRows.count))
        #expect(allRows.count == keptRows.count + second.tally.rows, "seed \(seed)")
        // No run started after the sweep began is acted on, whatever rows the crash lost.
        #expect(
            !service.actedOnRuns.values.contains { $0.contains("new-run") },
            "seed \(seed): acted on a run started after the sweep began: \(service.actedOnRuns)")

        for runRows in [keptRows, secondRows] {
            for id in Set(runRows.map { $0[0] }) {
                let indices = runRows.indices.filter { runRows[$0][0] == id }
                // First-pass rows (a follow-up's row has a final_status).
                let originals = indices.filter {
                    runRows[$0][3] != Outcome.duplicate.rawValue && runRows[$0][9].isEmpty
                }
                #expect(originals.count <= 1, "seed \(seed) \(id): one row per job in each run")
                let duplicates = indices.filter { runRows[$0][3] == Outcome.duplicate.rawValue }
                #expect(duplicates.allSatisfy { $0 > (originals.first ?? -1) }, "seed \(seed) \(id): duplicates follow")
            }
        }

        // The final row of each distinct ID handed out is the last non-duplicate one; it is final.
        let finals = Dictionary(
            allRows.filter { $0[3] != Outcome.duplicate.rawValue }.map { ($0[0], $0[3]) }, uniquingKeysWith: { $1 })
        #expect(Set(finals.keys) == Set(distinct), "seed \(seed): every distinct ID accounted for")
        // A workflow started again after the crash, whose row the crash lost: its new run is left
        // alone (run_changed), never reported done.
        for id in restarted where !keptRows.contains(where: { $0[0] == id }) {
            #expect(finals[id] == Outcome.runChanged.rawValue, "seed \(seed) \(id): \(finals[id] ?? "none")")
        }
        let settled: Set<String> = [
            Outcome.done(scenario.action).rawValue, Outcome.alreadyClosed.rawValue, Outcome.notFound.rawValue,
            Outcome.failed.rawValue, Outcome.runChanged.rawValue,
        ]
        #expect(finals.values.allSatisfy(settled.contains), "seed \(seed): \(finals)")
        #expect(service.landed.values.allSatisfy { $0 == 1 }, "seed \(seed): nothing took effect twice")
        #expect(
            service.resentAfterLanding.isEmpty,
            "seed \(seed): sent again after it took effect: \(service.resentAfterLanding)")
        if scenario.wait {
            // Everything acted on was followed up to its close, across the stop and the resume.
            let done = allRows.filter { $0[3] == Outcome.done(scenario.action).rawValue }
            // (A workflow started again after the crash is open again: its new run is not ours.)
            let lastDone = Dictionary(
                done.filter { !restarted.contains($0[0]) }.map { ($0[0], $0[9]) }, uniquingKeysWith: { $1 })
            #expect(
                lastDone.values.allSatisfy { !$0.isEmpty && $0 != "RUNNING" }, "seed \(seed): \(lastDone)")
        }
        // Whatever was acted on is reported done, and only that.
        let done = Set(finals.filter { $0.value == Outcome.done(scenario.action).rawValue }.keys)
        #expect(done.isSubset(of: Set(service.landed.keys)), "seed \(seed)")

        // The exit code of the resumed run agrees with the final rows of the whole report.
        var summary = Summary(
            action: scenario.action, dryRun: false, tally: second.tally, elapsed: .zero, clientCPU: .zero,
            reportPath: path)
        summary.leftAloneEarlier = journal.finalCount(of: .runChanged)
        summary.overMax = progress.overMax ? scenario.maximum : nil
        let expected: Int32 =
            finals.values.contains(Outcome.failed.rawValue)
            ? 1
            : finals.values.contains(Outcome.runChanged.rawValue) || progress.overMax ? 5 : 0
        #expect(summary.exitCode == expected, "seed \(seed): \(finals)")
    }
}
