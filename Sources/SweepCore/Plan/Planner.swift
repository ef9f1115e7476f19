import Foundation
package import SweepGRPC

/// Resolves a ``JobSource`` into a job set: validates and counts it before anything is sent
/// (``survey(_:)``), then streams it (``jobs(_:)``).
package struct Planner: Sendable {
    package let service: any WorkflowService
    package var pageSize: Int
    package var previewSize: Int
    /// The policy every listing and count call follows (the executor's).
    package var retry: RetryPolicy
    package var clock: any Clock<Duration>
    /// `--shard`: the share of the source this run takes (counted, listed and streamed alike).
    package var shard: Shard?

    package init(
        service: any WorkflowService, pageSize: Int = 1000, previewSize: Int = 10, retry: RetryPolicy = RetryPolicy(),
        clock: any Clock<Duration> = ContinuousClock()
    ) {
        self.service = service
        self.pageSize = pageSize
        self.previewSize = previewSize
        self.retry = retry
        self.clock = clock
    }

    /// Reads the whole source once without acting on it: a CSV is parsed to the end (so a bad line
    /// stops the run before the first RPC), a query is counted and its first page listed.
    ///
    /// A count the server cannot give (visibility timing out on tens of millions of workflows) is
    /// replaced, when `maximum` (`--max`) is given, by listing up to `maximum + 1`: enough to
    /// apply `--max` before anything is sent.
    /// - Throws: ``SweepError`` `.input` for an invalid CSV or query, `.server` for other server errors.
    package func survey(_ source: JobSource, maximum: Int? = nil) async throws(SweepError) -> Survey {
        switch source {
        case .query(let query):
            let (count, listed) = try await count(query, maximum: maximum)
            do {
                let page = try await retrying { () async throws(RPCError) in
                    try await service.list(query: query, pageSize: previewSize, pageToken: [])
                }
                let preview = page.executions.map(Job.init(listed:)).filter {
                    shard?.contains($0.target.workflowID) ?? true
                }
                var survey = Survey(count: count, preview: preview)
                survey.countIsListed = listed
                return survey
            } catch {
                throw Self.planningError(error, what: "the query")
            }
        case .planFile(let path) where Self.isEmpty(path):
            throw SweepError(.input, "\(path): the plan is empty; write one with sweep plan")
        case .csvFile(let path) where Self.isEmpty(path):
            // An empty listing (`temporal workflow list -o jsonl` when nothing matched, an export
            // of no rows): no workflows, nothing to do.
            return Survey(count: 0, preview: [])
        case .csvFile, .planFile, .workflowIDs:
            // First pass: fingerprints only, every line counted. Only when one repeats (a
            // duplicate, or two IDs sharing a fingerprint) does a second pass count exactly.
            let first = try await count(source, duplicates: .fingerprints)
            guard let fingerprints = first.fingerprints, !fingerprints.repeated.isEmpty else { return first }
            var exact = try await count(source, duplicates: .surveyed(fingerprints))
            exact.fingerprints = fingerprints
            return exact
        }
    }

    /// A count's failures that say nothing about the query (a timeout, an overloaded visibility
    /// store), which listing may get past.
    static let countFailures: Set<RPCError.Code> = [.deadlineExceeded, .internal, .unknown, .resourceExhausted]

    /// The server's count of `query`; when it cannot count and `maximum` is given, how many it
    /// lists, up to `maximum + 1`.
    private func count(_ query: String, maximum: Int?) async throws(SweepError) -> (count: Int, listed: Bool) {
        do {
            return (try await retrying { () async throws(RPCError) in try await service.count(query: query) }, false)
        } catch  where Self.countFailures.contains(error.code) {
            guard let maximum else {
                throw SweepError(
                    .server,
                    "the server could not count the query (\(error)); add --max N: sweep then lists up to N+1 workflows to apply it instead of counting; nothing was sent",
                    cause: error)
            }
            do {
                return (try await listedCount(query, upTo: maximum + 1), true)
            } catch {
                throw Self.planningError(error, what: "the query")
            }
        } catch {
            throw Self.planningError(error, what: "the query")
        }
    }

    /// How many runs `query` lists, read page by page up to `limit` (the whole query, every shard).
    private func listedCount(_ query: String, upTo limit: Int) async throws(RPCError) -> Int {
        var listed = 0
        var token: [UInt8] = []
        repeat {
            let page = try await retrying { () async throws(RPCError) in
                try await service.list(query: query, pageSize: min(pageSize, limit - listed), pageToken: token)
            }
            listed += page.executions.count
            token = page.nextPageToken
        } while !token.isEmpty && listed < limit
        return min(listed, limit)
    }

    private static func isEmpty(_ path: String) -> Bool {
        (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int == 0
    }

    /// Reads a file or ID list to the end: distinct jobs, duplicates, the first few.
    private func count(_ source: JobSource, duplicates mode: DuplicateFilter.Mode) async throws(SweepError) -> Survey {
        var count = 0
        var duplicates = 0
        var preview: [Job] = []
        var iterator = Jobs(source, service: service, duplicates: mode, shard: shard).makeAsyncIterator()
        do {
            // The first few jobs for the preview; then only whether each is new.
            while preview.count < previewSize, let job = try await iterator.next() {
                if job.isDuplicate {
                    duplicates += 1
                    continue
                }
                count += 1
                preview.append(job)
            }
            while let isNew = try await iterator.nextIsNew() {
                if isNew { count += 1 } else { duplicates += 1 }
            }
        } catch let error as SweepError {
            throw error
        } catch {
            throw SweepError(.input, "\(source.label): \(error)")
        }
        return Survey(
            count: count, duplicates: duplicates, preview: preview,
            fingerprints: iterator.surveyedFingerprints())
    }

    /// The job set, streamed.
    /// - Parameters:
    ///   - maximum: `--max`, the backstop for a listing that grew after it was counted.
    ///   - progress: told when the listing stops early or reaches `maximum`.
    ///   - survey: the source's survey, whose fingerprints spare the pass a key per job.
    package func jobs(
        _ source: JobSource, maximum: Int? = nil, progress: SourceProgress = SourceProgress(), survey: Survey? = nil
    ) -> Jobs {
        Jobs(
            source, service: service, pageSize: pageSize, retry: retry, clock: clock, maximum: maximum,
            progress: progress, duplicates: survey?.fingerprints.map { .surveyed($0) } ?? .exact, shard: shard)
    }

    /// Calls `body` under the retry policy.
    /// - Throws: the last ``RPCError``; a cancelled wait as `CANCELLED`.
    package func retrying<T>(_ body: () async throws(RPCError) -> T) async throws(RPCError) -> T {
        do {
            return try await retry.run(on: clock, body)
        } catch let error as RPCError {
            throw error
        } catch {
            throw RPCError(code: .cancelled, message: "stopped while waiting to retry")
        }
    }

    /// Maps a planning call's failure to a whole-run error.
    package static func planningError(_ error: RPCError, what: String) -> SweepError {
        switch error.code {
        case .invalidArgument:
            SweepError(.input, "the server rejected \(what): \(error.message)", cause: error)
        case .notFound:
            SweepError(.input, "\(error.message) (check --namespace)", cause: error)
        case .unavailable, .deadlineExceeded:
            SweepError(.unreachable, "the Temporal server did not answer: \(error)", cause: error)
        case .unauthenticated:
            SweepError(
                .unreachable,
                "the server refused the credentials for \(what): check the API key (--api-key, TEMPORAL_API_KEY or the profile's api_key); nothing was sent (\(error))",
                cause: error)
        case .permissionDenied:
            SweepError(
                .unreachable,
                "the credentials are not allowed \(what == "the query" ? "to list this namespace" : "on \(what)"): check the API key's or certificate's permissions and --namespace; nothing was sent (\(error))",
                cause: error)
        default:
            SweepError(.server, "the server refused \(what): \(error)", cause: error)
        }
    }
}
