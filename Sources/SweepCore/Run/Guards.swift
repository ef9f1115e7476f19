import Foundation
import SweepGRPC

/// What refuses a run before anything is sent (exit 2 or 3): an unreachable server or unknown
/// namespace, a job set over `--max`, a query nobody confirmed, a report that is the input.
enum Guards {
    /// Checks that the server answers and that the namespace exists, before anything is sent.
    static func checkServer(_ client: WorkflowServiceClient, planner: Planner) async throws(SweepError) {
        do {
            _ = try await client.systemInfo()
        } catch {
            throw ConnectionFailure.error(error, options: client.options)
        }
        do {
            // One run listed, not a count: a count of tens of millions can time out.
            _ = try await planner.retrying { () async throws(RPCError) in
                try await client.list(query: "", pageSize: 1, pageToken: [])
            }
        } catch {
            throw Planner.planningError(error, what: "namespace \(client.options.namespace)")
        }
    }

    /// The guards: `--max`; for a query, confirmation (and, above 1,000 matches without `--max`,
    /// the namespace typed back); off a terminal, a query needs `--yes` (and `--max` when large).
    static func guardSize(_ options: SweepOptions, survey: Survey, console: some Console) throws(SweepError) {
        let verb = options.verb
        if let max = options.maxJobs, survey.count > max {
            let count = (survey.countIsListed ? "at least " : "") + String(survey.count)
            throw SweepError(.usage, "the job set has \(count) workflows, over --max \(max); nothing was sent")
        }
        guard case .query = options.source, !options.dryRun else { return }
        let namespace = options.connection.namespace
        let large = survey.count > SweepOptions.largeQueryThreshold && options.maxJobs == nil
        if options.assumeYes {
            guard !large else {
                throw SweepError(
                    .usage,
                    "the query matches \(survey.count) workflows (over \(SweepOptions.largeQueryThreshold)); add --max \(survey.count) to confirm the size, or narrow the query; nothing was sent"
                )
            }
            return
        }
        guard console.isInteractive else {
            throw SweepError(
                .usage,
                "refusing to \(verb) \(survey.count) workflows matched by a query without --yes\(large ? " and --max" : "") (no terminal to confirm on); preview with --dry-run, then add --yes"
            )
        }
        console.say(
            "The query matches \(survey.count) workflows in namespace \(namespace)"
                + (options.shard.map {
                    "; shard \($0) takes those whose ID falls to it, about \((survey.count + $0.count - 1) / $0.count)"
                } ?? "") + ". First \(survey.preview.count)\(options.shard == nil ? "" : " of this shard's"):")
        for job in survey.preview {
            // Escaped: a control character in an ID must not rewrite what the operator confirms.
            let fields = [job.target.workflowID, job.target.runID ?? "", job.workflowType ?? ""]
            console.say("  " + fields.map(\.escapedForTerminal).joined(separator: "  "))
        }
        if large {
            let answer = console.ask(
                "That is more than \(SweepOptions.largeQueryThreshold). Type the namespace (\(namespace)) to \(verb) them: "
            )
            guard answer?.trimmingSpaces == namespace else {
                throw SweepError(.usage, "the namespace was not typed back; nothing was sent")
            }
        } else {
            let answer = console.ask("\(verb.capitalized) them? Type 'yes' to continue: ")
            guard answer?.trimmingSpaces.lowercased() == "yes" else {
                throw SweepError(.usage, "not confirmed; nothing was sent")
            }
        }
    }

    /// The report (or plan) is written while the input is read: one file as both would be
    /// emptied (`--overwrite`) or would grow as it is read (`--resume`).
    static func refuseOutputAsInput(_ output: String?, _ source: JobSource) throws(SweepError) {
        guard let output, output != "-" else { return }
        let input: String
        switch source {
        case .csvFile(let path), .planFile(let path): input = path
        case .query, .workflowIDs: return
        }
        var inputStatus = stat()
        var outputStatus = stat()
        guard stat(input, &inputStatus) == 0, stat(output, &outputStatus) == 0,
            inputStatus.st_dev == outputStatus.st_dev, inputStatus.st_ino == outputStatus.st_ino
        else { return }
        throw SweepError(
            .usage,
            "\(input) is both the input and the output; write the report or plan elsewhere (to act on a report's workflows, copy it first)"
        )
    }
}
