package import SweepGRPC

/// How the executor treats a failed call: the one place where gRPC statuses become outcomes.
package enum CallVerdict: Hashable, Sendable {
    /// Transient: try again after a backoff (while attempts remain).
    case retry
    /// Final: report this outcome.
    case final(Outcome)
}

extension Outcome {
    /// Classifies a failed cancel, terminate or describe call.
    ///
    /// Server 1.32 answers (see shared TEMPORAL.md): NOT_FOUND "workflow execution already completed"
    /// for a closed run, NOT_FOUND "workflow not found for ID: X" for an unknown ID; throttling is
    /// RESOURCE_EXHAUSTED; a dropped connection UNAVAILABLE.
    package static func verdict(for error: RPCError) -> CallVerdict {
        switch error.code {
        case .unavailable, .deadlineExceeded, .resourceExhausted, .aborted:
            return .retry
        case .notFound:
            if error.message.localizedStandardContains("already completed") {
                return .final(.alreadyClosed)
            }
            return .final(.notFound)
        default:
            return .final(.failed)
        }
    }
}

extension String {
    fileprivate func localizedStandardContains(_ other: String) -> Bool {
        lowercased().contains(other.lowercased())
    }
}
