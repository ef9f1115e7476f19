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
        /// For the closed runs of the page in hand: their workflows' open runs, by workflow ID;
        /// nil when the lookup failed (then each is described).
        private var openRuns: OpenRuns?
        /// The next page, being fetched while this one is worked on (a page of 1,000 takes the
        /// server a tenth of a second or more; the engine should not stall for it between pages).
        private var prefetch: Prefetch<Result<Fetched, any Error>>?

        /// A page, when it arrived, and the open runs of the workflows of its closed runs.
        private struct Fetched: Sendable {
            var page: ExecutionPage
            var arrivedAt: ContinuousClock.Instant
            var openRuns: OpenRuns?
        }

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
                case .success(let fetched):
                    next = fetched.page
                    pageAt = fetched.arrivedAt
                    openRuns = fetched.openRuns
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
            if execution.status.isClosed, let openRuns, openRuns.lookedUp.contains(execution.workflowID) {
                job.replacement =
                    openRuns.open[execution.workflowID].map { .open(runID: $0.runID, status: $0.status) } ?? .noOpenRun
            }
            return job
        }

        /// Fetches the page at `pageToken` under the retry policy, with when it arrived, then
        /// looks up the open runs of its closed runs' workflows.
        private func fetch(_ pageToken: [UInt8]) -> Prefetch<Result<Fetched, any Error>> {
            let (service, query, pageSize, retry, clock) = (
                jobs.service, jobs.query, jobs.pageSize, jobs.retry, jobs.clock
            )
            return Prefetch {
                do {
                    let page = try await retry.run(on: clock) { () async throws(RPCError) in
                        try await service.list(query: query, pageSize: pageSize, pageToken: pageToken)
                    }
                    let arrivedAt = ContinuousClock.now
                    let closed = page.executions.filter { $0.status.isClosed }.map(\.workflowID)
                    let openRuns = await QueryJobs.openRuns(of: closed, service: service, retry: retry, clock: clock)
                    return .success(Fetched(page: page, arrivedAt: arrivedAt, openRuns: openRuns))
                } catch {
                    return .failure(error)
                }
            }
        }
    }

    /// Every run that has not closed (Running, Paused, a status to come), not a workflow's whole
    /// history of closed runs.
    package static let notClosed = [
        "Completed", "Failed", "Canceled", "Terminated", "ContinuedAsNew", "TimedOut",
    ].map { " AND ExecutionStatus != '\($0)'" }.joined()

    /// What a bulk lookup found for the workflows of a page's closed runs.
    struct OpenRuns: Sendable {
        /// The workflows looked up (an ID that cannot be quoted plainly is left to Describe).
        var lookedUp: Set<String> = []
        /// The open run of each that has one.
        var open: [String: ExecutionDescription] = [:]
    }

    /// The open run of each of `workflowIDs` that has one, through visibility: one List call per
    /// ``VisibilityResolver/largestChunk`` IDs, instead of one Describe per closed run to ask
    /// whether a newer run replaced it. Any status that is not closed counts as open (Paused).
    /// Visibility may not show a run started a moment ago: that workflow's closed run is then
    /// `already_closed`, not `run_changed`.
    /// - Returns: nil when the lookup failed: each closed run is then described.
    static func openRuns(
        of workflowIDs: [String], service: any WorkflowService, retry: RetryPolicy, clock: any Clock<Duration>
    ) async -> OpenRuns? {
        var found = OpenRuns()
        var ids: [String] = []
        for id in workflowIDs where VisibilityResolver.isPlain(id) && found.lookedUp.insert(id).inserted {
            ids.append(id)
        }
        var start = 0
        while start < ids.count {
            let chunk = ids[start..<Swift.min(ids.count, start + VisibilityResolver.largestChunk)]
            start += chunk.count
            let query = "WorkflowId IN (" + chunk.map { "'\($0)'" }.joined(separator: ",") + ")" + Self.notClosed
            var token: [UInt8] = []
            repeat {
                let pageToken = token
                guard
                    let page = try? await retry.run(
                        on: clock,
                        { () async throws(RPCError) in
                            try await service.list(
                                query: query, pageSize: VisibilityResolver.pageSize, pageToken: pageToken)
                        })
                else { return nil }
                for run in page.executions where !run.status.isClosed { found.open[run.workflowID] = run }
                token = page.nextPageToken
            } while !token.isEmpty
        }
        return found
    }
}

extension Job {
    /// A job for a run a listing just returned: pinned to that run, with what the listing knows.
    package init(listed execution: ExecutionDescription) {
        self.init(
            target: WorkflowTarget(workflowID: execution.workflowID, runID: execution.runID),
            workflowType: execution.workflowType,
            listedStatus: execution.status,
            startTime: execution.startTime,
            firstRunID: execution.firstRunID.isEmpty ? nil : execution.firstRunID
        )
    }
}
