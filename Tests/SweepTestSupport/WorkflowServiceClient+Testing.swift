import Foundation
package import SweepCore
import SweepGRPC
package import TemporalAPI

extension WorkflowServiceClient {
    /// Waits until visibility counts `expected` executions for `query` (it lags writes by tens of ms).
    /// - Throws: when the count is still different after the tests' shared ceiling (``Patience``).
    package func waitForCount(_ query: String, toBe expected: Int) async throws {
        try await Patience.waitUntil("visibility to count \(expected) for \(query)") {
            let last = (try? await count(query: query)) ?? -1
            return (last == expected, "a count of \(last)")
        }
    }

    /// Describes every target's current run, 16 at a time, each tried again while the server is busy.
    package func describeAll(_ targets: [WorkflowTarget]) async throws -> [String: ExecutionDescription] {
        try await withThrowingTaskGroup(of: ExecutionDescription.self) { group in
            var results: [String: ExecutionDescription] = [:]
            var pending = targets[...]
            while let target = pending.popFirst() {
                if results.count + 16 <= targets.count - pending.count, let done = try await group.next() {
                    results[done.workflowID] = done
                }
                group.addTask {
                    try await Patience.retrying { _ async throws(RPCError) in
                        try await self.describe(WorkflowTarget(workflowID: target.workflowID))
                    }
                }
            }
            for try await done in group { results[done.workflowID] = done }
            return results
        }
    }

    /// The history events of one run, of the given type (read again while the server is busy).
    package func events(
        of type: Temporal_Api_Enums_V1_EventType,
        in target: WorkflowTarget
    ) async throws -> [Temporal_Api_History_V1_HistoryEvent] {
        try await Patience.retrying { _ async throws(RPCError) in
            try await history(target)
        }.filter { $0.eventType == type }
    }
}
