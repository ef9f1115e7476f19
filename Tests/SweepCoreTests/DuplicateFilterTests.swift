import Foundation
import SweepCore
import Testing

@Suite("duplicates: exact, and compact for a file")
struct DuplicateFilterTests {
    private let composed = "caf\u{E9}"
    private let decomposed = "cafe\u{301}"

    private func job(_ id: String, run: String? = nil) -> Job {
        Job(target: WorkflowTarget(workflowID: id, runID: run))
    }

    @Test(
        "the buckets' radix sort agrees with the standard sort: random keys, one shared top byte, repeats, 0 and 1 keys"
    )
    func radixSort() {
        var generator = SystemRandomNumberGenerator()
        let scratch = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: 5000)
        defer { scratch.deallocate() }
        let top: UInt64 = 0xAB << 56
        let inputs: [[UInt64]] = [
            [], [42], [3, 1, 2, 1, 3],
            (0..<5000).map { _ in UInt64.random(in: 0...UInt64.max, using: &generator) },
            (0..<4000).map { _ in top | UInt64.random(in: 0..<(1 << 56), using: &generator) },
            (0..<3000).map { _ in top | UInt64.random(in: 0..<16, using: &generator) },
            [UInt64](repeating: .max, count: 100),
        ]
        for input in inputs {
            var values = input
            values.withUnsafeMutableBufferPointer { FingerprintBuckets.radixSort($0, scratch: scratch) }
            #expect(values == input.sorted(), "\(input.count) keys")
        }
    }

    @Test("keys compare byte for byte: é precomposed and e with a combining accent are two workflow IDs")
    func exactKey() {
        #expect(composed == decomposed, "the premise: Swift's String equality is canonical equivalence")
        #expect(ExactKey(composed) != ExactKey(decomposed))
        #expect(Set([ExactKey(composed), ExactKey(decomposed), ExactKey(composed)]).count == 2)
        #expect(ExactKey(workflowID: "a", runID: nil) == ExactKey(workflowID: "a", runID: ""))
        #expect(ExactKey(workflowID: "a", runID: "r") != ExactKey(workflowID: "a", runID: nil))
    }

    @Test(
        "every mode agrees with exact keys; the survey's pass notes only the fingerprints that repeat",
        arguments: 0..<40)
    func modesAgree(seed: UInt64) {
        var random = SeededGenerator(seed: seed)
        let alphabet = ["a", "b", composed, decomposed, "a\u{0}", "order-1", "order-10"]
        let jobs = (0..<Int.random(in: 0...60, using: &random)).map { _ in
            job(alphabet.randomElement(using: &random) ?? "a", run: Bool.random(using: &random) ? nil : "r1")
        }
        var exact = DuplicateFilter(.exact)
        let expected = jobs.map { (try? exact.insert($0)) ?? false }

        var survey = DuplicateFilter(.fingerprints)
        #expect(jobs.allSatisfy { (try? survey.insert($0)) == true }, "the first pass takes every line as new")
        let repeatedKeys = Set(jobs.map(\.deduplicationKey)).filter { key in
            jobs.filter { $0.deduplicationKey == key }.count > 1
        }
        let surveyed = survey.surveyedFingerprints()
        #expect(surveyed.repeated.count == repeatedKeys.count)
        #expect(surveyed.all.count == jobs.count && surveyed.all == surveyed.all.sorted())

        var run = DuplicateFilter(.surveyed(surveyed))
        #expect(jobs.map { (try? run.insert($0)) ?? false } == expected)
        // A key the survey never met: the input changed after it was validated.
        #expect(throws: DuplicateFilter.InputChanged.self) { try run.insert(job("not-in-the-survey")) }
    }

    @Test(
        "the fingerprint buckets keep every value, sorted, and find exactly the repeated ones, mapped or on the heap, growing from one",
        arguments: [true, false])
    func fingerprintBuckets(mapsMemory: Bool) {
        let buckets = FingerprintBuckets(initialCapacity: 1, mapsMemory: mapsMemory)
        var random = SeededGenerator(seed: 11)
        let values = (0..<60_000).map { _ in random.next() }
        for value in values { buckets.append(value) }
        let repeatedOnes = values.prefix(1000).enumerated().filter { $0.offset % 7 == 0 }.map(\.element)
        for value in repeatedOnes { buckets.append(value) }
        for value in repeatedOnes.prefix(10) { buckets.append(value) }
        #expect(buckets.count == 60_000 + repeatedOnes.count + 10)
        let surveyed = buckets.surveyed()
        #expect(surveyed.repeated == Set(repeatedOnes))
        #expect(surveyed.all == (values + repeatedOnes + repeatedOnes.prefix(10)).sorted())
        #expect(values.prefix(500).allSatisfy(surveyed.contains))
        #expect(!surveyed.contains(0) || values.contains(0))
    }

    @Test("a file that changes after its survey stops the run's pass at the first line it did not validate")
    func changedInput() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("changed-\(UUID()).csv").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "workflow_id\na\nb\n".write(toFile: path, atomically: true, encoding: .utf8)
        let planner = Planner(service: ScriptedWorkflowService())
        let survey = try await planner.survey(.csvFile(path: path))
        try "workflow_id\na\nb\na\nc\n".write(toFile: path, atomically: true, encoding: .utf8)
        var seen: [String] = []
        let error = await #expect(throws: SweepError.self) {
            for try await job in planner.jobs(.csvFile(path: path), survey: survey) {
                seen.append(job.target.workflowID)
            }
        }
        // The survey met a once: met again, it is not taken as new (it would be sent twice).
        #expect(seen == ["a", "b"])
        #expect(
            error?.message.contains("changed after it was validated (line 4") == true, "\(String(describing: error))")

        // A line the survey never met stops the pass too.
        try "workflow_id\na\nc\n".write(toFile: path, atomically: true, encoding: .utf8)
        let never = await #expect(throws: SweepError.self) {
            for try await _ in planner.jobs(.csvFile(path: path), survey: survey) {}
        }
        #expect(never?.message.contains("(line 3") == true)
    }

    @Test("a CSV survey counts duplicates exactly, and the run's pass marks the same lines")
    func surveyAndRunAgree() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("dup-\(UUID()).csv").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try (["workflow_id", "a", composed, "b", "a", decomposed, "b", "c"].joined(separator: "\n") + "\n")
            .write(toFile: path, atomically: true, encoding: .utf8)
        let planner = Planner(service: ScriptedWorkflowService())
        let survey = try await planner.survey(.csvFile(path: path))
        #expect(survey.count == 5)
        #expect(survey.duplicates == 2)
        #expect(survey.fingerprints?.repeated.count == 2)
        var marks: [Bool] = []
        for try await job in planner.jobs(.csvFile(path: path), survey: survey) { marks.append(job.isDuplicate) }
        #expect(marks == [false, false, false, true, false, true, false])
    }
}
