import Foundation
import SweepCore
import SweepGRPC
import Testing

/// A resumed run and a workflow its report has no row for: the sweep that wrote the report may
/// have acted on it before a crash lost the row, and a new run may have started since.
@Suite("Executor: a workflow a crash left without a row")
struct UnrecordedJobTests {
    /// The crashed sweep began a minute ago.
    let began = Date(timeIntervalSinceNow: -60)

    private func executor(
        _ service: ScriptedWorkflowService, _ action: Action, fromListing: Bool = false, dryRun: Bool = false
    ) -> Executor<ManualClock> {
        var options = ExecutorOptions(action: action, reason: "incident 7", rate: 1e6, dryRun: dryRun)
        options.earlierRun = EarlierRun(
            began: began,
            requesters: [Requester(identity: ScriptedWorkflowService.identity, reason: "incident 7")],
            runsFromListing: fromListing)
        return Executor(service: service, options: options, clock: ManualClock())
    }

    private func unrecorded(_ id: String, runID: String? = nil) -> Job {
        var job = Job(target: WorkflowTarget(workflowID: id, runID: runID))
        job.unrecorded = true
        return job
    }

    @Test(
        "an ID whose current run started after the sweep began is left alone: run_changed, nothing sent",
        arguments: Action.allCases)
    func newRunLeftAlone(action: Action) async {
        let service = ScriptedWorkflowService(startTimes: ["w1": Date(timeIntervalSinceNow: -10)])
        let result = await executor(service, action).perform(unrecorded("w1"))
        #expect(result.outcome == .runChanged, "\(result.message)")
        #expect(result.runID == "run-of-w1")
        #expect(service.calls == ["describe w1"])
        #expect(service.landed.isEmpty)
    }

    @Test("an ID whose open run predates the sweep is acted on, pinned to that run", arguments: Action.allCases)
    func oldRunActedOn(action: Action) async {
        let service = ScriptedWorkflowService()
        let result = await executor(service, action).perform(unrecorded("w1"))
        #expect(result.outcome == .done(action))
        #expect(result.runID == "run-of-w1")
        #expect(service.landed == ["w1": 1])
    }

    @Test(
        "a run the crashed sweep closed is reported as its work, from its history; one closed by someone else is already_closed"
    )
    func closedBySweep() async {
        // What the crashed sweep did: terminated w1 with this reason (its row was lost).
        let service = ScriptedWorkflowService()
        service.closeRunsOnSuccess()
        try? await service.terminate(WorkflowTarget(workflowID: "w1"), chain: nil, reason: "incident 7")
        try? await service.terminate(WorkflowTarget(workflowID: "w2"), chain: nil, reason: "someone else's")
        let sweep = executor(service, .terminate)
        let ours = await sweep.perform(unrecorded("w1"))
        #expect(ours.outcome == .terminated, "\(ours.message)")
        #expect(ours.message.contains("sweep that wrote the report"))
        #expect(service.calls.contains("history w1"))
        let theirs = await sweep.perform(unrecorded("w2"))
        #expect(theirs.outcome == .alreadyClosed, "\(theirs.message)")
        #expect(service.landed == ["w1": 1, "w2": 1], "nothing was sent again")
    }

    @Test("a run a query listed is held to the same rule; a run the operator named is not")
    func listedAndNamedRuns() async {
        let service = ScriptedWorkflowService(
            currentRuns: ["w1": "new", "w2": "new"], startTimes: ["w1": Date(), "w2": Date()])
        var listed = unrecorded("w1", runID: "new")
        listed.listedStatus = .running
        listed.startTime = Date()
        let fromQuery = await executor(service, .terminate, fromListing: true).perform(listed)
        #expect(fromQuery.outcome == .runChanged)
        #expect(service.landed["w1"] == nil)
        let named = await executor(service, .terminate).perform(unrecorded("w2", runID: "new"))
        #expect(named.outcome == .terminated)
    }

    @Test("a resumed dry run (how the server engine plans a slice) plans no run started since the sweep began")
    func dryRunPlansNoNewRun() async {
        let service = ScriptedWorkflowService(startTimes: ["new": Date(timeIntervalSinceNow: -10)])
        let sweep = executor(service, .terminate, dryRun: true)
        #expect(await sweep.perform(unrecorded("new")).outcome == .runChanged)
        let old = await sweep.perform(unrecorded("old"))
        #expect(old.outcome == .dryRun(.terminate))
        #expect(old.runID == "run-of-old")
        #expect(service.landed.isEmpty)
    }

    @Test("a request of the same identity and reason made before the sweep began is not its work")
    func olderRequestIsNotOurs() async {
        let service = ScriptedWorkflowService()
        service.closeRunsOnSuccess()
        try? await service.requestCancel(
            WorkflowTarget(workflowID: "w1"), chain: nil, reason: "incident 7", requestID: "yesterday")
        service.backdateRequests(by: 86_400)
        let result = await executor(service, .cancel).perform(unrecorded("w1"))
        #expect(result.outcome == .alreadyClosed, "\(result.message)")
    }

    @Test("--chain: a chain its owner started again after the crash is left alone")
    func newChainLeftAlone() async {
        var options = ExecutorOptions(action: .terminate, reason: "incident 7", rate: 1e6, chain: true)
        options.earlierRun = EarlierRun(began: began, requesters: [], runsFromListing: false)
        let service = ScriptedWorkflowService(startTimes: ["w1": Date(timeIntervalSinceNow: -10)])
        let result = await Executor(service: service, options: options, clock: ManualClock()).perform(unrecorded("w1"))
        #expect(result.outcome == .runChanged, "\(result.message)")
        #expect(service.landed.isEmpty)
    }

    @Test("a workflow with a row is not judged against the earlier sweep")
    func recordedJobsAsUsual() async {
        let service = ScriptedWorkflowService(startTimes: ["w1": Date(timeIntervalSinceNow: -10)])
        let result = await executor(service, .terminate).perform(Job(target: WorkflowTarget(workflowID: "w1")))
        #expect(result.outcome == .terminated)
        #expect(service.calls == ["terminate w1"])
    }
}
