import Foundation
import SweepCore
import SweepGRPC
import SweepTestSupport
import Synchronization
import Testing

/// The real client, counting the follow-up pages (answered List calls with a page token) made
/// through it; a refused call retried is not counted.
private final class CountingLookups: WorkflowService {
    let client: WorkflowServiceClient
    let followUps = Atomic<Int>(0)

    init(_ client: WorkflowServiceClient) {
        self.client = client
    }

    func count(query: String) async throws(RPCError) -> Int { try await client.count(query: query) }

    func list(query: String, pageSize: Int, pageToken: [UInt8]) async throws(RPCError) -> ExecutionPage {
        let page = try await client.list(query: query, pageSize: pageSize, pageToken: pageToken)
        if !pageToken.isEmpty { followUps.add(1, ordering: .relaxed) }
        return page
    }

    func describe(_ target: WorkflowTarget) async throws(RPCError) -> ExecutionDescription {
        try await client.describe(target)
    }

    func requestCancel(_ target: WorkflowTarget, chain: String?, reason: String, requestID: String)
        async throws(RPCError)
    {
        try await client.requestCancel(target, chain: chain, reason: reason, requestID: requestID)
    }

    func terminate(_ target: WorkflowTarget, chain: String?, reason: String) async throws(RPCError) {
        try await client.terminate(target, chain: chain, reason: reason)
    }

    func recordedRequest(_ action: Action, on target: WorkflowTarget) async throws(RPCError) -> RecordedRequest? {
        try await client.recordedRequest(action, on: target)
    }
}

/// IDs from a CSV resolved in bulk through visibility, on the real server: the same outcomes as
/// one Describe each, with a fraction of the calls.
@Suite("bulk resolution through visibility")
struct BulkResolutionTests {
    let harness: Harness

    init() throws {
        harness = try Harness()
    }

    private static func calls(_ summary: String) -> Int? {
        guard let range = summary.range(of: #"(\d+) calls,"#, options: .regularExpression) else { return nil }
        return Int(summary[range].split(separator: " ")[0])
    }

    @Test("a dry run and a cancel of a CSV: outcomes as with Describe each, one call per open workflow")
    func csv() async throws {
        let type = TestEnvironment.uniqueName("Bulk")
        let seeded = try await harness.seed(8, type: type)
        // Two closed before the sweep; two IDs the server has never seen.
        _ = try await harness.sweep.run([
            "terminate", "-w", seeded[0].workflowID, "-w", seeded[1].workflowID, "--address", harness.address,
            "--report", "/dev/null",
        ])
        try await harness.withClient { client in
            try await client.waitForCount("WorkflowType='\(type)' AND ExecutionStatus='Running'", toBe: 6)
        }
        let unknown = ["\(type)-absent-1", "\(type)-absent-2"]
        let input = try harness.writeCSV(["workflow_id"] + seeded.map(\.workflowID) + unknown)
        var outcomes: [String: [String: String]] = [:]
        var calls: [String: Int] = [:]
        for mode in ["visibility", "describe"] {
            let report = TestEnvironment.temporaryPath("dry-\(mode).csv")
            let result = try await harness.sweep.run([
                "cancel", "--input", input, "--dry-run", "--resolve", mode, "--address", harness.address,
                "--report", report,
            ])
            #expect(result.status == 0, "\(result.standardError)")
            outcomes[mode] = try Report(path: report).outcomes
            calls[mode] = Self.calls(result.standardError)
        }
        #expect(outcomes["visibility"] == outcomes["describe"])
        #expect(outcomes["visibility"]?.values.filter { $0 == "would_cancel" }.count == 6)
        #expect(outcomes["visibility"]?.values.filter { $0 == "already_closed" }.count == 2)
        #expect(outcomes["visibility"]?.values.filter { $0 == "not_found" }.count == 2)
        // Describe each: 10 calls. Through visibility: the six open ones need none; the two it
        // does not know, and the two it knows only closed (a newer run may not show yet), are
        // described.
        #expect(calls["describe"] == 10)
        #expect(calls["visibility"] == 4, "\(String(describing: calls))")

        let report = TestEnvironment.temporaryPath("cancel.csv")
        let cancelled = try await harness.sweep.run([
            "cancel", "--input", input, "--address", harness.address, "--report", report,
        ])
        #expect(cancelled.status == 0, "\(cancelled.standardError)")
        let final = try Report(path: report).outcomes
        #expect(final.values.filter { $0 == "cancel_requested" }.count == 6)
        #expect(final.values.filter { $0 == "already_closed" }.count == 2)
        #expect(final.values.filter { $0 == "not_found" }.count == 2)
        // One cancel per open workflow, each confirmed by a read of the run it pinned (a closed
        // run answers a cancel OK too), and a Describe for each of the other four: 16.
        #expect(Self.calls(cancelled.standardError) == 16, "\(cancelled.standardError)")
        try await harness.withClient { client in
            for target in seeded.dropFirst(2) {
                let description = try await client.describe(target)
                #expect(description.cancelRequested, "\(target)")
            }
        }
    }

    @Test("the largest chunk of IDs with one run each is one page on the server; 1,000 IDs were two")
    func oneLookupPerChunk() async throws {
        let type = TestEnvironment.uniqueName("Chunk")
        let seeded = try await harness.seed(1000, type: type)
        let size = VisibilityResolver.largestChunk
        try await harness.withClient { client in
            let counting = CountingLookups(client)
            let resolver = VisibilityResolver(service: counting, retry: RetryPolicy())
            let jobs = seeded.map { Job(target: WorkflowTarget(workflowID: $0.workflowID)) }
            // resolve() looks up what it is given in one query (the chunking is ResolvedJobs').
            let chunk = await resolver.resolve(Array(jobs.prefix(size)))
            #expect(chunk.map(\.lookedUpRunID) == seeded.prefix(size).map(\.runID))
            #expect(chunk.allSatisfy { $0.listedStatus == .running })
            #expect(counting.followUps.load(ordering: .relaxed) == 0)
            // Why not 1,000: the server gives a full page a token whatever is left, and the page
            // it asks for is empty.
            let full = await resolver.resolve(jobs)
            #expect(full.map(\.lookedUpRunID) == seeded.map(\.runID))
            #expect(counting.followUps.load(ordering: .relaxed) == 1)
        }
    }
}
