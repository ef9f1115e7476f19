import Foundation
import Synchronization

/// Writes the report as outcomes arrive. The report is the run's journal: each row goes to the file
/// with its own write the moment its workflow reaches an outcome, the file is fsynced every
/// `syncEvery` rows and at the end, and `--resume` reads it back.
package final class ReportWriter: ReportSink {
    private struct State: Sendable {
        var tally = Tally()
        var rowsSinceSync = 0
    }

    /// Where the report goes; "-" is standard output.
    package var path: String { file.path }
    private let file: OutputFile
    private let syncEvery: Int
    private let state = Mutex(State())

    /// How the report is opened.
    package enum Mode: Sendable, Hashable {
        /// A new file (0600); an existing one is refused.
        case create
        /// A new file, or an existing one replaced (`--overwrite`).
        case overwrite
        /// A new file named after `stem` (`stem.csv`, else `stem-2.csv`...): the default name.
        case createUnique(stem: String)
        /// `--resume`: an existing report, cut back to its last whole row (`validLength` bytes, from
        /// ``ReportJournal``), then appended to.
        case append(validLength: Int)
    }

    /// Opens the report as `mode` says and, unless appending, writes the header.
    /// - Throws: ``SweepError`` `.io` if the file cannot be created or opened, or exists and
    ///   `mode` is `.create` (nothing has been sent yet).
    package init(path: String, mode: Mode = .create, syncEvery: Int = 100) throws(SweepError) {
        self.syncEvery = max(1, syncEvery)
        switch mode {
        case .create: file = try OutputFile(path: path, role: "report", mode: .create)
        case .overwrite: file = try OutputFile(path: path, role: "report", mode: .overwrite)
        case .createUnique(let stem): file = try OutputFile.createUnique(stem: stem, suffix: ".csv", role: "report")
        case .append(let length):
            file = try OutputFile(
                path: path, role: "report", mode: path == "-" ? .create : .append(truncatingTo: length))
        }
        if case .append = mode { return }
        do {
            try file.write(ReportFormat.header)
        } catch {
            throw SweepError(.io, error.message)
        }
    }

    deinit {
        file.close()
    }

    /// Counts per outcome of the rows written by this writer.
    package var tally: Tally { state.withLock { $0.tally } }

    /// Appends one row (and fsyncs every `syncEvery` rows).
    /// - Throws: ``SweepError`` `.output` when the write fails (disk full, closed pipe).
    package func record(_ result: JobResult) throws(SweepError) {
        try file.write(ReportFormat.row(result))
        let (due, rows) = state.withLock { state in
            state.tally.add(result)
            state.rowsSinceSync += 1
            let due = state.rowsSinceSync >= syncEvery
            if due { state.rowsSinceSync = 0 }
            return (due, state.tally.rows)
        }
        if due { sync() }
        StopPoint.reached(rows: rows)
    }

    /// Forces the rows written so far to disk.
    package func sync() {
        file.sync()
    }
}
