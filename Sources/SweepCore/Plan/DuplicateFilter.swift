import Foundation

/// How a job stream tells a workflow (and run) it handed out before from a new one, exactly and,
/// for a file of a million IDs, in little memory and time.
///
/// A listing, or a few IDs on the command line, keep every key (``Mode/exact``). A file is read
/// twice anyway (validated in full by the survey before anything is sent, then streamed), so the
/// survey's pass only collects a 64-bit fingerprint per key (``Mode/fingerprints``: 8 bytes each,
/// appended in 256 buckets, then sorted to find the fingerprints met more than once). When one
/// repeats, a second pass of the survey counts exactly. The run's pass (``Mode/surveyed(_:)``)
/// then knows that a key whose fingerprint came once is new without looking, and keeps exactly
/// only the keys behind a repeated fingerprint: real duplicates, and (about once in 10^7 files of
/// a million IDs) two IDs that share a fingerprint, which the exact comparison keeps apart. A
/// fingerprint the survey never met, or met once and now meets twice, or an input that ends
/// before the survey's count, means the file changed after it was validated: the pass stops there
/// (``InputChanged``) rather than act on lines nobody confirmed, send a duplicate twice, or end
/// without a word for lines that went missing. Keys are compared byte for byte (``ExactKey``).
package struct DuplicateFilter {
    package enum Mode: Sendable {
        /// Every key kept.
        case exact
        /// A first pass over a file: every job is taken as new and its fingerprint collected;
        /// ``surveyedFingerprints()`` then tells what was met, and what more than once.
        case fingerprints
        /// A later pass over the same input.
        case surveyed(SurveyedFingerprints)
    }

    /// A later pass met a key the survey did not, or ended before the survey's last: the input
    /// changed after it was validated.
    package struct InputChanged: Error {}

    private var mode: Mode
    private var keys: Set<ExactKey> = []
    private lazy var collected = FingerprintBuckets()
    /// In ``Mode/surveyed(_:)``: one bit per surveyed fingerprint, set once its key was met (125 KiB
    /// per million), so that a key met once by the survey and twice now is caught.
    private var sightings: [UInt64] = []
    /// Keys met so far (duplicates included), to compare with the survey's at the end.
    private var met = 0

    package init(_ mode: Mode) {
        self.mode = mode
        if case .surveyed(let surveyed) = mode {
            sightings = [UInt64](repeating: 0, count: (surveyed.all.count + 63) / 64)
        }
    }

    /// Whether `job` is new (and from now on remembered).
    /// - Throws: ``InputChanged`` in ``Mode/surveyed(_:)`` for a key the survey did not meet.
    package mutating func insert(_ job: Job) throws(InputChanged) -> Bool {
        switch mode {
        case .exact:
            return keys.insert(job.deduplicationKey).inserted
        case .fingerprints:
            collected.append(Self.fingerprint(job.target))
            return true
        case .surveyed(let surveyed):
            met += 1
            let fingerprint = Self.fingerprint(job.target)
            guard let index = surveyed.index(of: fingerprint) else { throw InputChanged() }
            if surveyed.repeated.contains(fingerprint) {
                return keys.insert(job.deduplicationKey).inserted
            }
            // A fingerprint the survey met once belongs to this key alone, met once.
            let (word, bit) = (index / 64, UInt64(1) << (index % 64))
            guard sightings[word] & bit == 0 else { throw InputChanged() }
            sightings[word] |= bit
            return true
        }
    }

    /// The input ended: in ``Mode/surveyed(_:)``, it must have held as many keys as the survey met.
    /// - Throws: ``InputChanged`` for an input that lost lines since the survey.
    package func finish() throws(InputChanged) {
        guard case .surveyed(let surveyed) = mode, met != surveyed.all.count else { return }
        throw InputChanged()
    }

    /// In ``Mode/fingerprints``: what was collected (empty in other modes).
    package mutating func surveyedFingerprints() -> SurveyedFingerprints {
        guard case .fingerprints = mode else { return SurveyedFingerprints() }
        return collected.surveyed()
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

/// What a survey's first pass learned about an input's keys: every fingerprint, sorted (8 bytes
/// per key), and those met more than once (see ``DuplicateFilter``).
package struct SurveyedFingerprints: Sendable, Hashable {
    /// Every fingerprint, in ascending order.
    package var all: [UInt64] = []
    package var repeated: Set<UInt64> = []

    package init(all: [UInt64] = [], repeated: Set<UInt64> = []) {
        self.all = all
        self.repeated = repeated
    }

    /// Whether the survey met `fingerprint`.
    package func contains(_ fingerprint: UInt64) -> Bool {
        index(of: fingerprint) != nil
    }

    /// Where `fingerprint` first is in ``all``, if the survey met it.
    func index(of fingerprint: UInt64) -> Int? {
        var low = 0
        var high = all.count
        while low < high {
            let middle = (low + high) / 2
            if all[middle] < fingerprint { low = middle + 1 } else { high = middle }
        }
        return low < all.count && all[low] == fingerprint ? low : nil
    }
}

/// 64-bit fingerprints collected in 256 buckets by their top byte: appending writes memory in
/// order (a hash table would miss the cache on nearly every insert of a million), and each bucket
/// is sorted on its own at the end. Buckets live in anonymous mappings that double as they fill
/// (the kernel backs only the pages written, and an outgrown mapping is returned at once), so a
/// million fingerprints take about 8 MiB.
package final class FingerprintBuckets {
    private struct Bucket {
        var start: UnsafeMutablePointer<UInt64>
        var count = 0
        var capacity: Int
        var isMapped: Bool
    }

    private let buckets: UnsafeMutableBufferPointer<Bucket>
    private let mapsMemory: Bool

    /// - Parameters:
    ///   - initialCapacity: fingerprints per bucket before it first grows.
    ///   - mapsMemory: `false` takes the buckets from the heap (what happens when mapping fails).
    package init(initialCapacity: Int = 8192, mapsMemory: Bool = true) {
        self.mapsMemory = mapsMemory
        buckets = .allocate(capacity: 256)
        for index in 0..<256 {
            (buckets.baseAddress! + index).initialize(to: Self.reserve(max(1, initialCapacity), mapping: mapsMemory))
        }
    }

    deinit {
        for bucket in buckets { Self.release(bucket) }
        buckets.deallocate()
    }

    package func append(_ fingerprint: UInt64) {
        let bucket = buckets.baseAddress! + Int(truncatingIfNeeded: fingerprint >> 56)
        if bucket.pointee.count == bucket.pointee.capacity {
            var grown = Self.reserve(bucket.pointee.capacity * 2, mapping: mapsMemory)
            grown.start.update(from: bucket.pointee.start, count: bucket.pointee.count)
            grown.count = bucket.pointee.count
            Self.release(bucket.pointee)
            bucket.pointee = grown
        }
        (bucket.pointee.start + bucket.pointee.count).pointee = fingerprint
        bucket.pointee.count += 1
    }

    package var count: Int { buckets.reduce(0) { $0 + $1.count } }

    /// Every fingerprint sorted, and the ones appended more than once. Empties the buckets (each is
    /// returned once copied, so that the sorted copy is the only one of any size).
    package func surveyed() -> SurveyedFingerprints {
        var surveyed = SurveyedFingerprints()
        surveyed.all.reserveCapacity(count)
        let scratch = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: buckets.map(\.count).max() ?? 0)
        defer { scratch.deallocate() }
        for index in buckets.indices {
            let values = UnsafeMutableBufferPointer(start: buckets[index].start, count: buckets[index].count)
            Self.radixSort(values, scratch: scratch)
            for position in values.indices.dropFirst() where values[position] == values[position - 1] {
                surveyed.repeated.insert(values[position])
            }
            // The buckets hold ascending top bytes: appended in order, the whole is sorted.
            surveyed.all.append(contentsOf: values)
            Self.release(buckets[index])
            buckets[index] = Self.reserve(1, mapping: false)
        }
        return surveyed
    }

    /// Sorts `values` ascending: least significant byte first, eight passes through `scratch`
    /// (at least as large), a pass skipped when every value shares its byte (the top one does, in
    /// a bucket). About three times as fast as the standard library's merge sort on random keys.
    package static func radixSort(
        _ values: UnsafeMutableBufferPointer<UInt64>, scratch: UnsafeMutableBufferPointer<UInt64>
    ) {
        precondition(
            values.count <= 1 || scratch.count >= values.count,
            "radixSort: scratch of \(scratch.count) for \(values.count) values")
        guard values.count > 1, let valuesBase = values.baseAddress, let scratchBase = scratch.baseAddress else {
            return
        }
        var source = valuesBase
        var target = scratchBase
        var counts = [Int](repeating: 0, count: 256)
        for shift in stride(from: 0, to: 64, by: 8) {
            counts.withUnsafeMutableBufferPointer { counts in
                counts.update(repeating: 0)
                for position in 0..<values.count { counts[Int((source[position] >> UInt64(shift)) & 0xFF)] += 1 }
                guard counts[Int((source[0] >> UInt64(shift)) & 0xFF)] != values.count else { return }
                var offset = 0
                for digit in 0..<256 {
                    let count = counts[digit]
                    counts[digit] = offset
                    offset += count
                }
                for position in 0..<values.count {
                    let value = source[position]
                    let digit = Int((value >> UInt64(shift)) & 0xFF)
                    target[counts[digit]] = value
                    counts[digit] += 1
                }
                swap(&source, &target)
            }
        }
        if source != valuesBase { valuesBase.update(from: source, count: values.count) }
    }

    /// Room for `capacity` fingerprints: a mapping (its pages backed as they are written), or,
    /// should mapping fail or not be wanted, the heap.
    private static func reserve(_ capacity: Int, mapping: Bool) -> Bucket {
        if mapping {
            let bytes = capacity * MemoryLayout<UInt64>.stride
            let mapped = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
            if let mapped, mapped != MAP_FAILED {
                return Bucket(start: mapped.assumingMemoryBound(to: UInt64.self), capacity: capacity, isMapped: true)
            }
        }
        return Bucket(start: .allocate(capacity: capacity), capacity: capacity, isMapped: false)
    }

    private static func release(_ bucket: Bucket) {
        if bucket.isMapped {
            munmap(bucket.start, bucket.capacity * MemoryLayout<UInt64>.stride)
        } else {
            bucket.start.deallocate()
        }
    }
}
