/// A run's job set as one async sequence, whatever the source: streamed, never materialised.
///
/// A workflow (and run) given again in a CSV or on the command line is passed on marked
/// ``Job/isDuplicate``, so it is reported once more but acted on once. A run that a *listing*
/// returns again is dropped instead: visibility pages by sort keys that change when a run closes
/// (its close time moves it), so a sweep re-meets runs it has just acted on; that is paging, not
/// the operator's duplicate. How repeats are recognised, and what that keeps in memory, is the
/// ``DuplicateFilter``'s business.
package struct Jobs: AsyncSequence, Sendable {
    package typealias Element = Job

    private enum Base: Sendable {
        case query(QueryJobs)
        case csv(CSVJobs)
        case json(JSONJobs)
        case list([Job])
    }

    private let base: Base
    private let maximum: Int?
    private let progress: SourceProgress
    private let duplicates: DuplicateFilter.Mode
    private let label: String
    private let shard: Shard?

    /// The jobs of `source`; listing calls go through `service` under `retry`.
    /// - Parameters:
    ///   - maximum: `--max`: after this many distinct jobs the sequence ends (duplicates of jobs
    ///     already handed out still pass, to be reported); `progress` says so if more came.
    ///   - duplicates: how repeats are recognised (a listing's always exactly).
    ///   - shard: `--shard`: only the workflow IDs that fall to it are handed out (and counted,
    ///     de-duplicated and capped); `progress` counts the others.
    package init(
        _ source: JobSource, service: any WorkflowService, pageSize: Int = 1000, retry: RetryPolicy = RetryPolicy(),
        clock: any Clock<Duration> = ContinuousClock(), maximum: Int? = nil,
        progress: SourceProgress = SourceProgress(), duplicates: DuplicateFilter.Mode = .exact, shard: Shard? = nil
    ) {
        self.maximum = maximum
        self.shard = shard
        self.progress = progress
        self.label = source.label
        if case .query = source {
            self.duplicates = .exact
        } else {
            self.duplicates = duplicates
        }
        switch source {
        case .query(let query):
            base = .query(
                QueryJobs(
                    service: service, query: query, pageSize: pageSize, retry: retry, clock: clock, progress: progress))
        case .csvFile(let path):
            switch JSONJobs.Format(path: path) {
            case .jsonArray: base = .json(JSONJobs(path: path, isArray: true))
            case .jsonLines: base = .json(JSONJobs(path: path, isArray: false))
            case .other: base = .csv(CSVJobs(path: path))
            }
        case .planFile(let path):
            base = .csv(CSVJobs(path: path, isPlan: true))
        case .workflowIDs(let ids, let runID):
            base = .list(ids.map { Job(target: WorkflowTarget(workflowID: $0, runID: runID)) })
        }
    }

    package func makeAsyncIterator() -> Iterator {
        let iteratorBase: Iterator.Base =
            switch base {
            case .query(let jobs): .query(jobs.makeAsyncIterator())
            case .csv: .csv
            case .json(let jobs): .json(jobs.makeAsyncIterator())
            case .list(let jobs): .list(jobs.makeIterator())
            }
        var iterator = Iterator(
            base: iteratorBase, maximum: maximum, progress: progress, duplicates: duplicates, label: label,
            shard: shard)
        if case .csv(let jobs) = base { iterator.csv = jobs.makeAsyncIterator() }
        return iterator
    }

    package struct Iterator: AsyncIteratorProtocol {
        fileprivate enum Base {
            case query(QueryJobs.Iterator)
            /// In ``csv``: read in place, without suspending (a million-line file is read twice).
            case csv
            case json(JSONJobs.Iterator)
            case list(IndexingIterator<[Job]>)
        }

        fileprivate var base: Base
        fileprivate var csv: CSVJobs.Iterator?
        private let maximum: Int?
        private let progress: SourceProgress
        private var seen: DuplicateFilter
        private let label: String
        private let shard: Shard?
        private var count = 0
        private var distinct = 0
        private var ended = false

        fileprivate init(
            base: Base, maximum: Int?, progress: SourceProgress, duplicates: DuplicateFilter.Mode, label: String,
            shard: Shard?
        ) {
            self.base = base
            self.shard = shard
            self.label = label
            self.seen = DuplicateFilter(duplicates)
            self.maximum = maximum
            self.progress = progress
        }

        /// For a survey's first pass (``DuplicateFilter/Mode/fingerprints``): the fingerprints
        /// met, and those met more than once.
        package mutating func surveyedFingerprints() -> SurveyedFingerprints {
            seen.surveyedFingerprints()
        }

        package mutating func next() async throws -> Job? {
            if csv != nil { return try nextFromFile() }
            while !ended {
                guard var job = try await nextFromBase() else { return try finish() }
                if try accept(&job) { return job }
            }
            return nil
        }

        /// For a survey, which only counts: whether the next job is new (`false`: a repeat), or
        /// `nil` at the end; as ``next()``, without handing the job out.
        package mutating func nextIsNew() async throws -> Bool? {
            if csv == nil { return try await next().map { !$0.isDuplicate } }
            while !ended {
                guard var job = try csv?.nextJob() else { return try finish().map { !$0.isDuplicate } }
                if try accept(&job) { return !job.isDuplicate }
            }
            return nil
        }

        /// ``next()`` of a CSV file, without suspending.
        private mutating func nextFromFile() throws -> Job? {
            while !ended {
                guard var job = try csv?.nextJob() else { return try finish() }
                if try accept(&job) { return job }
            }
            return nil
        }

        /// The source ended on its own: it must have held what the survey read.
        private mutating func finish() throws(SweepError) -> Job? {
            ended = true
            do {
                try seen.finish()
            } catch {
                throw SweepError(
                    .input,
                    "\(label): changed after it was validated: it now ends after \(count) \(entry.several) where it held more; nothing more is sent from it; run sweep again on it as it is now"
                )
            }
            return nil
        }

        /// What the source's positions are called in messages: one, and several.
        private var entry: (one: String, several: String) {
            if case .json = base { ("entry", "entries") } else { ("line", "lines") }
        }

        /// Marks `job` as handed out (duplicate or not, numbered); `false` when it is dropped
        /// (another shard's, a listing's repeat) or the job set reached `maximum` (then `ended` is
        /// set).
        private mutating func accept(_ job: inout Job) throws(SweepError) -> Bool {
            if let shard, !shard.contains(job.target.workflowID) {
                // Another host's: neither handed out nor remembered (every run of a workflow, and
                // every repeat of its ID, falls to the same shard).
                progress.leftToOtherShard()
                return false
            }
            let isNew: Bool
            do {
                isNew = try seen.insert(job)
            } catch {
                ended = true
                let position = job.line.map { "\(entry.one) \($0)" } ?? "one of its \(entry.several)"
                throw SweepError(
                    .input,
                    "\(label): changed after it was validated (\(position) differs from what was read then); nothing more is sent from it; run sweep again on it as it is now"
                )
            }
            if isNew, let maximum, distinct >= maximum {
                // A job set that grew past --max after it was counted: stop here, and say so.
                progress.reachedMax()
                ended = true
                return false
            }
            job.isDuplicate = !isNew
            if isNew { distinct += 1 }
            if job.isDuplicate, case .query = base { return false }
            job.sequence = count
            count += 1
            return true
        }

        private mutating func nextFromBase() async throws -> Job? {
            switch base {
            case .query(var iterator):
                defer { base = .query(iterator) }
                return try await iterator.next()
            case .csv:
                return try csv?.nextJob()
            case .json(var iterator):
                defer { base = .json(iterator) }
                return try await iterator.next()
            case .list(var iterator):
                defer { base = .list(iterator) }
                return iterator.next()
            }
        }
    }
}
