package import Foundation

extension ReportJournal {
    /// Refuses to resume a report that a run against another namespace or address, or for
    /// another action, wrote: its workflow IDs would name other workflows, and those settled there
    /// would be skipped here.
    /// - Throws: ``SweepError`` `.usage` (exit 2) saying what differs.
    package func check(resumingAs current: RunProvenance, path: String) throws(SweepError) {
        for run in runs {
            if let mismatch = run.mismatch(with: current) {
                throw SweepError(
                    .usage,
                    "\(path): \(mismatch); resume a report with the namespace, address and action that wrote it; nothing was sent"
                )
            }
        }
    }

    /// When the sweep that wrote the report first began, if the report says (or what a resumed
    /// run judged it to be).
    package var firstStartedAt: Date? {
        runs.map { min($0.startedAt, $0.judgedSince ?? $0.startedAt) }.min()
    }
}
