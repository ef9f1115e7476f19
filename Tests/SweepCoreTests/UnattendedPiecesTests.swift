import Foundation
import Testing

@testable import SweepCore

/// The pieces of an unattended run that need no server: the metrics text, the lock, the progress
/// line, the JSON document.
@Suite("unattended pieces")
struct UnattendedPiecesTests {
    private func tally(_ outcomes: [Outcome]) -> Tally {
        var tally = Tally()
        for (index, outcome) in outcomes.enumerated() {
            tally.add(
                JobResult(
                    job: Job(target: WorkflowTarget(workflowID: "w\(index)")), runID: nil, action: .terminate,
                    outcome: outcome,
                    attempts: 1, latency: .milliseconds(5), finishedAt: Date(), callsSent: 1))
        }
        return tally
    }

    @Test("metrics: a gauge per outcome and the run's numbers; success only for exit 0 and 5")
    func metricsText() {
        let run = MetricsFile.Run(
            command: "cancel", tally: tally([.cancelRequested, .cancelRequested, .notFound]), elapsed: .seconds(2.5),
            exitCode: 0, finishedAt: Date(timeIntervalSince1970: 1_800_000_000))
        let text = MetricsFile.text(run, lastSuccess: 1_700_000_000)
        #expect(text.contains("sweep_workflows{command=\"cancel\",outcome=\"cancel_requested\"} 2\n"))
        #expect(text.contains("sweep_workflows{command=\"cancel\",outcome=\"not_found\"} 1\n"))
        #expect(text.contains("sweep_duration_seconds{command=\"cancel\"} 2.500\n"))
        #expect(MetricsFile.lastSuccess(in: text) == 1_800_000_000)

        var failed = run
        failed.exitCode = 1
        let failedText = MetricsFile.text(failed, lastSuccess: 1_700_000_000)
        #expect(MetricsFile.lastSuccess(in: failedText) == 1_700_000_000)
        #expect(!MetricsFile.text(failed, lastSuccess: nil).contains("sweep_last_success"))
        #expect(MetricsFile.isSuccess(5) && !MetricsFile.isSuccess(4) && !MetricsFile.isSuccess(124))
        // Every sample line is `name{labels} value`, with HELP and TYPE before each metric.
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            #expect(line.split(separator: " ").count == 2, "\(line)")
        }
    }

    @Test("metrics: a link planted where the old temporary file went is never written through")
    func metricsPlantedLink() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("textfile-\(UUID().uuidString)")
            .path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let victim = directory + "/victim"
        try Data("secret\n".utf8).write(to: URL(fileURLWithPath: victim))
        #expect(chmod(victim, 0o600) == 0)
        let path = directory + "/sweep.prom"
        // The name the temporary file had (PATH.tmp-<pid>), and one of mkstemp's, both planted.
        try FileManager.default.createSymbolicLink(atPath: path + ".tmp-\(getpid())", withDestinationPath: victim)
        try FileManager.default.createSymbolicLink(atPath: path + ".tmp-XXXXXX", withDestinationPath: victim)
        let run = MetricsFile.Run(
            command: "terminate", tally: tally([.terminated]), elapsed: .seconds(1), exitCode: 0,
            finishedAt: Date(timeIntervalSince1970: 1_800_000_000))
        try MetricsFile.write(run, to: path)

        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "secret\n")
        var status = stat()
        #expect(stat(victim, &status) == 0 && status.st_mode & 0o777 == 0o600)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == MetricsFile.text(run, lastSuccess: nil))
        #expect(lstat(path, &status) == 0 && status.st_mode & S_IFMT == S_IFREG && status.st_mode & 0o777 == 0o644)
        // Nothing left beside it but what the test planted.
        let left = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        #expect(left == ["sweep.prom", "sweep.prom.tmp-XXXXXX", "sweep.prom.tmp-\(getpid())", "victim"].sorted())
    }

    @Test("lock: a second holder is refused with the first one's PID; released when the first goes")
    func lock() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("lock-\(UUID().uuidString)").path
        var first: RunLock? = try RunLock(path: path)
        do {
            _ = try RunLock(path: path)
            Issue.record("the lock was taken twice")
        } catch let held as RunLock.Held {
            #expect(held.holder == getpid())
            #expect(held.message.contains("PID \(getpid())"))
        }
        #expect(first != nil)
        first = nil
        #expect(throws: Never.self) { _ = try RunLock(path: path) }
    }

    @Test("the progress line: done/total, rate, ETA, counts, retries, throttling")
    func progressLine() {
        let snapshot = ProgressSnapshot(
            verb: "terminate", tally: tally([.terminated, .terminated, .failed, .notFound]), total: 10,
            elapsed: .seconds(2), retries: 3, rate: 12.5, targetRate: 50)
        #expect(
            snapshot.line
                == "terminate 4/10 40% 2.0/s ETA 3s | terminated 2 not_found 1 failed 1 | retries 3 | throttled to 12.5/s"
        )
        #expect(ProgressSnapshot.format(seconds: 185) == "3m05s")
        #expect(ProgressSnapshot.format(seconds: 7260) == "2h01m")
        var unknown = snapshot
        unknown.total = nil
        unknown.rate = 50
        unknown.retries = 0
        #expect(unknown.line == "terminate 4 2.0/s | terminated 2 not_found 1 failed 1")
        // --engine server: the running job as the server counts it (the client's pace is not the point).
        var server = snapshot
        server.retries = 0
        server.serverJob = StartedBatchJobs.Progress(jobID: "sweep-terminate-1", done: 120, total: 400)
        #expect(
            server.line
                == "terminate 4/10 40% 2.0/s | terminated 2 not_found 1 failed 1 | batch job sweep-terminate-1: 120/400 on the server"
        )
    }

    @Test("the JSON document: exit code, interruption, every outcome, nulls written")
    func document() throws {
        var summary = Summary(
            action: .cancel, dryRun: false, tally: tally([.cancelRequested]), elapsed: .seconds(1),
            clientCPU: .milliseconds(20), reportPath: "r.csv")
        summary.stoppedAtDeadline = true
        let document = SummaryDocument(summary)
        #expect(document.exitCode == 124)
        #expect(document.interruptedBy == "max_duration")
        #expect(document.outcomes.count == Outcome.allCases.count)
        let json = document.json
        #expect(json.contains("\"error\":null"))
        #expect(json.contains("\"latency_ms\":null"))
        #expect(!json.contains("\n"))
        let decoded = try JSONDecoder().decode(SummaryDocument.self, from: Data(json.utf8))
        #expect(decoded == document)
    }
}

@Suite("unattended pieces: refusals and edges")
struct UnattendedEdgeTests {
    private let directory: String = {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("edges-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }()

    @Test("--lock refuses a symbolic link, a directory and a file holding anything but a PID, untouched")
    func lockRefusals() throws {
        let input = directory + "/ids.csv"
        try "workflow_id\norder-1\n".write(toFile: input, atomically: true, encoding: .utf8)
        let link = directory + "/link.lock"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: directory + "/target.lock")
        for (path, message) in [(input, "not a lock file"), (link, "symbolic link"), (directory, "directory")] {
            do {
                _ = try RunLock(path: path)
                Issue.record("\(path) was taken as a lock")
            } catch let error as SweepError {
                #expect(error.code == .usage)
                #expect(error.message.contains(message), "\(error.message)")
            }
        }
        #expect(try String(contentsOfFile: input, encoding: .utf8) == "workflow_id\norder-1\n")
        #expect(!FileManager.default.fileExists(atPath: directory + "/target.lock"))
        // A lock file a crashed run left (its PID inside) is taken over.
        let stale = directory + "/stale.lock"
        try "999999\n".write(toFile: stale, atomically: true, encoding: .utf8)
        let lock = try RunLock(path: stale)
        #expect(try String(contentsOfFile: stale, encoding: .utf8) == "\(getpid())\n")
        _ = lock
    }

    @Test("JSON is told from CSV by its first two tokens: {\" and [{, not a CSV ID in braces")
    func formatSniffing() throws {
        let cases: [(String, String)] = [
            ("{\"execution\":{\"workflowId\":\"a\"}}\n", "jsonLines"),
            ("\u{FEFF}  {\n \"execution\": {}}\n", "jsonLines"),
            ("[\n  {\n", "jsonArray"),
            ("[]", "jsonArray"),
            ("{3F2504E0-4F89-11D3-9A0C-0305E82C3301}\nb\n", "other"),
            ("[batch] 7\nb\n", "other"),
            ("workflow_id\na\n", "other"),
        ]
        for (index, (text, expected)) in cases.enumerated() {
            let path = directory + "/input-\(index)"
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            #expect("\(JSONJobs.Format(path: path))" == expected, "\(text.debugDescription)")
        }
    }

    @Test("latency counts the calls of each workflow, not the waits of follow-up rows")
    func latencyExcludesFollowUps() throws {
        struct Discard: ReportSink {
            func record(_ result: JobResult) throws(SweepError) {}
        }
        let statistics = RunStatistics(Discard())
        let job = Job(target: WorkflowTarget(workflowID: "a"))
        try statistics.record(
            JobResult(
                job: job, runID: nil, action: .cancel, outcome: .cancelRequested, attempts: 2,
                latency: .milliseconds(4), callsSent: 2))
        var followUp = JobResult(
            job: job, runID: nil, action: .cancel, outcome: .canceled, attempts: 1, latency: .seconds(30), callsSent: 1)
        followUp.supersedes = .cancelRequested
        followUp.isFollowUp = true
        try statistics.record(followUp)
        // A resumed run's follow-up supersedes nothing it wrote itself, and is still no latency.
        var resumed = followUp
        resumed.supersedes = nil
        try statistics.record(resumed)
        let latency = try #require(statistics.latency)
        #expect(latency.count == 1)
        #expect(latency.max < 10)
        #expect(statistics.tally[.canceled] == 2)
        #expect(statistics.retries == 1)
    }
}

@Suite("unattended pieces: second review")
struct UnattendedSecondReviewTests {
    @Test("--lock refuses kernel files under /proc and /sys, and writes nothing there")
    func kernelFiles() throws {
        let before = try String(contentsOfFile: "/proc/self/comm", encoding: .utf8)
        do {
            _ = try RunLock(path: "/proc/self/comm")
            Issue.record("/proc/self/comm was taken as a lock")
        } catch let error as SweepError {
            #expect(error.message.contains("kernel setting") || error.message.contains("not a regular file"))
        }
        #expect(try String(contentsOfFile: "/proc/self/comm", encoding: .utf8) == before)
    }

    @Test("a PEM pasted where a path belongs is never printed, in errors or config show")
    func pemAsPath() throws {
        let pem = "-----BEGIN PRIVATE KEY-----\nMIIEsecretsecret\n-----END PRIVATE KEY-----\n"
        let settings = TLSSettings(serverCA: .init(.file(pem), from: .environment("TEMPORAL_TLS_CA")))
        do {
            _ = try settings.load()
            Issue.record("PEM text was read as a path")
        } catch {
            #expect(!error.message.contains("secret"), "\(error.message)")
            #expect(error.message.contains("$TEMPORAL_TLS_CA"))
        }
        let configuration = try ClientConfiguration.resolve(
            ConnectionFlagValues(), environment: ["HOME": "/nonexistent", "TEMPORAL_TLS_CA": pem])
        #expect(!configuration.table.contains("secret"))
    }

    @Test("a stopped run that also failed says how to finish once, and exits with its stop")
    func stoppedAndFailed() {
        var summary = Summary(
            action: .terminate, dryRun: false, tally: Tally(), elapsed: .seconds(1), clientCPU: .zero,
            reportPath: "r.csv", interruptedBy: SIGTERM)
        summary.failure = SweepError(.output, "cannot write the report r.csv: No space left on device")
        #expect(summary.exitCode == 143)
        #expect(summary.text.components(separatedBy: "--resume r.csv").count == 2, "\(summary.text)")
        #expect(summary.text.contains("No space left"))
    }

    @Test("only a character device that is the terminal counts as the terminal")
    func terminalPaths() {
        #expect(!OutputFile.isTerminal("/dev/null"))
        #expect(!OutputFile.isTerminal("/etc/hostname"))
        #expect(!OutputFile.isTerminal("/nonexistent/path"))
    }
}
