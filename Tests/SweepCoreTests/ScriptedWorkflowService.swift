import Foundation
import SweepCore
import SweepGRPC
import Synchronization

/// A ``WorkflowService`` that answers from a script, for faults a real server cannot be made to
/// produce on demand (a given number of UNAVAILABLEs, then success), and that measures how many
/// calls were in flight at once.
final class ScriptedWorkflowService: WorkflowService {
    private struct State {
        var scripts: [String: [RPCError?]] = [:]
        var statuses: [String: WorkflowStatus] = [:]
        var calls: [String] = []
        var inFlight = 0
        var maxInFlight = 0
    }

    private let state = Mutex(State())
    private let latency: Duration

    /// - Parameters:
    ///   - scripts: per workflow ID, the answers to successive cancel/terminate calls (`nil` = OK);
    ///     once exhausted, calls answer OK.
    ///   - statuses: what Describe says per workflow ID (default RUNNING; absent IDs answer NOT_FOUND
    ///     only when listed as `.unspecified`).
    init(scripts: [String: [RPCError?]] = [:], statuses: [String: WorkflowStatus] = [:], latency: Duration = .milliseconds(2)) {
        state.withLock {
            $0.scripts = scripts
            $0.statuses = statuses
        }
        self.latency = latency
    }

    var calls: [String] { state.withLock { $0.calls } }
    var maxInFlight: Int { state.withLock { $0.maxInFlight } }

    private func answer(_ call: String, for workflowID: String) async throws(RPCError) {
        let next: RPCError? = state.withLock { state in
            state.calls.append("\(call) \(workflowID)")
            state.inFlight += 1
            state.maxInFlight = max(state.maxInFlight, state.inFlight)
            guard var script = state.scripts[workflowID], !script.isEmpty else { return nil }
            let first = script.removeFirst()
            state.scripts[workflowID] = script
            return first
        }
        try? await Task.sleep(for: latency)
        state.withLock { $0.inFlight -= 1 }
        if let next { throw next }
    }

    func count(query: String) async throws(RPCError) -> Int { 0 }

    func list(query: String, pageSize: Int, pageToken: [UInt8]) async throws(RPCError) -> ExecutionPage {
        ExecutionPage(executions: [], nextPageToken: [])
    }

    func describe(_ target: WorkflowTarget) async throws(RPCError) -> ExecutionDescription {
        let status = state.withLock { state in
            state.calls.append("describe \(target.workflowID)")
            return state.statuses[target.workflowID] ?? .running
        }
        if status == .unspecified {
            throw RPCError(code: .notFound, message: "workflow not found for ID: \(target.workflowID)")
        }
        return ExecutionDescription(
            workflowID: target.workflowID, runID: target.runID ?? "run-of-\(target.workflowID)", workflowType: "T",
            status: status, closeTime: status == .running ? nil : Date()
        )
    }

    func requestCancel(_ target: WorkflowTarget, reason: String, requestID: String) async throws(RPCError) {
        try await answer("cancel", for: target.workflowID)
    }

    func terminate(_ target: WorkflowTarget, reason: String) async throws(RPCError) {
        try await answer("terminate", for: target.workflowID)
    }
}
