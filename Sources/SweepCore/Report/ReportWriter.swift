import Foundation
import Synchronization

/// Writes the report as outcomes arrive. The report is the run's journal: each row goes to the file
/// with its own write the moment its workflow reaches an outcome, and `--resume` reads it back.
///
/// The file is fsynced every `syncEvery` rows, at least every `syncInterval` while rows are
/// being written, and at the end: a power loss drops at most the rows of the last second (or
/// of the last `syncEvery`), and a resumed run checks the workflows without a row before acting.
package final class ReportWriter: ReportSink {
    private struct State: Sendable {
        var tally = Tally()
        var rowsSinceSync = 0
        var syncs = 0
    }

    /// Where the report goes; "-" is standard output.
    package var path: String { file.path }
    private let file: OutputFile
    private let syncEvery: Int
    private let state = Mutex(State())
    /// Syncs rows left unsynced, every `syncInterval`, for as long as the writer lives.
    private let flusher = Mutex<Task<Void, Never>?>(nil)

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

    /// Opens the report as `mode` says and, unless appending, writes the header; then the row
    /// that records the run (``RunProvenance``), when given.
    /// - Throws: ``SweepError`` `.io` if the file cannot be created or opened, or exists and
    ///   `mode` is `.create` (nothing has been sent yet).
    package init(
        path: String, mode: Mode = .create, provenance: RunProvenance? = nil, syncEvery: Int = 100,
        syncInterval: Duration = .seconds(1)
    ) throws(SweepError) {
        self.syncEvery = max(1, syncEvery)
        switch mode {
        case .create: file = try OutputFile(path: path, role: "report", mode: .create)
        case .overwrite: file = try OutputFile(path: path, role: "report", mode: .overwrite)
        case .createUnique(let stem): file = try OutputFile.createUnique(stem: stem, suffix: ".csv", role: "report")
        case .append(let length):
            file = try OutputFile(
                path: path, role: "report", mode: path == "-" ? .create : .append(truncatingTo: length))
        }
        var appending = false
        if case .append = mode { appending = true }
        do {
            if !appending { try file.write(ReportFormat.header) }
            if let provenance { try file.write(provenance.row) }
        } catch {
            throw SweepError(.io, error.message)
        }
        guard path != "-" else { return }
        flusher.withLock {
            $0 = Task { [weak self] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: syncInterval)
                    self?.syncIfWritten()
                }
            }
        }
    }

    deinit {
        flusher.withLock { $0?.cancel() }
        file.close()
    }

    /// How many times rows were forced to disk before the end (every `syncEvery` rows, and by the
    /// clock), for tests.
    package var syncs: Int { state.withLock { $0.syncs } }

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
            if due {
                state.rowsSinceSync = 0
                state.syncs += 1
            }
            return (due, state.tally.rows)
        }
        if due { sync() }
        StopPoint.reached(rows: rows)
    }

    /// Syncs when a row was written since the last sync.
    private func syncIfWritten() {
        let due = state.withLock { state in
            guard state.rowsSinceSync > 0 else { return false }
            state.rowsSinceSync = 0
            state.syncs += 1
            return true
        }
        if due { sync() }
    }

    /// Forces the rows written so far to disk.
    package func sync() {
        file.sync()
    }
}
