/// What a job set holds, learned before anything is sent: how many, and the first few.
package struct Survey: Sendable, Hashable {
    /// The number of jobs (for a query, the server's count, which is approximate).
    package var count: Int
    /// The first jobs, for confirmation prompts.
    package var preview: [Job]

    package init(count: Int, preview: [Job]) {
        self.count = count
        self.preview = preview
    }
}
