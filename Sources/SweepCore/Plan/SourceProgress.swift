import Synchronization

/// What a job source learned while it was read that the summary must tell: a listing stopped
/// early by a graceful stop, or a job set that grew past `--max` after it was counted.
package final class SourceProgress: Sendable {
    private struct State {
        var stoppedListing = false
        var overMax = false
    }

    private let state = Mutex(State())

    package init() {}

    /// The listing ended before its last page because the run was stopped.
    package var stoppedListing: Bool { state.withLock { $0.stoppedListing } }
    /// More distinct workflows came than `--max` allows; those past it were not listed or sent.
    package var overMax: Bool { state.withLock { $0.overMax } }

    func listingStopped() { state.withLock { $0.stoppedListing = true } }
    func reachedMax() { state.withLock { $0.overMax = true } }
}
