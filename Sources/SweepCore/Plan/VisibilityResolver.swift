import Foundation
import SweepGRPC

/// Resolves the runs of IDs from a CSV or the command line in bulk, through visibility
/// (`WorkflowId IN ('a','b',...)`, one List call per chunk of a few hundred IDs) instead of one
/// Describe per ID: a cancel then costs one call, and a dry run or a plan none, per workflow.
///
/// Visibility is eventually consistent (tens of milliseconds on a dev server, seconds on a loaded
/// cluster): an ID it does not return (just started, or unknown) is left unresolved, and the engine
/// Describes it as before, which also tells `not_found`; a status it reports may be a moment old,
/// like a listing's (a cancel of a run that closed since answers OK; `--wait` tells). The run picked
/// is the one Describe would return: the open one, else the newest. IDs whose characters cannot be
/// quoted plainly in a query (quotes, backslashes, control characters) are left to Describe too.
/// Visibility calls have their own pace (`frontend.namespaceRPS.visibility` is 10/s per frontend by
/// default) and back off on RESOURCE_EXHAUSTED; they spare the namespace's main rate budget.
package struct VisibilityResolver: Sendable {
    let service: any WorkflowService
    let retry: RetryPolicy
    let limiter: RateLimiter<ContinuousClock>
    /// IDs per List call, ``largestChunk`` at most.
    package var chunkSize = Self.largestChunk
    /// Chunks looked up ahead of the one being worked on, from when half of it is handed out (at
    /// once with ``looksAheadAtOnce``). What a lookup says ages while it waits: one ahead and
    /// chunks of `SweepOptions.freshBatchSize` keep that within a cancel's trust in it (see
    /// `Runner`).
    package var lookAhead = 1
    /// Whether the next lookup is made as soon as a chunk is handed out, not once half of it is:
    /// for a run that does not act on what a lookup says (a dry run, a plan, the server engine,
    /// whose batches are described afterwards), which then has the next chunk looked up while
    /// this one's jobs are worked on, however fast they go.
    package var looksAheadAtOnce = false
    /// The most query text per call (IDs may be up to 1,000 bytes each).
    package var maximumQueryBytes = 256 * 1024
    /// A plan records each run's first run (for `apply --chain`), which visibility may not know
    /// (the dev server's does not): then the run is left for Describe.
    package var requiresFirstRunID = false

    /// The most IDs looked up in one call: 900, short of the server's largest page of 1,000 rows
    /// (`frontend.visibilityMaxPageSize`), asked for by each lookup. The server hands a full page a
    /// token for the next one whether or not any row is left, so a chunk of 1,000 IDs with one run
    /// each cost a second, empty, lookup (measured on the dev server: 24 List calls for 12,000
    /// IDs); 900 leaves room for 99 more runs than IDs before a chunk takes two pages.
    package static let largestChunk = 900
    /// Rows asked for per lookup page: the server's largest.
    static let pageSize = 1000

    /// - Parameters:
    ///   - rate: List calls per second.
    ///   - chunkSize: IDs per call, ``largestChunk`` at most.
    package init(
        service: any WorkflowService, retry: RetryPolicy, rate: Double = 10, chunkSize: Int = Self.largestChunk
    ) {
        self.service = service
        self.retry = retry
        self.limiter = RateLimiter(rate: rate, clock: ContinuousClock())
        self.chunkSize = max(1, min(Self.largestChunk, chunkSize))
    }

    /// Whether an ID can go into a query as a plain single-quoted literal.
    static func isPlain(_ id: String) -> Bool {
        !id.isEmpty
            && id.unicodeScalars.allSatisfy { scalar in
                scalar.value >= 0x20 && scalar.value < 0x7F && scalar != "'" && scalar != "\\" && scalar != "\""
            }
    }

    /// The jobs of `chunk`, each given the run and status visibility reports for it when it has
    /// one; any failure leaves the chunk as it was (Describe decides, as without resolution).
    package func resolve(_ chunk: [Job]) async -> [Job] {
        var ids: [String] = []
        var seen: Set<String> = []
        for job in chunk where Self.needsResolving(job) && seen.insert(job.target.workflowID).inserted {
            ids.append(job.target.workflowID)
        }
        guard !ids.isEmpty else { return chunk }
        let query = "WorkflowId IN (" + ids.map { "'\($0)'" }.joined(separator: ",") + ")"
        var runs: [String: [ExecutionDescription]] = [:]
        do {
            var token: [UInt8] = []
            repeat {
                try await limiter.acquire()
                let pageToken = token
                let page = try await retry.run(on: ContinuousClock()) { () async throws(RPCError) in
                    do throws(RPCError) {
                        return try await service.list(query: query, pageSize: Self.pageSize, pageToken: pageToken)
                    } catch {
                        if error.code == .resourceExhausted { limiter.throttled() }
                        throw error
                    }
                }
                for execution in page.executions { runs[execution.workflowID, default: []].append(execution) }
                token = page.nextPageToken
            } while !token.isEmpty
        } catch {
            return chunk
        }
        return chunk.map { job in
            guard Self.needsResolving(job), let candidates = runs[job.target.workflowID] else { return job }
            let resolved = Self.resolved(job, among: candidates)
            if requiresFirstRunID, resolved.firstRunID == nil { return job }
            return resolved
        }
    }

    private static func needsResolving(_ job: Job) -> Bool {
        !job.isDuplicate && job.listedStatus == nil && isPlain(job.target.workflowID)
    }

    /// `job` with the run Describe would pick (as ``Job/lookedUpRunID``; or the one it pins) and
    /// that run's status.
    static func resolved(_ job: Job, among candidates: [ExecutionDescription]) -> Job {
        var job = job
        let run: ExecutionDescription?
        if let pinned = job.target.runID {
            run = candidates.first { $0.runID == pinned }
        } else {
            let newestFirst = candidates.sorted { ($0.startTime ?? .distantPast) > ($1.startTime ?? .distantPast) }
            run = newestFirst.first { !$0.status.isClosed } ?? newestFirst.first
        }
        guard let run else { return job }
        if job.target.runID == nil { job.lookedUpRunID = run.runID }
        job.listedStatus = run.status
        job.listedAt = ContinuousClock.now
        if job.workflowType == nil { job.workflowType = run.workflowType }
        if job.startTime == nil { job.startTime = run.startTime }
        if job.firstRunID == nil, !run.firstRunID.isEmpty { job.firstRunID = run.firstRunID }
        return job
    }
}

/// A job sequence resolved chunk by chunk through a ``VisibilityResolver``, in order. Nothing is
/// lost: the jobs pulled for a chunk are handed out even when resolving fails, and an error from
/// the source is thrown only after the jobs pulled before it.
package struct ResolvedJobs<Base: AsyncSequence & Sendable>: AsyncSequence, Sendable where Base.Element == Job {
    package typealias Element = Job

    let base: Base
    /// `nil`: the jobs pass through as they are.
    let resolver: VisibilityResolver?

    package init(_ base: Base, resolver: VisibilityResolver?) {
        self.base = base
        self.resolver = resolver
    }

    package func makeAsyncIterator() -> Iterator {
        Iterator(base: base.makeAsyncIterator(), resolver: resolver)
    }

    package struct Iterator: AsyncIteratorProtocol {
        var base: Base.AsyncIterator
        let resolver: VisibilityResolver?
        var ready: [Job] = []
        var index = 0
        var ended = false
        var pendingError: (any Error)?
        /// The next chunks, being resolved while this one is worked on (a List call of 900 IDs
        /// takes 0.1-0.3 s on a dev server; the engine should not wait for one between chunks).
        var prefetched: [Prefetch<[Job]>] = []

        package mutating func next() async throws -> Job? {
            guard let resolver else { return try await base.next() }
            if index >= ready.count {
                if !prefetched.isEmpty {
                    // A stop (the task cancelled, which reaches the lookup) skips the lookups, never
                    // the jobs: resolve() hands a chunk back as it was when its call fails.
                    ready = await prefetched.removeFirst().value
                } else {
                    let chunk = await pullChunk(resolver)
                    ready = chunk.isEmpty || Task.isCancelled ? chunk : await resolver.resolve(chunk)
                }
                index = 0
                guard !ready.isEmpty else {
                    if let pendingError {
                        self.pendingError = nil
                        ended = true
                        throw pendingError
                    }
                    return nil
                }
            }
            // Once half of this chunk is handed out (as a listing asks for its next page), or at
            // once when nothing acts on what the lookups say (`looksAheadAtOnce`), read the
            // following chunks (the source is a file or the command line) and look them up in the
            // background, `lookAhead` of them (at the resolver's own pace): what a lookup says is
            // then, for a cancel, at most about one and a half chunks' work old when handed out.
            if resolver.looksAheadAtOnce || index >= ready.count / 2 {
                while !Task.isCancelled, prefetched.count < resolver.lookAhead {
                    let following = await pullChunk(resolver)
                    guard !following.isEmpty else { break }
                    prefetched.append(Prefetch { await resolver.resolve(following) })
                }
                if Task.isCancelled {
                    for prefetch in prefetched { prefetch.cancel() }
                }
            }
            defer { index += 1 }
            return ready[index]
        }

        /// The next jobs from the source, up to a chunk; a source error is kept for after them.
        private mutating func pullChunk(_ resolver: VisibilityResolver) async -> [Job] {
            var chunk: [Job] = []
            guard !ended, pendingError == nil else { return chunk }
            var bytes = 0
            do {
                while chunk.count < resolver.chunkSize, bytes < resolver.maximumQueryBytes {
                    guard let job = try await base.next() else {
                        ended = true
                        break
                    }
                    bytes += job.target.workflowID.utf8.count + 3
                    chunk.append(job)
                }
            } catch {
                pendingError = error
            }
            return chunk
        }
    }
}
