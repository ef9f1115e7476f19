import SweepGRPC

/// The jobs a visibility query lists, fetched a page at a time as they are consumed: memory is
/// bounded by one page. Run IDs come from the listing, so each job pins the run that was listed.
///
/// Each page is fetched under the run's ``RetryPolicy``, the next one while the second half of
/// this one is worked on.
/// Once the task is cancelled (a graceful stop), no further page is taken: the jobs of the page in
/// hand are still handed out (to be reported `not_attempted`), then the listing ends (a page
/// fetched ahead is dropped, never handed out) and ``SourceProgress`` says it was stopped.
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
        /// The next page, being fetched while this one is worked on (a page of 1,000 takes the
        /// server a tenth of a second or more; the engine should not stall for it between pages).
        private var prefetch: Prefetch<Result<(ExecutionPage, ContinuousClock.Instant), any Error>>?

        init(jobs: QueryJobs) {
            self.jobs = jobs
        }

        package mutating func next() async throws -> Job? {
            while index >= page.count {
                if exhausted { return nil }
                if Task.isCancelled {
                    prefetch = nil  // its fetch is cancelled as it goes
                    exhausted = true
                    jobs.progress.listingStopped()
                    return nil
                }
                let fetching = prefetch ?? fetch(token)
                prefetch = nil
                let next: ExecutionPage
                // A stop while waiting (a retry's pause can be long) reaches the fetch.
                switch await fetching.value {
                case .success(let (fetched, arrivedAt)):
                    next = fetched
                    pageAt = arrivedAt
                case .failure(is CancellationError):
                    exhausted = true
                    jobs.progress.listingStopped()
                    return nil
                case .failure(let error):
                    throw SweepError(
                        .server,
                        "listing the query failed after \(listed) workflows: \(error); the rest of the query was not listed",
                        cause: error)
                }
                page = next.executions
                index = 0
                token = next.nextPageToken
                exhausted = token.isEmpty
            }
            // The next page is asked for once half of this one is handed out: what it says is
            // then at most about one and a half pages' work old when handed out (a cancel's pages
            // are half a second's work, and a job is handed out at most a second before its slot:
            // see `SweepOptions.freshBatchSize`).
            if prefetch == nil, !exhausted, index >= page.count / 2, !Task.isCancelled {
                prefetch = fetch(token)
            }
            defer { index += 1 }
            listed += 1
            let execution = page[index]
            var job = Job(listed: execution)
            job.listedAt = pageAt
            return job
        }

        /// Fetches the page at `pageToken` under the retry policy, with when it arrived.
        private func fetch(_ pageToken: [UInt8]) -> Prefetch<
            Result<(ExecutionPage, ContinuousClock.Instant), any Error>
        > {
            let (service, query, pageSize, retry, clock) = (
                jobs.service, jobs.query, jobs.pageSize, jobs.retry, jobs.clock
            )
            return Prefetch {
                do {
                    let page = try await retry.run(on: clock) { () async throws(RPCError) in
                        try await service.list(query: query, pageSize: pageSize, pageToken: pageToken)
                    }
                    return .success((page, ContinuousClock.now))
                } catch {
                    return .failure(error)
                }
            }
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
