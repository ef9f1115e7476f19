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
    package var path: String { file.path }
    private let file: OutputFile
    private let syncEvery: Int
    private let state = Mutex(State())

    /// Creates (or truncates) the report and writes the header; with `appending`, opens an
    /// existing report and adds rows after the ones it has.
    /// - Throws: ``SweepError`` `.io` if the file cannot be created or opened.
    package init(path: String, appending: Bool = false, syncEvery: Int = 100) throws(SweepError) {
        self.syncEvery = max(1, syncEvery)
        file = try OutputFile(path: path, role: "report", appending: appending && path != "-")
        if !appending {
            try file.write(ReportFormat.header)
        }
    }

    deinit {
        file.close()
    }

    /// Counts per outcome of the rows written by this writer.
    package var tally: Tally { state.withLock { $0.tally } }

    /// Appends one row (and fsyncs every `syncEvery` rows).
    /// - Throws: ``SweepError`` `.io` when the write fails (disk full, closed pipe).
    package func record(_ result: JobResult) throws(SweepError) {
        try file.write(ReportFormat.row(result))
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
        file.sync()
    }
}
