import Foundation

/// The jobs in what `temporal workflow list -o jsonl` (one execution per line, streamed) or
/// `-o json` (one array, read whole: use jsonl for very large listings) writes, so that its
/// output pipes straight into `sweep ... --input -`. Each entry names a run, so each job is
/// pinned to it: if a newer run has replaced it since the listing, it is reported `run_changed`
/// and left alone, as for a plan.
package struct JSONJobs: AsyncSequence, Sendable {
    package typealias Element = Job

    package let path: String
    package let isArray: Bool

    /// What a file starts with, to tell JSON from CSV: `{"` (JSON Lines) or `[{` / `[]` (an array),
    /// whitespace allowed around the brackets, after an optional UTF-8 byte order mark. A CSV
    /// whose first ID merely starts with `{` or `[` (`{3F25...}`, `[batch] 7`) stays a CSV.
    package enum Format: Sendable {
        case jsonArray
        case jsonLines
        case other

        package init(path: String) {
            guard let handle = FileHandle(forReadingAtPath: path) else {
                self = .other
                return
            }
            defer { try? handle.close() }
            let head = Array((try? handle.read(upToCount: 4096)) ?? Data())
            let whitespace: Set<UInt8> = [0x20, 0x09, 0x0A, 0x0D]
            var bytes = head[...]
            if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
            bytes = bytes.drop { whitespace.contains($0) }
            guard let first = bytes.first else {
                self = .other
                return
            }
            let next = bytes.dropFirst().first { !whitespace.contains($0) }
            switch (first, next) {
            case (UInt8(ascii: "["), UInt8(ascii: "{")?), (UInt8(ascii: "["), UInt8(ascii: "]")?),
                (UInt8(ascii: "["), UInt8(ascii: "\"")?):
                self = .jsonArray
            case (UInt8(ascii: "{"), UInt8(ascii: "\"")?): self = .jsonLines
            default: self = .other
            }
        }
    }

    package init(path: String, isArray: Bool) {
        self.path = path
        self.isArray = isArray
    }

    package func makeAsyncIterator() -> Iterator {
        Iterator(path: path, isArray: isArray)
    }

    /// One execution as the Temporal CLI prints it (only what sweep reads).
    struct ListedExecution: Decodable {
        struct Execution: Decodable {
            var workflowId: String?
            var runId: String?
        }
        struct WorkflowType: Decodable {
            var name: String?
        }
        var execution: Execution?
        var type: WorkflowType?
    }

    package struct Iterator: AsyncIteratorProtocol {
        private let path: String
        private let isArray: Bool
        private var lines: FileLines?
        private var array: IndexingIterator<[ListedExecution]>?
        private var index = 0

        init(path: String, isArray: Bool) {
            self.path = path
            self.isArray = isArray
        }

        package mutating func next() async throws -> Job? {
            if isArray {
                if array == nil {
                    let data: Data
                    do {
                        data = try Data(contentsOf: URL(fileURLWithPath: path))
                    } catch {
                        throw SweepError(.input, "\(path): cannot read the file: \(error.localizedDescription)")
                    }
                    do {
                        array = try JSONDecoder().decode([ListedExecution].self, from: data).makeIterator()
                    } catch {
                        throw SweepError(
                            .input,
                            "\(path): not a JSON array of executions as `temporal workflow list -o json` writes (\(Self.describe(error)))"
                        )
                    }
                }
                guard let entry = array?.next() else { return nil }
                index += 1
                return try job(entry, at: "item \(index)", line: index)
            }
            if lines == nil {
                guard let opened = FileLines(path: path) else {
                    throw SweepError(
                        .input, "\(path): cannot open the file for reading; check the path and permissions")
                }
                lines = opened
            }
            while let (number, line) = try lines?.next() {
                guard !line.allSatisfy(\.isWhitespace) else { continue }
                let entry: ListedExecution
                do {
                    entry = try JSONDecoder().decode(ListedExecution.self, from: Data(line.utf8))
                } catch {
                    throw SweepError(
                        .input,
                        "\(path):\(number): not a JSON execution as `temporal workflow list -o jsonl` writes (\(Self.describe(error)))"
                    )
                }
                return try job(entry, at: "line \(number)", line: number)
            }
            return nil
        }

        private func job(_ entry: ListedExecution, at place: String, line: Int) throws(SweepError) -> Job {
            guard let workflowID = entry.execution?.workflowId, !workflowID.isEmpty else {
                throw SweepError(.input, "\(path): \(place): no execution.workflowId")
            }
            guard workflowID.utf8.count <= CSVJobDecoder.maximumWorkflowIDLength else {
                throw SweepError(
                    .input,
                    "\(path): \(place): the workflow ID is over Temporal's limit of \(CSVJobDecoder.maximumWorkflowIDLength) bytes"
                )
            }
            let runID = entry.execution?.runId.flatMap { $0.isEmpty ? nil : $0 }
            if let runID, UUID(uuidString: runID) == nil {
                throw SweepError(
                    .input, "\(path): \(place): execution.runId '\(runID.escapedForTerminal)' is not a run ID")
            }
            return Job(
                target: WorkflowTarget(workflowID: workflowID, runID: runID), workflowType: entry.type?.name, line: line
            )
        }

        private static func describe(_ error: any Error) -> String {
            switch error {
            case DecodingError.dataCorrupted(let context): context.debugDescription
            case DecodingError.typeMismatch(_, let context): context.debugDescription
            default: "\(error)"
            }
        }
    }
}

/// A file's lines, read in chunks (UTF-8, `\n` or `\r\n`), with their numbers.
struct FileLines {
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private var atEnd = false
    private var number = 0

    init?(path: String) {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        self.handle = handle
    }

    mutating func next() throws -> (Int, String)? {
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                var line = Array(buffer[..<newline])
                buffer.removeSubrange(...newline)
                if line.last == UInt8(ascii: "\r") { line.removeLast() }
                number += 1
                return (number, String(decoding: line, as: UTF8.self))
            }
            if atEnd {
                guard !buffer.isEmpty else {
                    try? handle.close()
                    return nil
                }
                let line = buffer
                buffer = []
                number += 1
                return (number, String(decoding: line, as: UTF8.self))
            }
            let chunk = try handle.read(upToCount: 64 * 1024) ?? Data()
            if chunk.isEmpty { atEnd = true } else { buffer.append(contentsOf: chunk) }
        }
    }
}
