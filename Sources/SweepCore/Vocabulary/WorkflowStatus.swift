/// A workflow execution's status, as Temporal reports it.
package enum WorkflowStatus: String, Sendable, Hashable, CaseIterable {
    case unspecified = "UNSPECIFIED"
    case running = "RUNNING"
    case completed = "COMPLETED"
    case failed = "FAILED"
    case canceled = "CANCELED"
    case terminated = "TERMINATED"
    case continuedAsNew = "CONTINUED_AS_NEW"
    case timedOut = "TIMED_OUT"

    /// Whether the run has ended (anything but running).
    package var isClosed: Bool { self != .running && self != .unspecified }
}
