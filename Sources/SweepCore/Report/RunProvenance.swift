package import Foundation
import SweepCSV

/// What a report records of each run that wrote to it, so that `--resume` goes on against the
/// same namespace, address and action, and knows when the sweep began.
///
/// One row per run, before its first workflow's row (a resumed run adds its own): an empty
/// `workflow_id` (no workflow has one), the action, the outcome `sweep_started`, the namespace,
/// address, sweep version, identity and reason in the message (`namespace=… address=… sweep=…
/// identity=… reason=…`, each value percent-encoded), and the start in `finished_at`. The identity
/// and reason tell a run this sweep closed from one closed by someone else. A row keeps the report a plain CSV with one
/// set of columns; a report from before this row is still resumed (with nothing to check).
package struct RunProvenance: Sendable, Hashable {
    /// The `outcome` cell of a provenance row.
    package static let outcome = "sweep_started"

    package var action: Action
    package var namespace: String
    package var address: String
    /// When the run began (before its first call).
    package var startedAt: Date
    package var version = SweepVersion.current
    /// What its requests carry in history: the identity and the reason.
    package var requester: Requester
    /// A resumed run: the moment it judged the earlier sweep to have begun, for a report whose
    /// rows before its own say less than that (they were written by an older sweep).
    package var judgedSince: Date?

    package init(
        action: Action, namespace: String, address: String, startedAt: Date,
        requester: Requester = Requester(identity: "", reason: "")
    ) {
        self.action = action
        self.namespace = namespace
        self.address = address
        self.startedAt = startedAt
        self.requester = requester
    }

    /// The report row.
    package var row: String {
        var values = [
            ("namespace", namespace), ("address", address), ("sweep", version), ("identity", requester.identity),
            ("reason", requester.reason),
        ]
        if let judgedSince { values.append(("since", ReportFormat.timestamp(judgedSince))) }
        let message = values.map { "\($0)=\(Self.encode($1))" }.joined(separator: " ")
        return CSVWriter.row(
            ["", "", action.rawValue, Self.outcome, "", message, "", "", ReportFormat.timestamp(startedAt), ""]
                .map(ReportFormat.neutralize))
    }

    /// Whether a report row (its cells, neutralised as written) is a provenance row.
    static func isProvenance(workflowID: String, outcome: String) -> Bool {
        workflowID.isEmpty && outcome == Self.outcome
    }

    /// Reads a provenance row back.
    /// - Returns: nil when the row does not hold an action, a namespace, an address and a time.
    init?(action: String, message: String, startedAt: String) {
        var values: [Substring: String] = [:]
        for pair in ReportFormat.restore(message).split(separator: " ") {
            guard let equals = pair.firstIndex(of: "="),
                let value = pair[pair.index(after: equals)...].removingPercentEncoding
            else { return nil }
            values[pair[..<equals]] = value
        }
        guard let action = Action(rawValue: action), let namespace = values["namespace"],
            let address = values["address"], let date = ReportFormat.date(startedAt)
        else { return nil }
        self.init(
            action: action, namespace: namespace, address: address, startedAt: date,
            requester: Requester(identity: values["identity"] ?? "", reason: values["reason"] ?? ""))
        version = values["sweep"] ?? ""
        judgedSince = values["since"].flatMap(ReportFormat.date)
    }

    /// What differs between the run that wrote a report (`self`) and `current`, which would
    /// resume it, in words; nil when they agree.
    package func mismatch(with current: RunProvenance) -> String? {
        var differences: [String] = []
        if action != current.action {
            differences.append("it is from a \(action.rawValue) run; resume it with sweep \(action.rawValue)")
        }
        if namespace != current.namespace {
            differences.append("it was written in namespace '\(namespace)', this run is in '\(current.namespace)'")
        }
        if address != current.address {
            differences.append("it was written against \(address), this run is against \(current.address)")
        }
        return differences.isEmpty ? nil : differences.joined(separator: "; ")
    }

    /// Percent-encodes all but letters, digits and `-._~:/[]@`: a value never holds a space or `=`.
    private static func encode(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }

    private static let allowed = CharacterSet(
        charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~:/[]@")
}
