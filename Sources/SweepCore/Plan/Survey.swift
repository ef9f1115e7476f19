/// What a job set holds, learned before anything is sent: how many, and the first few.
package struct Survey: Sendable, Hashable {
    /// The number of distinct jobs (for a query, the server's count, which is approximate).
    package var count: Int
    /// Jobs listed again (sent once, reported `duplicate`).
    package var duplicates: Int
    /// The first jobs, for confirmation prompts.
    package var preview: [Job]
    /// For a file or IDs: the fingerprints met, and those met more than once, so that the run's
    /// pass over the same input keeps only the keys of those (see ``DuplicateFilter``); `nil` for
    /// a query.
    package var fingerprints: SurveyedFingerprints?
    /// For a query the server could not count: ``count`` is what a listing read, up to `--max`
    /// + 1, so a count over `--max` means "at least".
    package var countIsListed = false

    package init(
        count: Int, duplicates: Int = 0, preview: [Job], fingerprints: SurveyedFingerprints? = nil
    ) {
        self.count = count
        self.duplicates = duplicates
        self.preview = preview
        self.fingerprints = fingerprints
    }
}
