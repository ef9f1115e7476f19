import Foundation
package import SweepCore
import SweepGRPC

/// Starts sample workflows (with no worker, so they stay Running) for the demo, tests and benchmarks.
package struct Seeder: Sendable {
    package let client: WorkflowServiceClient

    package init(client: WorkflowServiceClient) {
        self.client = client
    }

    /// Starts `count` workflows named `<idPrefix>-1` ... `<idPrefix>-<count>`.
    /// - Returns: each started workflow with its run ID, in ID order.
    /// - Throws: the first start that fails after retries while the server is busy.
    package func start(
        count: Int,
        type: String,
        idPrefix: String,
        taskQueue: String = "sweep-test",
        concurrency: Int = 8
    ) async throws -> [WorkflowTarget] {
        try await withThrowingTaskGroup(of: WorkflowTarget.self) { group in
            var next = 1
            var started: [WorkflowTarget] = []
            started.reserveCapacity(count)
            while next <= count || !group.isEmpty {
                while next <= count, next - started.count <= concurrency {
                    let id = "\(idPrefix)-\(next)"
                    group.addTask {
                        WorkflowTarget(
                            workflowID: id,
                            runID: try await client.startPatiently(id: id, type: type, taskQueue: taskQueue))
                    }
                    next += 1
                }
                if let target = try await group.next() { started.append(target) }
            }
            return started.sorted { $0.workflowID.localizedStandardCompare($1.workflowID) == .orderedAscending }
        }
    }
}
