package import Foundation
package import SweepCore

/// What every integration test needs: the shared dev server, the sweep binary, seeding, files.
package struct Harness: Sendable {
    package let sweep: SweepProcess
    package let address: String

    package init() throws {
        sweep = try SweepProcess()
        address = try TestEnvironment.temporalAddress()
    }

    package func withClient<R>(address: String? = nil, _ body: (WorkflowServiceClient) async throws -> R) async throws
        -> R
    {
        var options = try TestEnvironment.connection()
        if let address { options.address = address }
        return try await withWorkflowServiceClient(options, body)
    }

    /// Starts `count` workflows of `type` (IDs `<type>-1`...) and waits until visibility lists them.
    package func seed(_ count: Int, type: String, address: String? = nil) async throws -> [WorkflowTarget] {
        try await withClient(address: address) { client in
            let started = try await Seeder(client: client).start(
                count: count, type: type, idPrefix: type, concurrency: 16)
            try await client.waitForCount("WorkflowType='\(type)' AND ExecutionStatus='Running'", toBe: count)
            return started
        }
    }

    /// Waits until every workflow started so far is older than the clock skew sweep allows for
    /// (2 s): a resumed run acts on a workflow its report has no row for only when the run it
    /// picks started that long before the sweep began. For a test that sweeps what it just
    /// seeded, then resumes after a crash.
    package func waitPastClockSkew() async throws {
        let seeded = Date()
        try await Patience.waitUntil("2.5 s past \(seeded)", every: .milliseconds(100)) {
            (Date() > seeded + 2.5, "it is \(Date())")
        }
    }

    /// Writes `lines` (LF-terminated) to a fresh temporary file.
    package func writeCSV(_ lines: [String]) throws -> String {
        try writeFile(Data((lines.joined(separator: "\n") + "\n").utf8))
    }

    /// Writes `bytes` to a fresh temporary file.
    package func writeFile(_ bytes: Data, name: String = "ids.csv") throws -> String {
        let path = TestEnvironment.temporaryPath(name)
        try bytes.write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Waits until the report at `path` has at least `rows` rows (besides the header).
    package func waitForRows(_ path: String, atLeast rows: Int) async throws {
        try await Patience.waitUntil("\(rows) rows in \(path)", every: .milliseconds(20)) {
            let text = (try? TextFile.read(path)) ?? ""
            // Whole lines, less the header and the rows that record a run (an empty workflow ID).
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
            let count = max(0, lines.count(where: { !$0.hasPrefix(",") }) - 1)
            return (count >= rows, "\(count) rows")
        }
    }

    /// How many of `targets` are in each status now.
    package func statuses(of targets: [WorkflowTarget], address: String? = nil) async throws -> [WorkflowStatus: Int] {
        try await withClient(address: address) { client in
            try await client.describeAll(targets).values.reduce(into: [:]) { $0[$1.status, default: 0] += 1 }
        }
    }

    /// Starts workflows of `type` on the worker's task queue, named `<prefix>-1`...
    package func start(_ count: Int, type: String, prefix: String, on worker: SampleWorker) async throws
        -> [WorkflowTarget]
    {
        try await withClient { client in
            var started: [WorkflowTarget] = []
            for index in 1...count {
                let id = "\(prefix)-\(index)"
                started.append(
                    WorkflowTarget(
                        workflowID: id,
                        runID: try await client.startPatiently(id: id, type: type, taskQueue: worker.taskQueue)))
            }
            return started
        }
    }

    /// Waits until `check` holds for the description of each workflow's current run.
    /// - Parameter event: what `check` means, for the failure message.
    package func waitUntil(
        _ targets: [WorkflowTarget], _ event: String = "the condition",
        _ check: @escaping @Sendable (ExecutionDescription) -> Bool
    ) async throws {
        try await Patience.waitUntil("\(event) on \(targets.count) workflows", every: .milliseconds(200)) {
            let all = try await withClient { client in
                try await client.describeAll(targets.map { WorkflowTarget(workflowID: $0.workflowID) })
            }
            let unmet = all.values.filter { !check($0) }.sorted { $0.workflowID < $1.workflowID }
            let seen =
                "\(all.count) described, \(unmet.count) not yet: "
                + unmet.prefix(3).map { "\($0.workflowID) run \($0.runID) \($0.status)" }.joined(separator: ", ")
            return (all.count == targets.count && unmet.isEmpty, seen)
        }
    }

    /// Starts one workflow per ID (type `type`) and waits until visibility lists them.
    package func startWorkflows(_ ids: [String], type: String) async throws -> [WorkflowTarget] {
        try await withClient { client in
            var started: [WorkflowTarget] = []
            for id in ids {
                started.append(
                    WorkflowTarget(
                        workflowID: id,
                        runID: try await client.startPatiently(id: id, type: type)))
            }
            try await client.waitForCount("WorkflowType='\(type)'", toBe: ids.count)
            return started
        }
    }
}
