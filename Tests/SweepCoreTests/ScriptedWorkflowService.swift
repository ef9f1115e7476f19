import Foundation
import SweepCore
import SweepGRPC
import Synchronization

/// A ``WorkflowService`` that answers from a script, for faults a real server cannot be made to
/// produce on demand (a given number of UNAVAILABLEs, then success), and that measures how many
/// calls were in flight at once.
final class ScriptedWorkflowService: WorkflowService {
    struct State {
        var scripts: [String: [RPCError?]] = [:]
        var statuses: [String: WorkflowStatus] = [:]
        var currentRuns: [String: String] = [:]
        var startTimes: [String: Date] = [:]
        var closeTimes: [String: Date] = [:]
        var describeScripts: [String: [WorkflowStatus]] = [:]
        var cancelCallerOn: Set<String> = []
        var calls: [String] = []
        var requestIDs: [String] = []
        var landed: [String: Int] = [:]
        var landedCleanly: Set<String> = []
        var cancelRequested: Set<String> = []
        var resentAfterLanding: [String] = []
        /// What each run's history records, by "action workflow@run".
        var requests: [String: RecordedRequest] = [:]
        /// The runs an action took effect on, per workflow ID.
        var actedOnRuns: [String: [String]] = [:]
        var closesOnSuccess = false
        /// Calls wait here, past their latency, until ``release()``.
        var held = false
        var inFlight = 0
        var maxInFlight = 0
    }

    let state = Mutex(State())
    private let latency: Duration

    /// - Parameters:
    ///   - scripts: per workflow ID, the answers to successive cancel/terminate calls (`nil` = OK);
    ///     once exhausted, calls answer OK.
    ///   - statuses: what Describe says per workflow ID (default RUNNING; absent IDs answer NOT_FOUND
    ///     only when listed as `.unspecified`).
    /// - Parameter currentRuns: per workflow ID, its current run; a pinned other run is CONTINUED_AS_NEW.
    /// - Parameter startTimes: when each workflow's current run started (default: an hour ago).
    /// - Parameter closeTimes: when each closed run closed (default: a day ago, long before any call).
    /// - Parameter describeScripts: per workflow ID, the statuses successive Describes of its current
    ///   run answer (then `statuses`): a run that closes while it is watched.
    /// - Parameter cancelCallerOn: calls ("terminate w1", "describe w1") that cancel the task that
    ///   makes them, as a signal would mid-call.
    init(
        scripts: [String: [RPCError?]] = [:],
        statuses: [String: WorkflowStatus] = [:],
        currentRuns: [String: String] = [:],
        startTimes: [String: Date] = [:],
        closeTimes: [String: Date] = [:],
        describeScripts: [String: [WorkflowStatus]] = [:],
        cancelCallerOn: Set<String> = [],
        latency: Duration = .milliseconds(2)
    ) {
        state.withLock {
            $0.scripts = scripts
            $0.statuses = statuses
            $0.currentRuns = currentRuns
            $0.startTimes = startTimes
            $0.closeTimes = closeTimes
            $0.describeScripts = describeScripts
            $0.cancelCallerOn = cancelCallerOn
        }
        self.latency = latency
    }

    /// Cancels the calling task if `call` is one that should (once).
    private func cancelCallerIfScripted(_ call: String) {
        let cancel = state.withLock { $0.cancelCallerOn.remove(call) != nil }
        if cancel { withUnsafeCurrentTask { $0?.cancel() } }
    }

    var calls: [String] { state.withLock { $0.calls } }

    /// From now on every call waits, once its latency has passed, until ``release()``: a call
    /// known to be in flight while the test does something else.
    func hold() {
        state.withLock { $0.held = true }
    }

    /// Lets the calls held by ``hold()`` answer.
    func release() {
        state.withLock { $0.held = false }
    }
    /// How many cancel or terminate calls succeeded (took effect) per workflow ID.
    var landed: [String: Int] { state.withLock { $0.landed } }

    /// From now on a successful terminate closes the run (TERMINATED), and a successful cancel
    /// too (CANCELED, as if the workflow honoured it): a later Describe sees it closed.
    func closeRunsOnSuccess() {
        state.withLock { $0.closesOnSuccess = true }
    }

    /// The request IDs of the cancels sent.
    var requestIDs: [String] { state.withLock { $0.requestIDs } }
    var maxInFlight: Int { state.withLock { $0.maxInFlight } }

    private func answer(_ call: String, for workflowID: String, reason: String = "") async throws(RPCError) {
        cancelCallerIfScripted("\(call) \(workflowID)")
        let isAction = call == "cancel" || call == "terminate" || call.contains("-chain(")
        let next: RPCError? = state.withLock { state in
            state.calls.append("\(call) \(workflowID)")
            state.inFlight += 1
            state.maxInFlight = max(state.maxInFlight, state.inFlight)
            if isAction, state.landedCleanly.contains(workflowID) {
                // Sent again after it took effect and said so: not a retry of an ambiguous failure.
                state.resentAfterLanding.append(workflowID)
            }
            if var script = state.scripts[workflowID], !script.isEmpty {
                let first = script.removeFirst()
                state.scripts[workflowID] = script
                if let first { return first }
            }
            // Like the server: an unknown workflow, or one whose current run has closed (a
            // terminate is refused; a cancel answers OK and does nothing).
            switch state.statuses[workflowID] ?? .running {
            case .unspecified: return RPCError(code: .notFound, message: "workflow not found for ID: \(workflowID)")
            case let status where status.isClosed && call != "describe" && !call.hasPrefix("cancel"):
                return RPCError(code: .notFound, message: "workflow execution already completed")
            default: return nil
            }
        }
        try? await Task.sleep(for: latency)
        while state.withLock({ $0.held }) { try? await Task.sleep(for: .milliseconds(1)) }
        state.withLock { state in
            state.inFlight -= 1
            guard isAction else { return }
            // A scripted "landed:" failure took effect on the server before the connection failed.
            let lands = next == nil || next?.message.hasPrefix(Self.landedPrefix) == true
            // A closed run records nothing: not a terminate, not a cancel request.
            let closed = (state.statuses[workflowID] ?? .running).isClosed
            guard lands, !closed else { return }
            if next == nil { state.landedCleanly.insert(workflowID) }
            if call.hasPrefix("cancel") {
                // The server records a repeated cancel (same request ID) once.
                guard state.cancelRequested.insert(workflowID).inserted else { return }
            }
            state.landed[workflowID, default: 0] += 1
            let run = state.currentRuns[workflowID] ?? "run-of-\(workflowID)"
            state.actedOnRuns[workflowID, default: []].append(run)
            let action = call.hasPrefix("cancel") ? "cancel" : "terminate"
            state.requests["\(action) \(workflowID)@\(run)"] = RecordedRequest(
                identity: Self.identity, reason: reason, time: Date())
            if state.closesOnSuccess {
                state.statuses[workflowID] = call.hasPrefix("cancel") ? .canceled : .terminated
                state.closeTimes[workflowID] = Date()
            }
        }
        if let next { throw next }
    }

    /// A scripted error whose message starts with this took effect before it failed (an ambiguous
    /// failure that landed).
    static let landedPrefix = "landed:"

    /// Workflows an action was sent to again after it had taken effect, other than as the retry of
    /// an ambiguous failure.
    var resentAfterLanding: [String] { state.withLock { $0.resentAfterLanding } }

    func count(query: String) async throws(RPCError) -> Int { 0 }

    func list(query: String, pageSize: Int, pageToken: [UInt8]) async throws(RPCError) -> ExecutionPage {
        ExecutionPage(executions: [], nextPageToken: [])
    }

    func describe(_ target: WorkflowTarget) async throws(RPCError) -> ExecutionDescription {
        cancelCallerIfScripted("describe \(target.workflowID)")
        let (status, current, started, closed, cancelRequested) = state.withLock { state in
            state.calls.append("describe \(target.workflowID)\(target.runID.map { "@\($0)" } ?? "")")
            var status = state.statuses[target.workflowID] ?? .running
            if var script = state.describeScripts[target.workflowID], !script.isEmpty {
                status = script.removeFirst()
                state.describeScripts[target.workflowID] = script
            }
            return (
                status,
                state.currentRuns[target.workflowID] ?? "run-of-\(target.workflowID)",
                state.startTimes[target.workflowID] ?? Date(timeIntervalSinceNow: -3600),
                state.closeTimes[target.workflowID] ?? Date(timeIntervalSinceNow: -86400),
                state.cancelRequested.contains(target.workflowID)
            )
        }
        if status == .unspecified {
            throw RPCError(code: .notFound, message: "workflow not found for ID: \(target.workflowID)")
        }
        let runID = target.runID ?? current
        let runStatus = runID == current ? status : .continuedAsNew
        return ExecutionDescription(
            workflowID: target.workflowID, runID: runID, workflowType: "T",
            status: runStatus, startTime: started, closeTime: runStatus == .running ? nil : closed,
            firstRunID: "first-of-\(target.workflowID)", cancelRequested: cancelRequested && runID == current
        )
    }

    func requestCancel(_ target: WorkflowTarget, chain: String?, reason: String, requestID: String)
        async throws(RPCError)
    {
        state.withLock { $0.requestIDs.append(requestID) }
        try await answer("cancel", for: target, chain: chain, reason: reason)
    }

    func terminate(_ target: WorkflowTarget, chain: String?, reason: String) async throws(RPCError) {
        try await answer("terminate", for: target, chain: chain, reason: reason)
    }

    /// Like the server: terminating a pinned run that is not the current one answers "already
    /// completed"; cancelling one answers OK and records nothing.
    private func answer(_ call: String, for target: WorkflowTarget, chain: String?, reason: String)
        async throws(RPCError)
    {
        let current = state.withLock { $0.currentRuns[target.workflowID] }
        if let runID = target.runID, let current, runID != current {
            state.withLock { $0.calls.append("\(call) \(target.workflowID)@\(runID)") }
            guard call == "cancel" else {
                throw RPCError(code: .notFound, message: "workflow execution already completed")
            }
            return
        }
        try await answer(chain.map { "\(call)-chain(\($0))" } ?? call, for: target.workflowID, reason: reason)
    }
}
