import ArgumentParser
import Foundation
import SweepCore
import Testing

@testable import sweep

/// The cron samples are commands an operator copies: each must parse with today's flags and keep
/// the habits the README promises (--yes, --max, a report per run, an overlap guard, a time slot).
@Suite("cron samples")
struct SamplesTests {
    static let samples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("samples/cron")

    /// Splits `text` into words as the shell does (quotes, `$(...)`), by asking the shell.
    private func shellWords(_ text: String) throws -> [String] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "eval \"set -- $1\"; printf '%s\\0' \"$@\"", "sh", text]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        return String(decoding: data, as: UTF8.self).split(separator: "\0", omittingEmptySubsequences: false)
            .dropLast().map(String.init)
    }

    private func check(_ arguments: [String], sample: String, needsLock: Bool) throws {
        #expect(arguments.first == "terminate", "\(sample): \(arguments)")
        let command = try Terminate.parse(Array(arguments.dropFirst()))
        #expect(command.run.yes, "\(sample): --yes")
        #expect(command.safety.max != nil, "\(sample): --max")
        #expect(command.source.olderThan != nil, "\(sample): --older-than")
        #expect(command.unattended.maxDuration != nil, "\(sample): --max-duration")
        if needsLock { #expect(command.unattended.lock != nil, "\(sample): --lock") }
    }

    @Test("the crontab line")
    func crontab() throws {
        let text = try String(contentsOf: Self.samples.appendingPathComponent("crontab"), encoding: .utf8)
        let line = try #require(text.split(separator: "\n").first { !$0.hasPrefix("#") && !$0.isEmpty })
        // What cron hands the shell: \% is %; the command after `exec .../sweep`.
        let command = try #require(line.range(of: "/sweep "))
        let arguments = try shellWords(String(line[command.upperBound...]).replacingOccurrences(of: "\\%", with: "%"))
        try check(arguments, sample: "crontab", needsLock: true)
        #expect(arguments.contains("--metrics-file"))
    }

    @Test("the systemd service")
    func systemd() throws {
        let text = try String(contentsOf: Self.samples.appendingPathComponent("sweep-nightly.service"), encoding: .utf8)
        let joined = text.replacingOccurrences(of: "\\\n", with: " ")
        let line = try #require(joined.split(separator: "\n").first { $0.hasPrefix("ExecStart=") })
        let command = try #require(line.range(of: "/sweep "))
        try check(try shellWords(String(line[command.upperBound...])), sample: "systemd", needsLock: true)
    }

    @Test("the Kubernetes CronJob: Forbid is its overlap guard; key from a Secret, profile from a ConfigMap")
    func cronJob() throws {
        let text = try String(contentsOf: Self.samples.appendingPathComponent("cronjob.yaml"), encoding: .utf8)
        #expect(text.contains("concurrencyPolicy: Forbid"))
        #expect(text.contains("secretKeyRef"))
        #expect(text.contains("kind: ConfigMap"))
        #expect(text.contains("TEMPORAL_API_KEY"))
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let start = try #require(lines.firstIndex { $0.trimmingCharacters(in: .whitespaces) == "args:" })
        var arguments: [String] = []
        for line in lines[(start + 1)...] {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard trimmed.hasPrefix("- ") else { break }
            var value = String(trimmed.dropFirst(2))
            if let comment = value.range(of: "  #") { value = String(value[..<comment.lowerBound]) }
            value = value.trimmingCharacters(in: .whitespaces)
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 {
                value = String(value.dropFirst().dropLast())
            }
            arguments.append(value)
        }
        try check(arguments, sample: "cronjob.yaml", needsLock: false)
    }

    @Test("the Kubernetes Indexed Job: n pods, each taking its shard from JOB_COMPLETION_INDEX with the same n")
    func shardedJob() throws {
        let url = Self.samples.deletingLastPathComponent().appendingPathComponent("kubernetes/sharded-job.yaml")
        let text = try String(contentsOf: url, encoding: .utf8)
        #expect(text.contains("completionMode: Indexed"))
        #expect(text.contains("completions: 4"))
        #expect(text.contains("parallelism: 4"))
        #expect(text.contains("secretKeyRef"))
        // The folded `- >-` block under args: one shell command line.
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let start = try #require(lines.firstIndex { $0.trimmingCharacters(in: .whitespaces) == "- >-" })
        let indent = lines[start + 1].prefix { $0 == " " }.count
        let folded = lines[(start + 1)...].prefix { $0.prefix { $0 == " " }.count == indent && !$0.isEmpty }
            .map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
        let words = try shellWords(folded.replacingOccurrences(of: "${JOB_COMPLETION_INDEX}", with: "2"))
        #expect(Array(words.prefix(3)) == ["exec", "sweep", "terminate"])
        let command = try Terminate.parse(Array(words.dropFirst(3)))
        #expect(command.scale.shard == "2/4")
        #expect(command.run.yes)
        #expect(command.safety.max != nil)
        #expect(command.run.report == "inc-1234-shard-2-of-4.csv")
    }
}
