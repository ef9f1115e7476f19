import Foundation
import Synchronization

/// Writes the report as outcomes arrive. The report is the run's journal: each row goes to the file
/// with its own write the moment its workflow reaches an outcome, the file is fsynced every
/// `syncEvery` rows and at the end, and `--resume` reads it back.
package final class ReportWriter: Sendable {
    private struct State: Sendable {
        var tally = Tally()
        var rowsSinceSync = 0
    }

    /// Where the report goes; "-" is standard output.
    package let path: String
    private let handle: FileHandle
    private let closesHandle: Bool
    private let syncEvery: Int
    private let state = Mutex(State())

    /// Creates (or truncates) the report and writes the header; with `appending`, opens an
    /// existing report and adds rows after the ones it has.
    /// - Throws: ``SweepError`` `.io` if the file cannot be created or opened.
    package init(path: String, appending: Bool = false, syncEvery: Int = 100) throws(SweepError) {
        self.path = path
        self.syncEvery = max(1, syncEvery)
        if path == "-" {
            handle = FileHandle.standardOutput
            closesHandle = false
        } else if appending {
            guard let file = FileHandle(forWritingAtPath: path) else {
                throw SweepError(.io, "cannot open the report \(path) to append to it")
            }
            do {
                try file.seekToEnd()
            } catch {
                throw SweepError(.io, "cannot append to the report \(path): \(error.localizedDescription)")
            }
            handle = file
            closesHandle = true
        } else {
            guard FileManager.default.createFile(atPath: path, contents: nil),
                let file = FileHandle(forWritingAtPath: path)
            else {
                throw SweepError(.io, "cannot create the report at \(path); check the directory exists and is writable")
            }
            handle = file
            closesHandle = true
        }
        if !appending {
            try write(ReportFormat.header)
        }
    }

    deinit {
        if closesHandle {
            try? handle.synchronize()
            try? handle.close()
        }
    }

    /// Counts per outcome of the rows written by this writer.
    package var tally: Tally { state.withLock { $0.tally } }

    /// Appends one row (and fsyncs every `syncEvery` rows).
    /// - Throws: ``SweepError`` `.io` when the write fails (disk full, closed pipe).
    package func record(_ result: JobResult) throws(SweepError) {
        try write(ReportFormat.row(result))
        let due = state.withLock { state in
            state.tally.add(result)
            state.rowsSinceSync += 1
            if state.rowsSinceSync >= syncEvery {
                state.rowsSinceSync = 0
                return true
            }
            return false
        }
        if due { sync() }
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
