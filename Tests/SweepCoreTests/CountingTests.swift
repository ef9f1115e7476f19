import Foundation
import SweepCSV
import SweepCore
import SweepGRPC
import Synchronization
import Testing

@Suite("Counting workflows, not rows")
struct CountingTests {
    @Test(
        "--max counts distinct workflows: a, a, b with --max 2 hands out all three; a, b, c stops after b and says so")
    func maxCountsDistinct() async throws {
        let service = ScriptedWorkflowService()
        let progress = SourceProgress()
        var seen: [String] = []
        for try await job in Jobs(
            .workflowIDs(["a", "a", "b"], runID: nil), service: service, maximum: 2, progress: progress)
        {
            seen.append(job.target.workflowID)
        }
        #expect(seen == ["a", "a", "b"])
        #expect(!progress.overMax)
        seen = []
        for try await job in Jobs(
            .workflowIDs(["a", "b", "c"], runID: nil), service: service, maximum: 2, progress: progress)
        {
            seen.append(job.target.workflowID)
        }
        #expect(seen == ["a", "b"])
        #expect(progress.overMax)
    }

    @Test(
        "a survey counts past its ten-job preview: distinct and duplicate lines of a CSV and an ID list, and a shard's share"
    )
    func surveyPastPreview() async throws {
        let service = ScriptedWorkflowService()
        let planner = Planner(service: service)
        // w1...w10 fill the preview; the repeats and new IDs after it are counted without it.
        let ids = (1...10).map { "w\($0)" } + ["w3", "w11", "w11", "w12", "w1"]
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("survey-\(UUID()).csv").path
        try Data((["workflow_id"] + ids).joined(separator: "\n").utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        for source in [JobSource.csvFile(path: path), .workflowIDs(ids, runID: nil)] {
            let survey = try await planner.survey(source)
            #expect(survey.count == 12, "\(source.label)")
            #expect(survey.duplicates == 3, "\(source.label)")
            #expect(survey.preview.map(\.target.workflowID) == Array(ids.prefix(10)))
            // The run's pass, with the survey's fingerprints, marks the same lines.
            var marks: [Bool] = []
            for try await job in planner.jobs(source, survey: survey) { marks.append(job.isDuplicate) }
            #expect(marks == ids.indices.map { ids[..<$0].contains(ids[$0]) }, "\(source.label)")
        }
        // A shard counts its own share, and the repeats within it.
        var sharded = planner
        sharded.shard = try Shard(index: 1, count: 2)
        let mine = ids.filter { Shard.index(of: $0, count: 2) == 1 }
        let survey = try await sharded.survey(.csvFile(path: path))
        #expect(survey.count == Set(mine).count)
        #expect(survey.duplicates == mine.count - Set(mine).count)
    }

    @Test("a follow-up row replaces its workflow's outcome in the tally; duplicates are rows, not workflows")
    func tallyCountsWorkflows() {
        var tally = Tally()
        let job = Job(target: WorkflowTarget(workflowID: "w"))
        tally.add(
            JobResult(
                job: job, runID: "r", action: .cancel, outcome: .cancelRequested, attempts: 1, latency: .zero,
                callsSent: 2))
        var followUp = JobResult(
            job: job, runID: "r", action: .cancel, outcome: .escalatedTerminated, attempts: 1, latency: .zero,
            callsSent: 2)
        followUp.supersedes = .cancelRequested
        tally.add(followUp)
        tally.add(
            JobResult(
                job: job, runID: nil, action: .cancel, outcome: .duplicate, attempts: 0, latency: .zero, callsSent: 0))
        #expect(tally.workflows == 1)
        #expect(tally.rows == 3)
        #expect(tally[.cancelRequested] == 0)
        #expect(tally[.escalatedTerminated] == 1)
    }

    @Test(
        "the exit code tells each kind of end apart",
        arguments: [
            (Outcome.terminated, Int32(0)), (.runChanged, 5), (.failed, 1), (.alreadyClosed, 0), (.notFound, 0),
        ])
    func exitCodes(outcome: Outcome, code: Int32) {
        var tally = Tally()
        tally.add(
            JobResult(
                job: Job(target: WorkflowTarget(workflowID: "w")), runID: nil, action: .terminate, outcome: outcome,
                attempts: 1, latency: .zero, callsSent: 1))
        let summary = Summary(
            action: .terminate, dryRun: false, tally: tally, elapsed: .zero, clientCPU: .zero, reportPath: "r.csv")
        #expect(summary.exitCode == code)
        var lost = summary
        lost.failure = SweepError(.output, "cannot write the report")
        #expect(lost.exitCode == 6)
        var capped = summary
        capped.overMax = 10
        #expect(capped.exitCode == (code == 0 ? 5 : code))
        var earlier = summary
        earlier.leftAloneEarlier = 1
        #expect(earlier.exitCode == (code == 0 ? 5 : code))
        // A planning call the server refused ends the run before anything is sent (exit 2); a
        // listing that fails mid-run ends it early after calls were sent (exit 1).
        #expect(SweepError(.server, "refused").code.exitCode == 2)
        var listing = summary
        listing.failure = SweepError(.server, "listing the query failed after 10 workflows")
        #expect(listing.exitCode == 1)
    }
}
