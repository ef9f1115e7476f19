import Foundation
import SweepCSV
import SweepCore
import SweepGRPC

/// The random scenarios of ``InvariantPropertyTests``: inputs, failures, stops and crashes.
extension InvariantPropertyTests {
    /// IDs that have broken files before: formula characters, quotes, commas, spaces, non-ASCII.
    static let awkward = [
        "=x", "+15551234", "-1", "@sum", "'quoted", "a,b", "say \"hi\"", " padded ", "ünï", "tab\t", "\tlead",
        "new\nline",
    ]

    struct Scenario {
        var action: Action
        var input: [String]
        var maximum: Int?
        var scripts: [String: [RPCError?]] = [:]
        var statuses: [String: WorkflowStatus] = [:]
        var stopAfterCalls: Int?
        /// `--wait`: follow up what was acted on (and, resumed, what an earlier run did not see close).
        var wait = false
        /// A crash (`kill -9`) instead of a graceful stop: the report keeps only this share of run
        /// 1's rows (the rest were in flight), and some workflows run 1 acted on are started
        /// again by someone else before the resume.
        var crashKeeps: Double?
        var restartOneIn = 2
    }

    static func scenario(seed: UInt64) -> Scenario {
        var random = SeededGenerator(seed: seed)
        let distinct = Int.random(in: 1...24, using: &random)
        let ids = (0..<distinct).map { index in
            index < awkward.count && Bool.random(using: &random) ? "\(index)-\(awkward[index])" : "w\(index)"
        }
        var input: [String] = []
        for id in ids {
            input.append(id)
            // Duplicates near (right after) and far (at a random later place).
            if Int.random(in: 0..<5, using: &random) == 0 { input.append(id) }
        }
        for _ in 0..<Int.random(in: 0...4, using: &random) {
            input.insert(ids.randomElement(using: &random) ?? "w0", at: Int.random(in: 0...input.count, using: &random))
        }
        var scenario = Scenario(action: Bool.random(using: &random) ? .cancel : .terminate, input: input)
        // Every distinct ID is given once before any duplicate of it can cross the cap.
        let firstOccurrences = input.reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        if Int.random(in: 0..<4, using: &random) == 0 {
            scenario.maximum = Int.random(in: 1...firstOccurrences.count + 2, using: &random)
        }
        let transient: [RPCError] = [
            RPCError(code: .unavailable, message: "connection reset"),
            RPCError(code: .resourceExhausted, message: "namespace rate limit exceeded"),
            RPCError(code: .aborted, message: "conflict"),
            RPCError(code: .deadlineExceeded, message: "deadline exceeded"),
            // Ambiguous failures that took effect before the connection failed.
            RPCError(code: .deadlineExceeded, message: ScriptedWorkflowService.landedPrefix + " deadline exceeded"),
            RPCError(code: .unavailable, message: ScriptedWorkflowService.landedPrefix + " connection reset"),
        ]
        for id in ids {
            switch Int.random(in: 0..<10, using: &random) {
            case 0: scenario.statuses[id] = .unspecified
            case 1: scenario.statuses[id] = .completed
            case 2: scenario.scripts[id] = [RPCError(code: .invalidArgument, message: "refused")]
            case 3...5:
                scenario.scripts[id] = (0..<Int.random(in: 1...3, using: &random)).map { _ in
                    transient.randomElement(using: &random)
                }
            default: break
            }
        }
        if Bool.random(using: &random) {
            scenario.stopAfterCalls = Int.random(in: 1...max(1, input.count), using: &random)
        }
        scenario.wait = Int.random(in: 0..<3, using: &random) == 0
        if Bool.random(using: &random) {
            scenario.crashKeeps = Double.random(in: 0...1, using: &random)
            scenario.restartOneIn = Int.random(in: 1...3, using: &random)
        }
        return scenario
    }

    /// Cuts the report back to its header and first `keepingRows` rows, as a crash leaves it.
    func crash(_ path: String, keepingRows: Int) throws {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let reader = CSVReader()
        let records = try reader.parse(Array(bytes)) + reader.finish()
        let end = records[min(keepingRows, records.count - 1)].endOffset
        try bytes.prefix(end).write(to: URL(fileURLWithPath: path))
    }
}
