import Foundation
import SweepCSV
import SweepCore
import SweepTestSupport
import Testing

/// The files sweep writes: private, never over an old journal, never the input itself, and a
/// closed pipe is an error with an exit code, not a silent death.
@Suite("report files")
struct ReportFileTests {
    let harness: Harness

    init() throws {
        harness = try Harness()
    }

    private var sweep: SweepProcess { harness.sweep }
    private var address: String { harness.address }

    @Test("a report records the namespace, address and action of each run; a resume elsewhere is refused, nothing sent")
    func resumeChecksWhereTheReportCameFrom() async throws {
        let type = TestEnvironment.uniqueName("Provenance")
        let seeded = try await harness.seed(2, type: type)
        let report = TestEnvironment.temporaryPath("report.csv")
        let before = Date().addingTimeInterval(-1)
        let first = try await sweep.run([
            "terminate", "--workflow-id", seeded[0].workflowID, "--report", report, "--address", address,
        ])
        #expect(first.status == 0, "\(first.standardError)")
        let written = try Report(path: report)
        #expect(written.runs.count == 1)
        let message = written.runs.first?["message"] ?? ""
        #expect(message.hasPrefix("namespace=default address=\(address) sweep="), "\(message)")
        let began = try #require(ReportFormat.date(written.runs.first?["finished_at"] ?? ""))
        #expect(began >= before && began <= Date())

        let arguments = ["terminate", "--workflow-id", seeded[0].workflowID, "--workflow-id", seeded[1].workflowID]
        for (elsewhere, differs) in [
            (["--namespace", "another", "--address", address], "namespace 'default', this run is in 'another'"),
            (["--address", "localhost:\(address.split(separator: ":").last ?? "")"], "this run is against localhost:"),
        ] {
            let refused = try await sweep.run(arguments + elsewhere + ["--resume", report])
            #expect(refused.status == 2, "\(refused.standardError)")
            #expect(refused.standardError.contains(differs), "\(refused.standardError)")
        }
        let cancel = try await sweep.run(["cancel", "--workflow-id", seeded[1].workflowID, "--resume", report])
        #expect(cancel.status == 2)
        #expect(cancel.standardError.contains("resume it with sweep terminate"), "\(cancel.standardError)")
        #expect(try Report(path: report).rows.count == 1, "the report is as it was")
        #expect(try await harness.statuses(of: [seeded[1]]) == [.running: 1], "nothing was sent")

        // Resumed where it was written: the second workflow (its run named: a run sweep picks must
        // predate the sweep) is terminated; the resumed run adds its own row.
        let resumed = try await sweep.run([
            "terminate", "--workflow-id", seeded[1].workflowID, "--run-id", seeded[1].runID ?? "", "--address",
            address, "--resume", report,
        ])
        #expect(resumed.status == 0, "\(resumed.standardError)")
        let after = try Report(path: report)
        #expect(after.rows.map { $0["workflow_id"] } == seeded.map(\.workflowID))
        #expect(after.runs.count == 2)
        #expect(try await harness.statuses(of: seeded) == [.terminated: 2])
    }

    @Test("reports are private, never replace an old journal unless asked, and two runs in one second get two files")
    func reportFiles() async throws {
        let type = TestEnvironment.uniqueName("Files")
        let seeded = try await harness.seed(2, type: type)
        let report = TestEnvironment.temporaryPath("report.csv")
        let first = try await sweep.run([
            "terminate", "--workflow-id", seeded[0].workflowID, "--report", report, "--address", address,
        ])
        #expect(first.status == 0, "\(first.standardError)")
        let mode = try FileManager.default.attributesOfItem(atPath: report)[.posixPermissions] as? Int
        #expect(mode == 0o600)

        let again = try await sweep.run([
            "terminate", "--workflow-id", seeded[1].workflowID, "--report", report, "--address", address,
        ])
        #expect(again.status == 2, "\(again.standardError)")
        #expect(again.standardError.contains("already exists"))
        #expect(try Report(path: report).rows.count == 1, "the old journal is intact")
        #expect(try await harness.statuses(of: [seeded[1]]) == [.running: 1], "nothing was sent")

        let overwritten = try await sweep.run([
            "terminate", "--workflow-id", seeded[1].workflowID, "--report", report, "--overwrite", "--address", address,
        ])
        #expect(overwritten.status == 0, "\(overwritten.standardError)")
        #expect(try Report(path: report).rows.map { $0["workflow_id"] } == [seeded[1].workflowID])

        // The default name of this second and the next few are taken: the run picks a free one.
        let directory = (TestEnvironment.temporaryPath("cwd") as NSString).deletingLastPathComponent
        let options = SweepOptions(action: .terminate, source: .workflowIDs(["x"], runID: nil))
        let now = Date()
        let taken = (0..<10).map { "\(directory)/\(options.defaultReportStem(at: now + Double($0))).csv" }
        for path in taken { _ = FileManager.default.createFile(atPath: path, contents: Data("mine\n".utf8)) }
        let defaulted = try await sweep.run(
            ["terminate", "--workflow-id", seeded[0].workflowID, "--address", address], directory: directory)
        #expect(defaulted.status == 0, "\(defaulted.standardError)")
        #expect(try taken.allSatisfy { try TextFile.read($0) == "mine\n" }, "no earlier file was touched")
        // One new report: the taken name of the second the run began with, suffixed -2 (or, had the
        // run begun after the ten taken seconds, that second's own name).
        let takenNames = Set(taken.map { ($0 as NSString).lastPathComponent })
        let created = try FileManager.default.contentsOfDirectory(atPath: directory)
            .filter { $0.hasPrefix("sweep-report-") && !takenNames.contains($0) }
        #expect(created.count == 1, "\(created) \(defaulted.standardError)")
        let name = try #require(created.first)
        let stem = name.hasSuffix("-2.csv") ? String(name.dropLast(6)) + ".csv" : name
        #expect(takenNames.contains(stem) == name.hasSuffix("-2.csv"), "\(name)")
        #expect(try Report(path: directory + "/" + name).rows.map { $0["workflow_id"] } == [seeded[0].workflowID])
    }

    @Test("--report into a directory that does not exist: exit 2, nothing sent")
    func missingReportDirectory() async throws {
        let type = TestEnvironment.uniqueName("NoDir")
        let seeded = try await harness.seed(1, type: type)
        let result = try await sweep.run([
            "terminate", "--workflow-id", seeded[0].workflowID, "--report", "/nonexistent-\(type)/report.csv",
            "--address", address,
        ])
        #expect(result.status == 2, "\(result.standardError)")
        #expect(try await harness.statuses(of: seeded) == [.running: 1])
    }

    @Test("--report - | head: no death by SIGPIPE; the write error is reported and the exit code says so")
    func closedPipe() async throws {
        let type = TestEnvironment.uniqueName("Pipe")
        let seeded = try await harness.seed(300, type: type)
        let input = try harness.writeCSV(["workflow_id"] + seeded.map(\.workflowID))
        let result = try await sweep.runShell(
            "\"$SWEEP\" terminate --input '\(input)' --report - --rps 200 --address \(address) | head -n 3 >/dev/null; echo \"sweep exit ${PIPESTATUS[0]}\" >&2"
        )
        #expect(result.standardError.contains("sweep exit 6"), "\(result.standardError)")
        #expect(result.standardError.contains("cannot write the report"), "\(result.standardError)")
        #expect(result.standardError.contains("summary:"), "the summary is still printed")
    }

    @Test("the input and the report are one file: refused with exit 2, the file and the workflows untouched")
    func reportIsInput() async throws {
        let type = TestEnvironment.uniqueName("Same")
        let seeded = try await harness.seed(2, type: type)
        let report = TestEnvironment.temporaryPath("report.csv")
        let first = try await sweep.run([
            "terminate", "--workflow-id", seeded[0].workflowID, "--report", report, "--address", address,
        ])
        #expect(first.status == 0, "\(first.standardError)")
        let before = try TextFile.read(report)
        for extra in [["--report", report, "--overwrite"], ["--resume", report]] {
            let result = try await sweep.run(["terminate", "--input", report, "--address", address] + extra)
            #expect(result.status == 2, "\(result.standardError)")
            #expect(result.standardError.contains("both the input and the output"))
            #expect(try TextFile.read(report) == before)
        }
        let plan = try await sweep.run([
            "plan", "--input", report, "--out", report, "--overwrite", "--address", address,
        ])
        #expect(plan.status == 2, "\(plan.standardError)")
        #expect(try TextFile.read(report) == before)
        #expect(try await harness.statuses(of: [seeded[1]]) == [.running: 1])
    }
}
