import Synchronization

/// What a job source learned while it was read that the summary must tell: a listing stopped
/// early by a graceful stop, a job set that grew past `--max` after it was counted, what other
/// shards take.
package final class SourceProgress: Sendable {
    private struct State {
        var stoppedListing = false
        var overMax = false
        var otherShards = 0
    }

    private let state = Mutex(State())

    package init() {}

    /// The listing ended before its last page because the run was stopped.
    package var stoppedListing: Bool { state.withLock { $0.stoppedListing } }
    /// More distinct workflows came than `--max` allows; those past it were not listed or sent.
    package var overMax: Bool { state.withLock { $0.overMax } }

    /// Entries read from the source (IDs, listed runs, repeats included) that fall to other shards
    /// (`--shard`): left to their hosts.
    package var otherShards: Int { state.withLock { $0.otherShards } }
    func leftToOtherShard() { state.withLock { $0.otherShards += 1 } }
    func listingStopped() { state.withLock { $0.stoppedListing = true } }
    func reachedMax() { state.withLock { $0.overMax = true } }
}
