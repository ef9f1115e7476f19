import Foundation
import SweepCore
import SweepGRPC
import Synchronization

/// What the fake's histories record, and new runs started behind a sweep's back.
extension ScriptedWorkflowService {
    /// The identity the fake's histories record for every request.
    static let identity = "temporal-sweep/test tester@fake"

    func recordedRequest(_ action: Action, on target: WorkflowTarget) async throws(RPCError) -> RecordedRequest? {
        state.withLock { state in
            state.calls.append("history \(target.workflowID)")
            let run = target.runID ?? state.currentRuns[target.workflowID] ?? "run-of-\(target.workflowID)"
            return state.requests["\(action.rawValue) \(target.workflowID)@\(run)"]
        }
    }

    var actedOnRuns: [String: [String]] { state.withLock { $0.actedOnRuns } }

    /// The requests histories record so far were made `interval` earlier than they were.
    func backdateRequests(by interval: TimeInterval) {
        state.withLock { state in
            for (key, request) in state.requests { state.requests[key]?.time = request.time.map { $0 - interval } }
        }
    }

    /// A new run of `workflowID` starts now (as an upstream system restarting it would), open.
    func startNewRun(of workflowID: String, runID: String) {
        state.withLock { state in
            state.currentRuns[workflowID] = runID
            state.statuses[workflowID] = .running
            state.startTimes[workflowID] = Date()
            state.cancelRequested.remove(workflowID)
            state.landedCleanly.remove(workflowID)
        }
    }
}
