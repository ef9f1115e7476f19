import Foundation

/// `--metrics-file PATH`: the run's result in Prometheus text format, for node_exporter's
/// textfile collector: written to a temporary file in the same directory, made readable, then
/// renamed over PATH, so the collector never reads half a file. A cron sweep is then monitored
/// by its metrics (last success, exit code, outcomes) instead of by parsing logs.
enum MetricsFile {
    /// What one run reports.
    struct Run {
        var command: String
        var tally: Tally
        var elapsed: Duration
        var exitCode: Int32
        var finishedAt: Date
    }

    /// A run that completed its work: exit 0, or 5 (done, some left alone on purpose).
    static func isSuccess(_ exitCode: Int32) -> Bool { exitCode == 0 || exitCode == 5 }

    /// The file's text; `lastSuccess` carries the time of the last successful run over a failed one.
    static func text(_ run: Run, lastSuccess: Double?) -> String {
        let label = "command=\"\(run.command)\""
        var lines: [String] = []
        func metric(_ name: String, _ help: String, _ samples: [(String, Double)]) {
            lines.append("# HELP \(name) \(help)")
            lines.append("# TYPE \(name) gauge")
            for (labels, value) in samples {
                lines.append("\(name){\(labels)} \(format(value))")
            }
        }
        metric(
            "sweep_workflows", "Workflows by final outcome in the last run.",
            Outcome.allCases.map { ("\(label),outcome=\"\($0.rawValue)\"", Double(run.tally[$0])) })
        metric("sweep_report_rows", "Report rows written by the last run.", [(label, Double(run.tally.rows))])
        metric("sweep_calls", "RPCs sent by the last run.", [(label, Double(run.tally.callsSent))])
        metric("sweep_duration_seconds", "Duration of the last run.", [(label, run.elapsed.inSeconds)])
        metric("sweep_exit_code", "Exit code of the last run (README: exit codes).", [(label, Double(run.exitCode))])
        let now = run.finishedAt.timeIntervalSince1970
        metric("sweep_last_run_timestamp_seconds", "When the last run ended (Unix time).", [(label, now)])
        let success = isSuccess(run.exitCode) ? now : lastSuccess
        if let success {
            metric(
                "sweep_last_success_timestamp_seconds", "When the last successful run (exit 0 or 5) ended (Unix time).",
                [(label, success)])
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Writes the metrics for `run` to `path`, keeping the last success time of the file it replaces.
    /// - Throws: ``SweepError`` `.output` when the directory is not writable.
    static func write(_ run: Run, to path: String) throws(SweepError) {
        var status = stat()
        if lstat(path, &status) == 0, status.st_mode & S_IFMT != S_IFREG {
            // Renamed over, a device or a pipe would be replaced by a file (as root: /dev/null).
            throw SweepError(.output, "the metrics file \(path) is not a regular file; not written")
        }
        let previous = (try? String(contentsOfFile: path, encoding: .utf8)).flatMap(lastSuccess(in:))
        let text = text(run, lastSuccess: previous)
        // A new file of a random name beside PATH (mkstemp: O_CREAT | O_EXCL, so never through a
        // link planted there, nor over a file that exists), not ending in .prom: the collector
        // ignores it until the rename.
        var template = Array((path + ".tmp-XXXXXX").utf8CString)
        var temporary = ""
        var failure: Int32 = 0
        let descriptor = template.withUnsafeMutableBufferPointer { buffer -> Int32 in
            guard let name = buffer.baseAddress else { return -1 }
            let descriptor = mkstemp(name)
            failure = errno
            temporary = String(cString: name)
            return descriptor
        }
        guard descriptor >= 0 else {
            let reason = String(cString: strerror(failure))
            throw SweepError(.output, "cannot write the metrics file \(path): \(reason)")
        }
        do throws(SweepError) {
            let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
            // The collector runs as another user: the file is world-readable (it holds no secret).
            // Set on the descriptor: the name could be replaced, the open file cannot.
            guard fchmod(descriptor, 0o644) == 0 else {
                throw SweepError(.output, "cannot make \(temporary) readable: \(String(cString: strerror(errno)))")
            }
            do {
                try handle.write(contentsOf: Data(text.utf8))
                // On disk before it replaces the last file: a crash leaves the old file or the new.
                try handle.synchronize()
                try handle.close()
            } catch {
                throw SweepError(.output, "cannot write the metrics file \(path): \(error.localizedDescription)")
            }
            guard rename(temporary, path) == 0 else {
                throw SweepError(.output, "cannot rename \(temporary) to \(path): \(String(cString: strerror(errno)))")
            }
        } catch {
            unlink(temporary)
            throw error
        }
    }

    /// The `sweep_last_success_timestamp_seconds` value of an earlier file.
    static func lastSuccess(in text: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix("sweep_last_success_timestamp_seconds") {
            if let value = line.split(separator: " ").last.flatMap({ Double($0) }) { return value }
        }
        return nil
    }

    private static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(format: "%.3f", value)
    }
}
