/// Counts per outcome, kept by the reporter as rows are written: one final outcome per workflow
/// (a follow-up row replaces the outcome of the row it follows up), and the rows themselves.
package struct Tally: Sendable, Hashable {
    package private(set) var counts: [Outcome: Int] = [:]
    package private(set) var callsSent = 0
    /// Report rows written.
    package private(set) var rows = 0

    package init() {}

    package mutating func add(_ result: JobResult) {
        if let earlier = result.supersedes, let count = counts[earlier], count > 0 {
            counts[earlier] = count - 1
        }
        counts[result.outcome, default: 0] += 1
        callsSent += result.callsSent
        rows += 1
    }

    /// Workflows accounted for: one final outcome each (`duplicate` rows are input lines, not
    /// workflows, and are not counted here).
    package var workflows: Int { counts.filter { $0.key != .duplicate }.values.reduce(0, +) }

    /// Final outcomes, duplicates included.
    package var total: Int { counts.values.reduce(0, +) }

    package subscript(outcome: Outcome) -> Int { counts[outcome] ?? 0 }
}
