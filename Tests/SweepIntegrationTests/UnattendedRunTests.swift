import Foundation
import SweepCore
import SweepTestSupport
import Testing

/// What a cron job relies on, with the real binary and server: the JSON document as the README
/// documents it, the metrics file, the lock, the time slot, --older-than, --quiet, progress, and
/// `temporal workflow list` output as input.
@Suite("unattended runs: JSON, metrics, lock, time slot, filters")
struct UnattendedRunTests {
    let harness: Harness

    init() throws {
        harness = try Harness()
    }

    /// The keys of the README's example document (section "JSON summary"), recursively.
    private static func documentedKeys() throws -> Set<String> {
        let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("README.md")
        let text = try String(contentsOf: readme, encoding: .utf8)
        let section = try #require(text.range(of: "### JSON summary"))
        let start = try #require(text.range(of: "```json\n", range: section.upperBound..<text.endIndex))
        let end = try #require(text.range(of: "\n```", range: start.upperBound..<text.endIndex))
        let object = try JSONSerialization.jsonObject(with: Data(text[start.upperBound..<end.lowerBound].utf8))
        return keys(of: try #require(object as? [String: Any]))
    }

    private static func keys(of object: [String: Any], prefix: String = "") -> Set<String> {
        var keys: Set<String> = []
        for (key, value) in object {
            keys.insert(prefix + key)
            if let nested = value as? [String: Any] {
                keys.formUnion(Self.keys(of: nested, prefix: prefix + key + "."))
            }
        }
        return keys
    }

    private static func document(_ output: String) throws -> [String: Any] {
        let lines = output.split(separator: "\n")
        #expect(lines.count == 1, "one line of JSON: \(output)")
        return try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])
    }

    @Test("--output json: one document with the README's shape, counts and latency; a refusal too")
    func jsonDocument() async throws {
        let type = TestEnvironment.uniqueName("Json")
        let seeded = try await harness.seed(3, type: type)
        let report = TestEnvironment.temporaryPath("report.csv")
        let result = try await harness.sweep.run(
            ["terminate", "-o", "json", "--report", report, "--address", harness.address, "-w", "absent-\(type)"]
                + seeded.flatMap { ["-w", $0.workflowID] })
        #expect(result.status == 0, "\(result.standardError)")
        let document = try Self.document(result.standardOutput)
        #expect(Self.keys(of: document) == (try Self.documentedKeys()))
        #expect(document["schema_version"] as? Int == 1)
        #expect(document["command"] as? String == "terminate")
        #expect(document["exit_code"] as? Int == 0)
        #expect(document["workflows"] as? Int == 4)
        let outcomes = try #require(document["outcomes"] as? [String: Int])
        #expect(outcomes["terminated"] == 3 && outcomes["not_found"] == 1)
        #expect(outcomes.count == Outcome.allCases.count)
        #expect(document["report"] as? String == report)
        let latency = try #require(document["latency_ms"] as? [String: Double])
        let p50 = try #require(latency["p50"])
        let p90 = try #require(latency["p90"])
        let p99 = try #require(latency["p99"])
        let max = try #require(latency["max"])
        #expect(latency["count"] == 4)
        #expect(0 < p50 && p50 <= p90 && p90 <= p99 && p99 <= max)
        #expect(document["interrupted_by"] is NSNull)
        #expect(result.standardError.contains("terminate summary"))

        let refused = try await harness.sweep.run([
            "terminate", "-o", "json", "-w", "x", "--address", harness.address, "--namespace", "absent-\(type)",
        ])
        #expect(refused.status == 2, "\(refused.standardError)")
        let refusal = try Self.document(refused.standardOutput)
        #expect(Self.keys(of: refusal).isSubset(of: try Self.documentedKeys()))
        #expect(refusal["exit_code"] as? Int == 2)
        #expect((refusal["error"] as? String)?.contains("absent-\(type)") == true)
        #expect(refusal["report"] is NSNull)
    }

    @Test("--metrics-file: Prometheus text replaced atomically; a failed run keeps the last success time")
    func metricsFile() async throws {
        let type = TestEnvironment.uniqueName("Metrics")
        let seeded = try await harness.seed(3, type: type)
        let directory = TestEnvironment.temporaryPath("textfile")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let metrics = directory + "/sweep.prom"
        let before = Date().timeIntervalSince1970.rounded(.down)
        let ok = try await harness.sweep.run(
            ["terminate", "--metrics-file", metrics, "--address", harness.address, "--report", directory + "/r.csv"]
                + seeded.flatMap { ["-w", $0.workflowID] })
        #expect(ok.status == 0, "\(ok.standardError)")
        let first = try String(contentsOfFile: metrics, encoding: .utf8)
        #expect(first.contains("sweep_workflows{command=\"terminate\",outcome=\"terminated\"} 3\n"))
        // At least a call each (a loaded server may have made some time out and be retried).
        #expect((Self.sample("sweep_calls", in: first) ?? 0) >= 3, "\(first)")
        #expect(first.contains("sweep_exit_code{command=\"terminate\"} 0\n"))
        #expect(first.contains("# TYPE sweep_duration_seconds gauge"))
        let success = try #require(Self.sample("sweep_last_success_timestamp_seconds", in: first))
        #expect(Self.sample("sweep_last_run_timestamp_seconds", in: first) == success)
        #expect(success >= before && success <= Date().timeIntervalSince1970, "written by this run")
        let attributes = try FileManager.default.attributesOfItem(atPath: metrics)
        #expect((attributes[.posixPermissions] as? Int) == 0o644)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).sorted() == ["r.csv", "sweep.prom"])

        let dryRun = try await harness.sweep.run(
            ["terminate", "--dry-run", "--metrics-file", metrics, "--address", harness.address, "--report", "-"]
                + seeded.flatMap { ["-w", $0.workflowID] })
        #expect(dryRun.status == 0, "\(dryRun.standardError)")
        #expect(try String(contentsOfFile: metrics, encoding: .utf8) == first, "a dry run leaves the metrics alone")

        // A pipe (or a device) is never renamed over.
        let fifo = directory + "/metrics.fifo"
        #expect(mkfifo(fifo, 0o600) == 0)
        let onFIFO = try await harness.sweep.run([
            "terminate", "-w", "absent-\(type)", "--metrics-file", fifo, "--address", harness.address, "--report", "-",
        ])
        #expect(onFIFO.status == 0, "\(onFIFO.standardError)")
        #expect(onFIFO.standardError.contains("is not a regular file; not written"))
        var status = stat()
        #expect(lstat(fifo, &status) == 0 && status.st_mode & S_IFMT == S_IFIFO)

        // The next run's timestamp is a later one (they are whole seconds): wait for the clock.
        try await Patience.waitUntil("the next second") {
            (Date().timeIntervalSince1970 >= success + 1, "\(Date().timeIntervalSince1970)")
        }
        let refused = try await harness.sweep.run([
            "terminate", "-w", "x", "--metrics-file", metrics, "--address", harness.address, "--namespace",
            "absent-\(type)",
        ])
        #expect(refused.status == 2)
        let second = try String(contentsOfFile: metrics, encoding: .utf8)
        #expect(second.contains("sweep_exit_code{command=\"terminate\"} 2\n"))
        #expect(Self.sample("sweep_last_success_timestamp_seconds", in: second) == success)
        #expect((Self.sample("sweep_last_run_timestamp_seconds", in: second) ?? 0) > success)
    }

    @Test(
        "--metrics-file or --lock naming a file the run reads (the config file from the environment) is refused, untouched"
    )
    func metricsOverSettings() async throws {
        let directory = TestEnvironment.temporaryPath("settings")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let config = directory + "/temporal.toml"
        let text = "[profile.default]\naddress = \"\(harness.address)\"\n"
        try Data(text.utf8).write(to: URL(fileURLWithPath: config))
        for flag in ["--metrics-file", "--lock"] {
            let refused = try await harness.sweep.run(
                ["terminate", "-w", "x", flag, config, "--report", "-"],
                environment: ["TEMPORAL_CONFIG_FILE": config])
            #expect(refused.status == 2, "\(refused.standardError)")
            #expect(refused.standardError.contains("$TEMPORAL_CONFIG_FILE"), "\(refused.standardError)")
            #expect(try String(contentsOfFile: config, encoding: .utf8) == text)
        }
        // Settings refused by their checks (an address without a port) still name the file: the
        // refused run's metrics never go over it.
        let unresolved = try await harness.sweep.run(
            ["terminate", "-w", "x", "--metrics-file", config, "--address", "127.0.0.1", "--report", "-"],
            environment: ["TEMPORAL_CONFIG_FILE": config])
        #expect(unresolved.status == 2, "\(unresolved.standardError)")
        #expect(unresolved.standardError.contains("$TEMPORAL_CONFIG_FILE"), "\(unresolved.standardError)")
        #expect(try String(contentsOfFile: config, encoding: .utf8) == text)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["temporal.toml"])
    }

    private static func sample(_ name: String, in text: String) -> Double? {
        text.split(separator: "\n").first { $0.hasPrefix(name + "{") }.flatMap { $0.split(separator: " ").last }
            .flatMap { Double($0) }
    }

    @Test("--lock: a second run exits 75 naming the holder's PID; after the first ends the lock is free")
    func lock() async throws {
        let type = TestEnvironment.uniqueName("Lock")
        let seeded = try await harness.seed(2, type: type)
        let lock = TestEnvironment.temporaryPath("sweep.lock")
        // The first run holds the lock while it waits for its input, a FIFO nobody writes yet.
        let fifo = TestEnvironment.temporaryPath("ids.fifo")
        #expect(mkfifo(fifo, 0o600) == 0)
        let first = try harness.sweep.start([
            "cancel", "--input", fifo, "--lock", lock, "--address", harness.address, "--report", "-",
        ])
        // Whatever happens below, the first run is ended by this test: written to if it still
        // waits for its input (then killed by `first`'s end if it still runs).
        defer { Self.unblock(fifo) }
        let pid = try await Patience.waitFor("the first run to write its PID to \(lock)", every: .milliseconds(50)) {
            () -> (value: Int32?, seen: String) in
            let text = (try? String(contentsOfFile: lock, encoding: .utf8)) ?? "no file"
            return (Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), text)
        }
        #expect(pid == first.processIdentifier)
        let second = try await harness.sweep.run([
            "terminate", "-w", seeded[1].workflowID, "--lock", lock, "--address", harness.address,
        ])
        #expect(second.status == 75, "\(second.standardError)")
        #expect(second.standardError.contains("another sweep (PID \(pid)) holds the lock \(lock)"))
        // Opened without blocking, once the first run has it open for reading (ENXIO before).
        let descriptor = try await Patience.waitFor("the first run to open its input FIFO") {
            () -> (value: Int32?, seen: String) in
            let descriptor = open(fifo, O_WRONLY | O_NONBLOCK)
            return (descriptor >= 0 ? descriptor : nil, "open: \(String(cString: strerror(errno)))")
        }
        let writer = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        try writer.write(contentsOf: Data("\(seeded[0].workflowID)\n".utf8))
        try writer.close()
        let ended = await first.wait()
        #expect(ended.status == 0, "\(ended.standardError)")
        #expect(try await harness.statuses(of: [seeded[1]]) == [.running: 1])

        let third = try await harness.sweep.run([
            "terminate", "-w", seeded[1].workflowID, "--lock", lock, "--address", harness.address, "--report", "-",
        ])
        #expect(third.status == 0, "\(third.standardError)")
        #expect(try await harness.statuses(of: [seeded[1]]) == [.terminated: 1])
    }

    /// Opens `fifo` for writing without blocking and closes it: a reader blocked on it sees the
    /// end of its input. Nothing happens when no one reads it any more.
    private static func unblock(_ fifo: String) {
        let descriptor = open(fifo, O_WRONLY | O_NONBLOCK)
        if descriptor >= 0 { close(descriptor) }
    }

    @Test("--max-duration: stops as on SIGTERM (exit 124, every workflow reported); --resume finishes")
    func maxDuration() async throws {
        let type = TestEnvironment.uniqueName("Slot")
        let seeded = try await harness.seed(30, type: type)
        let input = try harness.writeCSV(["workflow_id"] + seeded.map(\.workflowID))
        let report = TestEnvironment.temporaryPath("report.csv")
        let arguments = ["terminate", "--input", input, "--rps", "5", "--address", harness.address]
        // 30 at 5/s need 5.8 s; the run is stopped 2 s in, whatever this machine's speed. That a
        // stop does not wait out the slots booked is ExecutorTests' "a stop while jobs are held
        // back in the source", on the test clock.
        let stopped = try await harness.sweep.run(arguments + ["--max-duration", "2s", "--report", report])
        #expect(stopped.status == 124, "\(stopped.standardError)")
        #expect(stopped.standardError.contains("--max-duration is over"))
        let outcomes = try Report(path: report).outcomes
        #expect(outcomes.count == 30, "every workflow reported")
        // Some never started (not_attempted); a call cut off by the stop is failed, with its cause.
        let done = outcomes.values.filter { $0 == "terminated" }.count
        #expect(done < 30 && outcomes.values.contains("not_attempted"), "\(outcomes)")
        #expect(Set(outcomes.values).isSubset(of: ["terminated", "not_attempted", "failed"]), "\(outcomes)")
        let rows = try Report(path: report).rows
        #expect(rows.filter { $0["outcome"] == "failed" }.allSatisfy { !($0["message"] ?? "").isEmpty })

        let resumed = try await harness.sweep.run(arguments + ["--resume", report, "--rps", "200"])
        #expect(resumed.status == 0, "\(resumed.standardError)")
        #expect(Set(try Report(path: report).outcomes.values) == ["terminated"])
        #expect(try await harness.statuses(of: seeded) == [.terminated: 30])
    }

    @Test("--resume refuses a report that is not a file (a pipe would block the run), nothing sent")
    func resumeFromPipe() async throws {
        let type = TestEnvironment.uniqueName("PipeResume")
        let seeded = try await harness.seed(1, type: type)
        let report = TestEnvironment.temporaryPath("report.csv")
        try ReportFormat.header.write(toFile: report, atomically: true, encoding: .utf8)
        let result = try await harness.sweep.runShell(
            "\"$SWEEP\" terminate -w \(seeded[0].workflowID) --address \(harness.address) --resume <(cat \(report))")
        #expect(result.status == 2, "\(result.standardError)")
        #expect(result.standardError.contains("--resume needs the report as a file"), "\(result.standardError)")
        #expect(try await harness.statuses(of: seeded) == [.running: 1])
    }

    @Test("--older-than: only workflows started before now - D are touched")
    func olderThan() async throws {
        let type = TestEnvironment.uniqueName("Old")
        let old = try await harness.seed(4, type: type)
        // The server's own start times, on this machine's clock: D is chosen from them just before
        // the run, so that the cutoff (sweep's now - D, to the second) falls between the batches.
        func startTimes(_ targets: [WorkflowTarget]) async throws -> [String: Date] {
            try await harness.withClient { client in
                try await client.describeAll(targets).compactMapValues(\.startTime)
            }
        }
        let lastOld = try #require(try await startTimes(old).values.max())
        try await Patience.waitUntil("15 s to pass since the first batch started") {
            (Date().timeIntervalSince(lastOld) >= 15, "\(Date().timeIntervalSince(lastOld)) s")
        }
        let young = try await harness.withClient { client in
            try await Seeder(client: client).start(count: 3, type: type, idPrefix: type + "-young", concurrency: 4)
        }
        try await harness.withClient { client in
            try await client.waitForCount("WorkflowType='\(type)' AND ExecutionStatus='Running'", toBe: 7)
        }
        let age = Date().timeIntervalSince(lastOld) - 1
        let launched = Date()
        let result = try await harness.sweep.run([
            "terminate", "-q", "WorkflowType='\(type)' AND ExecutionStatus='Running'", "--older-than",
            String(format: "%.3fs", age), "-y", "--address", harness.address, "--report",
            TestEnvironment.temporaryPath("report.csv"), "-o", "json",
        ])
        #expect(result.status == 0, "\(result.standardError)")
        // Sweep read its clock for the cutoff once started and as it parsed its arguments, before
        // the run began (`started_at`): its cutoff lies between these two (whole seconds). A
        // workflow started before the first is touched; one started at or after the second is
        // not; one in between could be either (the young, 14 s past the first bound, fall there
        // only if sweep took longer than that to start).
        let summary = try #require(
            try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any])
        let began = try Date(
            try #require(summary["started_at"] as? String),
            strategy: .iso8601.year().month().day().time(includingFractionalSeconds: true))
        let earliestCutoff = (launched.timeIntervalSince1970 - age).rounded(.down)
        let latestCutoff = (began.timeIntervalSince1970 - age).rounded(.down)
        #expect(try await harness.statuses(of: old) == [.terminated: 4])
        let youngStarts = try await startTimes(young)
        let statuses = try await harness.withClient { client in try await client.describeAll(young) }
        for target in young {
            let started = try #require(youngStarts[target.workflowID]).timeIntervalSince1970
            let status = statuses[target.workflowID]?.status
            if started >= latestCutoff {
                #expect(status == .running, "\(target.workflowID) started after the cutoff")
            } else if started < earliestCutoff {
                #expect(status == .terminated, "\(target.workflowID) started before the cutoff")
            }
        }
        let margins = youngStarts.values.map { $0.timeIntervalSince1970 - latestCutoff }
        print("--older-than: the young started \(margins) s after the latest cutoff")
    }

    @Test("--input takes what temporal workflow list -o jsonl and -o json write; --quiet prints nothing but errors")
    func temporalListOutput() async throws {
        let type = TestEnvironment.uniqueName("Listed")
        let seeded = try await harness.seed(6, type: type)
        // What the Temporal CLI lists, kept in a file: its own list call has a deadline a loaded
        // server can outlast, so it is asked again until it answers (the event awaited).
        func listed(_ flags: String, into name: String, type listedType: String = type) async throws -> String {
            let file = TestEnvironment.temporaryPath(name)
            let list =
                "temporal workflow list --address \(harness.address) -q \"WorkflowType='\(listedType)'\" \(flags)"
            try await Patience.waitUntil("temporal workflow list to answer", every: .seconds(1)) {
                let result = try await harness.sweep.runShell("\(list) > \(file)")
                return (result.status == 0, result.standardError)
            }
            return file
        }
        let jsonlFile = try await listed("--limit 3 -o jsonl", into: "list.jsonl")
        let jsonl = try await harness.sweep.runShell(
            "cat \(jsonlFile) | \"$SWEEP\" terminate --input - --address \(harness.address) --report - --quiet")
        #expect(jsonl.status == 0, "\(jsonl.standardError)")
        #expect(jsonl.standardError.isEmpty, "\(jsonl.standardError)")
        #expect(jsonl.standardOutput.components(separatedBy: ",terminated,").count == 4, "\(jsonl.standardOutput)")

        let file = try await listed("-o json", into: "list.json")
        let array = try await harness.sweep.runShell(
            "\"$SWEEP\" terminate --input \(file) --address \(harness.address) --report -")
        #expect(array.status == 0, "\(array.standardError)")
        let outcomes = Report.outcomes(try Report(csv: array.standardOutput).rows)
        #expect(outcomes.count == 6)
        #expect(outcomes.values.filter { $0 == "terminated" }.count == 3)
        #expect(outcomes.values.filter { $0 == "already_closed" }.count == 3)
        #expect(try await harness.statuses(of: seeded) == [.terminated: 6])

        let broken = TestEnvironment.temporaryPath("broken.jsonl")
        try "{\"execution\":{\"workflowId\":\"a\"}}\n{\"execution\": nope}\n".write(
            toFile: broken, atomically: true, encoding: .utf8)
        let refused = try await harness.sweep.run(["cancel", "--input", broken, "--address", harness.address])
        #expect(refused.status == 2)
        #expect(refused.standardError.contains("broken.jsonl:2: not a JSON execution"), "\(refused.standardError)")

        // A listing that matched nothing is nothing to do, in both forms, piped: exit 0, and the
        // messages name standard input, never sweep's private copy of it.
        for format in ["jsonl", "json"] {
            let none = try await listed("-o \(format)", into: "none.\(format)", type: type + "-none")
            let empty = try await harness.sweep.runShell(
                "cat \(none) | \"$SWEEP\" cancel --input - --address \(harness.address) --report -")
            #expect(empty.status == 0, "\(format): \(empty.standardError)")
            #expect(empty.standardError.contains("standard input: nothing to cancel"), "\(empty.standardError)")
            #expect(!empty.standardError.contains("/tmp") && !empty.standardError.contains("spool"))
            #expect(try Report(csv: empty.standardOutput).rows.isEmpty)
        }
    }

    @Test("progress: on a terminal a redrawn line, cleared before the summary; off one, a log line every 10 s")
    func progress() async throws {
        let type = TestEnvironment.uniqueName("Progress")
        let seeded = try await harness.seed(44, type: type)
        let input = try harness.writeCSV(["workflow_id"] + seeded.prefix(20).map(\.workflowID))
        let transcript = TestEnvironment.temporaryPath("tty.log")
        let terminal = try await harness.sweep.runShell(
            "script -qec '\"$SWEEP\" terminate --input \(input) --rps 15 --address \(harness.address) --report /dev/null' \(transcript) > /dev/null"
        )
        #expect(terminal.status == 0, "\(terminal.standardError)")
        let drawn = try String(contentsOfFile: transcript, encoding: .utf8)
        #expect(drawn.contains("\r\u{1B}[2Kterminate "), "\(drawn.prefix(400))")
        #expect(drawn.contains("/20 "))
        #expect(drawn.contains("\r\u{1B}[2Kterminate summary"), "the line is cleared before the summary")

        let rest = try harness.writeCSV(["workflow_id"] + seeded.dropFirst(20).map(\.workflowID))
        // A dry run's table on the same terminal: no progress line to break its rows.
        let table = TestEnvironment.temporaryPath("table.log")
        let besideRows = try await harness.sweep.runShell(
            "script -qec '\"$SWEEP\" terminate --input \(rest) --dry-run --rps 200 --address \(harness.address) --report /dev/null' \(table) > /dev/null"
        )
        #expect(besideRows.status == 0, "\(besideRows.standardError)")
        let rows = try String(contentsOfFile: table, encoding: .utf8)
        #expect(rows.contains(seeded[20].workflowID))
        #expect(!rows.contains("\u{1B}[2K"), "\(rows.prefix(400))")

        let logged = try await harness.sweep.run([
            "terminate", "--input", rest, "--rps", "2", "--address", harness.address, "--report", "/dev/null",
        ])
        #expect(logged.status == 0, "\(logged.standardError)")
        #expect(logged.standardError.contains(" info sweep"), "\(logged.standardError)")
        #expect(logged.standardError.contains("terminate ") && logged.standardError.contains("/24 "))
        #expect(!logged.standardError.contains("\u{1B}["))
    }
}
