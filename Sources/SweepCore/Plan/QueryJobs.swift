import SweepGRPC

/// The jobs a visibility query lists, fetched a page at a time as they are consumed: memory is
/// bounded by one page. Run IDs come from the listing, so each job pins the run that was listed.
package struct QueryJobs: AsyncSequence, Sendable {
    package typealias Element = Job

    package let service: any WorkflowService
    package let query: String
    package let pageSize: Int

    package init(service: any WorkflowService, query: String, pageSize: Int = 1000) {
        self.service = service
        self.query = query
        self.pageSize = pageSize
    }

    package func makeAsyncIterator() -> Iterator {
        Iterator(service: service, query: query, pageSize: pageSize)
    }

    package struct Iterator: AsyncIteratorProtocol {
        let service: any WorkflowService
        let query: String
        let pageSize: Int
        private var page: [ExecutionDescription] = []
        private var index = 0
        private var token: [UInt8] = []
        private var exhausted = false

        init(service: any WorkflowService, query: String, pageSize: Int) {
            self.service = service
            self.query = query
            self.pageSize = pageSize
        }

        package mutating func next() async throws -> Job? {
            while index >= page.count {
                if exhausted { return nil }
                let next: ExecutionPage
                do {
                    next = try await Planner.withVisibilityRetries { () async throws(RPCError) in
                        try await service.list(query: query, pageSize: pageSize, pageToken: token)
                    }
                } catch {
                    throw SweepError(.server, "listing the query failed: \(error)", cause: error)
                }
                page = next.executions
                index = 0
                token = next.nextPageToken
                exhausted = token.isEmpty
            }
            defer { index += 1 }
            let execution = page[index]
            return Job(listed: execution)
        }
    }
}

extension Job {
    /// A job for a run a listing just returned: pinned to that run, with what the listing knows.
    init(listed execution: ExecutionDescription) {
        self.init(
            target: WorkflowTarget(workflowID: execution.workflowID, runID: execution.runID),
            workflowType: execution.workflowType,
            listedStatus: execution.status,
            startTime: execution.startTime,
            firstRunID: execution.firstRunID.isEmpty ? nil : execution.firstRunID
        )
    }
}
