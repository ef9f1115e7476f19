import Foundation
import SweepCore
import SweepGRPC
import Synchronization
import Testing

/// One page of runs, some closed, and the open runs a bulk lookup of their workflows finds.
final class ClosedRunsListing: ListingFake {
    let page: [ExecutionDescription]
    let open: [ExecutionDescription]
    private let queries = Mutex<[String]>([])

    init(page: [ExecutionDescription], open: [ExecutionDescription]) {
        self.page = page
        self.open = open
    }

    var listQueries: [String] { queries.withLock { $0 } }

    func list(query: String, pageSize: Int, pageToken: [UInt8]) async throws(RPCError) -> ExecutionPage {
        queries.withLock { $0.append(query) }
        guard query.hasPrefix("WorkflowId IN (") else { return ExecutionPage(executions: page, nextPageToken: []) }
        // Every run of those workflows: the closed ones listed, and the open ones.
        let runs = (page + open).filter { query.contains("'\($0.workflowID)'") }
        return ExecutionPage(executions: runs, nextPageToken: [])
    }
}

@Suite("Closed runs in a listing")
struct ClosedRunsTests {
    private func run(_ id: String, _ runID: String, _ status: WorkflowStatus) -> ExecutionDescription {
        ExecutionDescription(workflowID: id, runID: runID, workflowType: "T", status: status)
    }

    @Test("the open runs of a page's closed runs are looked up in one call, not one Describe each")
    func lookedUpInBulk() async throws {
        let service = ClosedRunsListing(
            page: [run("a", "a1", .running), run("b", "b1", .completed), run("c", "c1", .terminated)],
            open: [run("b", "b2", .running)])
        var jobs: [Job] = []
        for try await job in QueryJobs(service: service, query: "WorkflowType='T'", clock: ManualClock()) {
            jobs.append(job)
        }
        #expect(service.listQueries.count == 2, "\(service.listQueries)")
        #expect(service.listQueries.last == "WorkflowId IN ('b','c')" + QueryJobs.notClosed)
        #expect(QueryJobs.notClosed.contains("ExecutionStatus != 'ContinuedAsNew'"))
        #expect(jobs.map(\.replacement) == [nil, .open(runID: "b2", status: .running), .noOpenRun])
    }

    @Test(
        "a closed listed run is run_changed or already_closed from the lookup, with no call, for every action",
        arguments: Action.allCases)
    func noCallForClosed(action: Action) async throws {
        let service = ScriptedWorkflowService()
        let executor = Executor(
            service: service, options: ExecutorOptions(action: action, reason: "r", rate: 1e6), clock: ManualClock())
        var replaced = Job(listed: run("b", "b1", .completed))
        replaced.replacement = .open(runID: "b2", status: .running)
        var ended = Job(listed: run("c", "c1", .terminated))
        ended.replacement = .noOpenRun
        let first = await executor.perform(replaced)
        #expect(first.outcome == .runChanged)
        #expect(first.message.contains("replaced by run b2"))
        #expect(await executor.perform(ended).outcome == .alreadyClosed)
        #expect(service.calls.isEmpty, "\(service.calls)")
    }
}
