import Foundation

/// How a job stream tells a workflow (and run) it handed out before from a new one, exactly and,
/// for a file of a million IDs, in little memory and time.
///
/// A listing, or a few IDs on the command line, keep every key (``Mode/exact``). A file is read
/// twice anyway (validated in full by the survey before anything is sent, then streamed), so the
/// survey's pass only collects a 64-bit fingerprint per key (``Mode/fingerprints``: 8 bytes each,
/// appended in 256 buckets, then sorted to find the fingerprints met more than once). When one
/// repeats, a second pass of the survey counts exactly. The run's pass (``Mode/repeated(_:)``)
/// then knows that a key whose fingerprint came once is new without looking, and keeps exactly
/// only the keys behind a repeated fingerprint: real duplicates, and (about once in 10^7 files of
/// a million IDs) two IDs that share a fingerprint, which the exact comparison keeps apart. Keys
/// are compared byte for byte (``ExactKey``).
package struct DuplicateFilter {
    package enum Mode: Sendable {
        /// Every key kept.
        case exact
        /// A first pass over a file: every job is taken as new and its fingerprint collected;
        /// ``repeatedFingerprints()`` then tells which came more than once.
        case fingerprints
        /// A later pass: the fingerprints an earlier pass met more than once.
        case repeated(RepeatedFingerprints)
    }

    private var mode: Mode
    private var keys: Set<ExactKey> = []
    private lazy var collected = FingerprintBuckets()

    package init(_ mode: Mode) {
        self.mode = mode
    }

    /// Whether `job` is new (and from now on remembered).
    package mutating func insert(_ job: Job) -> Bool {
        switch mode {
        case .exact:
            return keys.insert(job.deduplicationKey).inserted
        case .fingerprints:
            collected.append(Self.fingerprint(job.target))
            return true
        case .repeated(let repeated):
            // A fingerprint the earlier pass met once belongs to this key alone. (Should the file
            // have changed between the passes, a key repeated only now is taken as new: acted on
            // again rather than reported a duplicate it may not be.)
            guard repeated.values.contains(Self.fingerprint(job.target)) else { return true }
            return keys.insert(job.deduplicationKey).inserted
        }
    }

    /// In ``Mode/fingerprints``: the fingerprints collected more than once (empty in other modes).
    package mutating func repeatedFingerprints() -> RepeatedFingerprints {
        guard case .fingerprints = mode else { return RepeatedFingerprints() }
        return collected.repeated()
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

/// 64-bit fingerprints collected in 256 buckets by their top byte: appending writes memory in
/// order (a hash table would miss the cache on nearly every insert of a million), and each bucket
/// is sorted on its own at the end to find repeats. Each bucket is a reservation of address space
/// (64 MiB, `MAP_NORESERVE`) that the kernel backs page by page as it fills, so a million
/// fingerprints take 8 MiB of memory and growing never copies (a bucket that outgrows its
/// reservation, past half a billion fingerprints in all, moves to one twice as large).
package final class FingerprintBuckets {
    private struct Bucket {
        var start: UnsafeMutablePointer<UInt64>
        var count = 0
        var capacity: Int
        var isMapped = true
    }

    private let buckets: UnsafeMutableBufferPointer<Bucket>
    private static let reservation = 8 * 1024 * 1024

    package init() {
        buckets = .allocate(capacity: 256)
        for index in 0..<256 {
            (buckets.baseAddress! + index).initialize(to: Self.reserve(Self.reservation))
        }
    }

    deinit {
        for bucket in buckets { Self.release(bucket) }
        buckets.deallocate()
    }

    package func append(_ fingerprint: UInt64) {
        let bucket = buckets.baseAddress! + Int(truncatingIfNeeded: fingerprint >> 56)
        if bucket.pointee.count == bucket.pointee.capacity {
            var grown = Self.reserve(max(Self.reservation, bucket.pointee.capacity * 2))
            grown.start.update(from: bucket.pointee.start, count: bucket.pointee.count)
            grown.count = bucket.pointee.count
            Self.release(bucket.pointee)
            bucket.pointee = grown
        }
        (bucket.pointee.start + bucket.pointee.count).pointee = fingerprint
        bucket.pointee.count += 1
    }

    package var count: Int { buckets.reduce(0) { $0 + $1.count } }

    /// The fingerprints appended more than once. Sorts the buckets in place.
    package func repeated() -> RepeatedFingerprints {
        var repeated = RepeatedFingerprints()
        for bucket in buckets {
            var values = UnsafeMutableBufferPointer(start: bucket.start, count: bucket.count)
            values.sort()
            for position in values.indices.dropFirst() where values[position] == values[position - 1] {
                repeated.values.insert(values[position])
            }
        }
        return repeated
    }

    /// Address space for `capacity` fingerprints, backed as it is written (or, should mapping
    /// fail, `capacity` from the heap: correct, only not as frugal).
    private static func reserve(_ capacity: Int) -> Bucket {
        let bytes = capacity * MemoryLayout<UInt64>.stride
        let mapped = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)
        if let mapped, mapped != MAP_FAILED {
            return Bucket(start: mapped.assumingMemoryBound(to: UInt64.self), capacity: capacity)
        }
        let fallback = min(capacity, 64 * 1024)
        return Bucket(start: .allocate(capacity: fallback), capacity: fallback, isMapped: false)
    }

    private static func release(_ bucket: Bucket) {
        if !bucket.isMapped {
            bucket.start.deallocate()
        } else {
            munmap(bucket.start, bucket.capacity * MemoryLayout<UInt64>.stride)
        }
    }
}
