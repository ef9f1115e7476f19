import SweepGRPC

/// The jobs a visibility query lists, fetched a page at a time as they are consumed: memory is
/// bounded by one page. Run IDs come from the listing, so each job pins the run that was listed.
///
/// Each page is fetched under the run's ``RetryPolicy``. Once the task is cancelled (a graceful
/// stop), no further page is fetched: the jobs of the page in hand are still handed out (to be
/// reported `not_attempted`), then the listing ends and ``SourceProgress`` says it was stopped.
package struct QueryJobs: AsyncSequence, Sendable {
    package typealias Element = Job

    package let service: any WorkflowService
    package let query: String
    package let pageSize: Int
    package let retry: RetryPolicy
    package let clock: any Clock<Duration>
    package let progress: SourceProgress

    package init(
        service: any WorkflowService, query: String, pageSize: Int = 1000, retry: RetryPolicy = RetryPolicy(),
        clock: any Clock<Duration> = ContinuousClock(), progress: SourceProgress = SourceProgress()
    ) {
        self.service = service
        self.query = query
        self.pageSize = pageSize
        self.retry = retry
        self.clock = clock
        self.progress = progress
    }

    package func makeAsyncIterator() -> Iterator {
        Iterator(jobs: self)
    }

    package struct Iterator: AsyncIteratorProtocol {
        private let jobs: QueryJobs
        private var page: [ExecutionDescription] = []
        /// When the page in hand arrived.
        private var pageAt = ContinuousClock.now
        private var index = 0
        private var token: [UInt8] = []
        private var exhausted = false
        private var listed = 0

        init(jobs: QueryJobs) {
            self.jobs = jobs
        }

        package mutating func next() async throws -> Job? {
            while index >= page.count {
                if exhausted { return nil }
                if Task.isCancelled {
                    exhausted = true
                    jobs.progress.listingStopped()
                    return nil
                }
                let next: ExecutionPage
                let (service, query, pageSize, pageToken) = (jobs.service, jobs.query, jobs.pageSize, token)
                do {
                    next = try await jobs.retry.run(on: jobs.clock) { () async throws(RPCError) in
                        try await service.list(query: query, pageSize: pageSize, pageToken: pageToken)
                    }
                } catch is CancellationError {
                    exhausted = true
                    jobs.progress.listingStopped()
                    return nil
                } catch {
                    throw SweepError(
                        .server,
                        "listing the query failed after \(listed) workflows: \(error); the rest of the query was not listed",
                        cause: error)
                }
                page = next.executions
                pageAt = ContinuousClock.now
                index = 0
                token = next.nextPageToken
                exhausted = token.isEmpty
            }
            defer { index += 1 }
            listed += 1
            let execution = page[index]
            var job = Job(listed: execution)
            job.listedAt = pageAt
            return job
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
