import Foundation

/// Writes the report as outcomes arrive: each row goes to the file with its own write, so a
/// crash loses at most the rows still in flight. Owned by the executor's parent task only.
package final class ReportWriter {
    /// Where the report goes; "-" is standard output.
    package let path: String
    private let handle: FileHandle
    private let closesHandle: Bool
    package private(set) var tally = Tally()

    /// Creates (or truncates) the report and writes the header.
    /// - Throws: ``SweepError`` `.io` if the file cannot be created.
    package init(path: String) throws(SweepError) {
        self.path = path
        if path == "-" {
            handle = FileHandle.standardOutput
            closesHandle = false
        } else {
            guard FileManager.default.createFile(atPath: path, contents: nil),
                let file = FileHandle(forWritingAtPath: path)
            else {
                throw SweepError(.io, "cannot create the report at \(path); check the directory exists and is writable")
            }
            handle = file
            closesHandle = true
        }
        try write(ReportFormat.header)
    }

    deinit {
        if closesHandle { try? handle.close() }
    }

    /// Appends one row.
    /// - Throws: ``SweepError`` `.io` when the write fails (disk full, closed pipe).
    package func record(_ result: JobResult) throws(SweepError) {
        try write(ReportFormat.row(result))
        tally.add(result)
    }

    /// Forces the rows written so far to disk.
    package func sync() {
        if closesHandle { try? handle.synchronize() }
    }

    private func write(_ text: String) throws(SweepError) {
        do {
            try handle.write(contentsOf: Data(text.utf8))
        } catch {
            throw SweepError(.io, "cannot write the report \(path): \(error.localizedDescription)")
        }
    }
}
