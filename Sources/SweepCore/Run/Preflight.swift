import Foundation
import SweepGRPC

/// What a run knows once everything before the first action has passed: the client, the planner,
/// the surveyed job set (its total, for a progress display) and when the run started. Made by
/// ``prepare(_:console:_:)``, which also spools an input that can be read once, checks the server,
/// applies the guards and asks for confirmation; every failure there is thrown before anything
/// is sent.
struct Preflight: Sendable {
    /// The options, with a spooled input's source pointing at its private copy.
    var options: SweepOptions
    let client: WorkflowServiceClient
    let planner: Planner
    let survey: Survey
    let startDate: Date

    /// How many workflows the run expects, for the progress display: the survey's count, or for
    /// a sharded query (counted whole) this shard's expected share.
    var expectedCount: Int {
        guard let shard = options.shard, case .query = options.source else { return survey.count }
        return (survey.count + shard.count - 1) / shard.count
    }

    /// Prepares a run, then runs `body` with the client open, and times it from after the guards.
    /// - Throws: ``SweepError`` from the preflight (nothing sent) or from `body`.
    static func prepare(
        _ options: SweepOptions,
        console: some Console,
        _ body: (Preflight) async throws(SweepError) -> Summary
    ) async throws(SweepError) -> Summary {
        var options = options
        let startDate = Date()
        let clock = ContinuousClock()

        try Guards.refuseOutputAsInput(options.resumeFrom ?? options.reportPath, options.source)
        // The input as the operator named it, for messages: never a private copy's path.
        let label = InputSpool.label(options.source.label)
        // Standard input, a pipe or a FIFO can be read once: copy it aside, validate it in full,
        // then stream it. A regular file is read twice in place.
        var spooled: (copy: String, original: String)?
        switch options.source {
        case .csvFile(let path) where InputSpool.needsSpooling(path):
            spooled = (try InputSpool.spool(path), path)
            options.source = .csvFile(path: spooled?.copy ?? path)
        case .planFile(let path) where InputSpool.needsSpooling(path):
            spooled = (try InputSpool.spool(path), path)
            options.source = .planFile(path: spooled?.copy ?? path)
        default:
            break
        }
        defer { if let spooled { try? FileManager.default.removeItem(atPath: spooled.copy) } }

        do {
            return try await withWorkflowServiceClient(options.connection) { client in
                let pageSize = Self.listingPageSize(options)
                var planner = Planner(service: client, pageSize: pageSize, retry: options.retry.reading)
                planner.shard = options.shard
                var survey: Survey?
                if case .query = options.source {
                } else {
                    survey = try await planner.survey(options.source)
                }
                try await Guards.checkServer(client, planner: planner)
                if case .query = options.source {
                    survey = try await planner.survey(options.source, maximum: options.maxJobs)
                }
                let surveyed = survey ?? Survey(count: 0, preview: [])
                try Guards.guardSize(options, survey: surveyed, console: console)
                if surveyed.count == 0 {
                    console.note("\(label): nothing to \(options.verb)")
                }
                if surveyed.duplicates > 0 {
                    console.note(
                        "\(label): \(surveyed.duplicates) duplicate IDs will be reported duplicate and sent once"
                    )
                }
                // Time and CPU from here: the summary's rate is the sweep's, not the operator's typing.
                let start = clock.now
                let cpuAtStart = ProcessCPU.now()
                let preflight = Preflight(
                    options: options, client: client, planner: planner, survey: surveyed, startDate: startDate)
                var summary = try await body(preflight)
                summary.elapsed = start.duration(to: clock.now)
                summary.clientCPU = ProcessCPU.now() - cpuAtStart
                summary.startedAt = startDate
                console.note(summary.text)
                return summary
            }
        } catch let error as SweepError {
            guard let spooled else { throw error }
            // Name the input the operator gave, not the private copy.
            var named = error
            named.message = error.message.replacingOccurrences(
                of: spooled.copy, with: InputSpool.label(spooled.original))
            throw named
        } catch {
            throw SweepError(.server, "\(error)")
        }
    }

    /// How many runs a listing page holds: for a cancel by the client engine, a fresh batch of
    /// this shard's share (`SweepOptions.freshBatchSize(share:)`: at --rps 50 with 4 shards, 100);
    /// anything else reads pages of 1,000.
    static func listingPageSize(_ options: SweepOptions) -> Int {
        guard options.actsOnWhatItLists else { return 1000 }
        return options.freshBatchSize(share: options.shard?.count ?? 1)
    }
}
