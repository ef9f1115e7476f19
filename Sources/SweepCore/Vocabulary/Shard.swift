/// `--shard i/n`: this host's share of a job set that n hosts split between them, each taking the
/// workflow IDs whose stable hash falls to its index. Every ID falls to exactly one shard, whatever
/// host, process or sweep version computes it, so n runs over one query or CSV neither overlap nor
/// leave a gap.
///
/// The hash is 64-bit FNV-1a over the ID's UTF-8 bytes, taken modulo n: documented, so that other
/// tools can split the same way. It is the workflow ID alone (not the run): every run of a
/// workflow falls to the same shard, so duplicates and `--resume` stay within one host.
package struct Shard: Sendable, Hashable, CustomStringConvertible {
    /// 0-based, below ``count`` (Kubernetes' `JOB_COMPLETION_INDEX` is 0-based too).
    package let index: Int
    package let count: Int

    package init(index: Int, count: Int) throws(SweepError) {
        guard count >= 1, index >= 0, index < count else {
            throw SweepError(
                .usage,
                "--shard \(index)/\(count): the index must be 0 to \(max(count, 1) - 1) and the count at least 1")
        }
        self.index = index
        self.count = count
    }

    /// Parses `i/n`.
    package init(parsing text: String) throws(SweepError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]) else {
            throw SweepError(.usage, "--shard takes INDEX/COUNT, e.g. 0/4 (0-based), not '\(text.escapedForTerminal)'")
        }
        try self.init(index: index, count: count)
    }

    /// The shard that `workflowID` falls to.
    package static func index(of workflowID: String, count: Int) -> Int {
        Int(fnv1a64(workflowID) % UInt64(count))
    }

    /// Whether `workflowID` is this shard's.
    package func contains(_ workflowID: String) -> Bool {
        count == 1 || Self.index(of: workflowID, count: count) == index
    }

    /// 64-bit FNV-1a of the UTF-8 bytes.
    package static func fnv1a64(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        var text = text
        text.withUTF8 { bytes in
            for byte in bytes {
                hash ^= UInt64(byte)
                hash &*= 0x0000_0100_0000_01b3
            }
        }
        return hash
    }

    package var description: String { "\(index)/\(count)" }
}
