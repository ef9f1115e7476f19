/// Counts per outcome, kept by the reporter as rows are written.
package struct Tally: Sendable, Hashable {
    package private(set) var counts: [Outcome: Int] = [:]
    package private(set) var callsSent = 0

    package init() {}

    package mutating func add(_ result: JobResult) {
        counts[result.outcome, default: 0] += 1
        callsSent += result.callsSent
    }

    package var total: Int { counts.values.reduce(0, +) }

    package subscript(outcome: Outcome) -> Int { counts[outcome] ?? 0 }
}
