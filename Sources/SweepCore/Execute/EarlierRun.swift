package import Foundation

/// The sweep whose report a resumed run continues: a workflow it has no row for may have been
/// acted on just before a crash lost the row, so it is judged as after an ambiguous failure.
package struct EarlierRun: Sendable, Hashable {
    /// When that sweep began (the first run that wrote the report).
    package var began: Date
    /// What its requests carry in history (each run that wrote the report, and this one): a
    /// run's history names one of them when that sweep closed it.
    package var requesters: Set<Requester>
    /// Whether the runs of this job set were picked by sweep from a listing (a query), and not
    /// named by the operator (a CSV's run_id, `--run-id`, a plan): only a run sweep picks is
    /// held to having started before `began`.
    package var runsFromListing: Bool

    package init(began: Date, requesters: Set<Requester>, runsFromListing: Bool) {
        self.began = began
        self.requesters = requesters
        self.runsFromListing = runsFromListing
    }
}
