import Foundation

/// What a run records of itself in its report, and what a resumed run learns from it.
extension Runner {
    /// What the report records of this run.
    static func provenance(_ options: SweepOptions, action: Action, at date: Date, since: Date? = nil)
        -> RunProvenance
    {
        var provenance = RunProvenance(
            action: action, namespace: options.connection.namespace, address: options.connection.address,
            startedAt: date,
            requester: Requester(identity: options.connection.identity, reason: options.effectiveReason(at: date)))
        provenance.judgedSince = since.map { $0 == .distantPast ? Date(timeIntervalSince1970: 0) : $0 }
        return provenance
    }

    /// What a resumed run knows of the sweep that wrote its report: what its requests carry, and
    /// a moment no later than when it began. That is its first `sweep_started` row; rows written
    /// before any such row (by an older sweep) bring it back to their earliest `finished_at` less
    /// ``unrecordedStartMargin`` (a call in flight then may have been sent that much earlier); a
    /// report with only its header, to when the file was last written (the header is written
    /// before the first call). With none of these, every run counts as started since. Read before
    /// this run appends to the report.
    static func earlierRun(_ journal: ReportJournal, path: String, _ options: SweepOptions) -> EarlierRun {
        var bounds: [Date] = []
        if let first = journal.firstStartedAt { bounds.append(first) }
        if let earliest = journal.earliestRowAt { bounds.append(earliest - unrecordedStartMargin) }
        if journal.rows == 0, journal.runs.isEmpty,
            let modified = (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date
        {
            bounds.append(modified)
        }
        let runsFromListing: Bool
        if case .query = options.source { runsFromListing = true } else { runsFromListing = false }
        return EarlierRun(
            began: bounds.min() ?? .distantPast, requesters: Set(journal.runs.map(\.requester)),
            runsFromListing: runsFromListing)
    }

    /// How long before its earliest row a sweep that did not record its start may have sent a
    /// call: its retries (attempts of up to 10 s, and the retry window) with room to spare.
    static let unrecordedStartMargin: TimeInterval = 600
}
