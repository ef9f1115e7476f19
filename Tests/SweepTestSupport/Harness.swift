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
    package func waitForRows(_ path: String, atLeast rows: Int, timeout: Duration = .seconds(60)) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while clock.now < deadline {
            let text = (try? TextFile.read(path)) ?? ""
            if text.utf8.reduce(0, { $1 == 0x0A ? $0 + 1 : $0 }) - 1 >= rows { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw TestEnvironment.Missing(description: "\(path) did not reach \(rows) rows")
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
                        runID: try await client.startWorkflow(id: id, type: type, taskQueue: worker.taskQueue)))
            }
            return started
        }
    }

    /// Waits until `check` holds for the description of each workflow's current run.
    package func waitUntil(
        _ targets: [WorkflowTarget], timeout: Duration = .seconds(30),
        _ check: @escaping @Sendable (ExecutionDescription) -> Bool
    ) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while clock.now < deadline {
            let all = try await withClient { client in
                try await client.describeAll(targets.map { WorkflowTarget(workflowID: $0.workflowID) })
            }
            if all.count == targets.count, all.values.allSatisfy(check) { return }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw TestEnvironment.Missing(description: "condition not met within \(timeout)")
    }

    /// Starts one workflow per ID (type `type`) and waits until visibility lists them.
    package func startWorkflows(_ ids: [String], type: String) async throws -> [WorkflowTarget] {
        try await withClient { client in
            var started: [WorkflowTarget] = []
            for id in ids {
                started.append(
                    WorkflowTarget(
                        workflowID: id,
                        runID: try await client.startWorkflow(id: id, type: type, taskQueue: "sweep-test")))
            }
            try await client.waitForCount("WorkflowType='\(type)'", toBe: ids.count)
            return started
        }
    }
}
