import ArgumentParser
import Foundation
import SweepCore

/// Which workflows: exactly one of a query, a CSV, or workflow IDs.
struct SourceOptions: ParsableArguments {
    @Option(
        name: .shortAndLong, help: ArgumentHelp("A visibility list query selecting the workflows.", valueName: "query"))
    var query: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "A CSV of workflow IDs ('-' for standard input): a header with workflow_id (and optional run_id), or one headerless column.",
            valueName: "file"))
    var input: String?

    @Option(
        name: [.customShort("w"), .customLong("workflow-id")],
        help: ArgumentHelp("A workflow ID (repeatable).", valueName: "id"))
    var workflowIDs: [String] = []

    @Option(
        name: [.customShort("r"), .customLong("run-id")],
        help: ArgumentHelp("Pin the one --workflow-id to this run.", valueName: "id"))
    var runID: String?

    @Option(
        name: .customLong("older-than"),
        help: ArgumentHelp(
            "Only workflows started more than this long ago (e.g. 24h, 7d): adds StartTime < '<now - D>' to --query.",
            valueName: "duration"))
    var olderThan: DurationArgument?

    func validate() throws {
        let given = [query != nil, input != nil, !workflowIDs.isEmpty].filter { $0 }.count
        guard given == 1 else {
            throw ValidationError(
                given == 0
                    ? "Say which workflows: give one of --query, --input or --workflow-id."
                    : "--query, --input and --workflow-id are exclusive; give exactly one.")
        }
        if runID != nil, workflowIDs.count != 1 {
            throw ValidationError("--run-id pins a single --workflow-id; give exactly one --workflow-id with it.")
        }
        if let query, query.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            throw ValidationError("--query is empty; an empty query would match every workflow in the namespace.")
        }
        if let query, let problem = QueryFilter.unbalanced(query) {
            throw ValidationError(
                "--query \"\(query.escapedForTerminal)\" is refused: \(problem). --older-than narrows a query "
                    + "by wrapping it in parentheses, which this one could escape; check its quotes and parentheses.")
        }
        if workflowIDs.contains(where: { $0.isEmpty }) {
            throw ValidationError("--workflow-id is empty.")
        }
        if let olderThan {
            guard query != nil else {
                throw ValidationError(
                    "--older-than narrows a --query; give one (e.g. --query \"WorkflowType='OrderSaga'\").")
            }
            try Limits.olderThan.check(olderThan.seconds, flag: "--older-than")
        }
        if let runID, UUID(uuidString: runID) == nil {
            throw ValidationError("--run-id '\(runID.escapedForTerminal)' is not a run ID (a UUID).")
        }
    }

    var source: JobSource {
        if let query {
            guard let olderThan else { return .query(query) }
            return .query(QueryFilter.startedBefore(olderThan.duration, in: query))
        }
        if let input { return .csvFile(path: input) }
        return .workflowIDs(workflowIDs, runID: runID)
    }
}
