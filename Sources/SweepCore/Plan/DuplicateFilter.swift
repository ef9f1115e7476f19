import Foundation

/// How a job stream tells a workflow (and run) it handed out before from a new one, exactly and,
/// for a file of a million IDs, in little memory.
///
/// A listing, or a few IDs on the command line, keep every key (``Mode/exact``). A file is read
/// twice anyway (validated in full by the survey before anything is sent, then streamed), so its
/// survey keeps only a 64-bit fingerprint per key (``Mode/fingerprints``, about 10 bytes each
/// against about 60 for a key) and notes the fingerprints met more than once. Later passes
/// (``Mode/repeated(_:)``) then know that a key whose fingerprint the survey met once is new
/// without looking, and keep exactly only the keys behind a repeated fingerprint: real duplicates,
/// and (rarely, about once in 10^7 files of a million IDs) two IDs that share a fingerprint, which
/// the exact comparison keeps apart. Keys are compared byte for byte (``ExactKey``).
package struct DuplicateFilter {
    package enum Mode: Sendable {
        /// Every key kept.
        case exact
        /// A first pass over a file: fingerprints only; a fingerprint met again is reported as a
        /// duplicate and noted in ``repeatedFingerprints`` (the survey checks them exactly).
        case fingerprints
        /// A later pass: the fingerprints an earlier pass met more than once.
        case repeated(RepeatedFingerprints)
    }

    private var mode: Mode
    private var keys: Set<ExactKey> = []
    private lazy var table = FingerprintTable()
    /// In ``Mode/fingerprints``, the fingerprints met more than once so far.
    package private(set) var repeatedFingerprints = RepeatedFingerprints()

    package init(_ mode: Mode) {
        self.mode = mode
    }

    /// Whether `job` is new (and from now on remembered).
    package mutating func insert(_ job: Job) -> Bool {
        switch mode {
        case .exact:
            return keys.insert(job.deduplicationKey).inserted
        case .fingerprints:
            let fingerprint = Self.fingerprint(job.target)
            if table.insert(fingerprint) { return true }
            repeatedFingerprints.values.insert(fingerprint)
            return false
        case .repeated(let repeated):
            // A fingerprint the earlier pass met once belongs to this key alone. (Should the file
            // have changed between the passes, a key repeated only now is taken as new: acted on
            // again rather than reported a duplicate it may not be.)
            guard repeated.values.contains(Self.fingerprint(job.target)) else { return true }
            return keys.insert(job.deduplicationKey).inserted
        }
    }

    /// The key's fingerprint: SipHash of its bytes under this process's random seed (so a file
    /// cannot be crafted to collide), the same in every pass of one run.
    static func fingerprint(_ target: WorkflowTarget) -> UInt64 {
        var hasher = Hasher()
        var workflowID = target.workflowID
        workflowID.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        // As in ``ExactKey``: no run and an empty run are one key.
        hasher.combine(UInt8(0))
        var runID = target.runID ?? ""
        runID.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        return UInt64(truncatingIfNeeded: hasher.finalize())
    }
}

/// The fingerprints a survey met more than once (see ``DuplicateFilter``).
package struct RepeatedFingerprints: Sendable, Hashable {
    package var values: Set<UInt64> = []

    package init() {}

    package var isEmpty: Bool { values.isEmpty }
}

/// A set of 64-bit fingerprints in about 10 bytes each: 256 open-addressing tables with linear
/// probing, each grown when 85 % full (doubled up to 16 KiB, then by a quarter). Each table lives in its own anonymous memory
/// mapping, unmapped when it grows, so that the process holds what the set holds (a 1M-key set
/// about 11 MiB) and not the freed tables the allocator would keep.
package final class FingerprintTable {
    private var shards: [Shard] = (0..<256).map { _ in Shard(capacity: 512) }

    package init() {}

    deinit {
        for shard in shards { shard.unmap() }
    }

    /// - Returns: whether `fingerprint` is new. Fingerprints that differ only in their lowest bit
    ///   count as one (0 marks an empty slot); callers check repeats exactly.
    package func insert(_ fingerprint: UInt64) -> Bool {
        let value = fingerprint | 1
        let index = Int(truncatingIfNeeded: value >> 56)
        if (shards[index].count + 1) * 100 > shards[index].slots.count * 85 {
            let capacity = shards[index].slots.count
            let grown = Shard(capacity: capacity < 2048 ? capacity * 2 : capacity + capacity / 4)
            for slot in shards[index].slots where slot != 0 { _ = grown.insert(slot) }
            grown.count = shards[index].count
            shards[index].unmap()
            shards[index] = grown
        }
        return shards[index].insert(value)
    }

    package var count: Int { shards.reduce(0) { $0 + $1.count } }

    private final class Shard {
        let slots: UnsafeMutableBufferPointer<UInt64>
        var count = 0

        /// Zeroed slots, from the kernel (or the heap, should mapping fail).
        init(capacity: Int) {
            let bytes = capacity * MemoryLayout<UInt64>.stride
            let mapped = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
            if let mapped, mapped != MAP_FAILED {
                slots = UnsafeMutableBufferPointer(start: mapped.assumingMemoryBound(to: UInt64.self), count: capacity)
            } else {
                slots = .allocate(capacity: capacity)
                slots.initialize(repeating: 0)
                isHeap = true
            }
        }

        private var isHeap = false

        func unmap() {
            if isHeap {
                slots.deallocate()
            } else {
                munmap(slots.baseAddress, slots.count * MemoryLayout<UInt64>.stride)
            }
        }

        func insert(_ value: UInt64) -> Bool {
            // The bits below the shard's, scaled to the table (any size, no modulo).
            var index = Int(truncatingIfNeeded: (value << 8).multipliedFullWidth(by: UInt64(slots.count)).high)
            while true {
                let slot = slots[index]
                if slot == 0 {
                    slots[index] = value
                    count += 1
                    return true
                }
                if slot == value { return false }
                index += 1
                if index == slots.count { index = 0 }
            }
        }
    }
}
