import Foundation
import SweepTestSupport
import Testing

/// The help an operator reads at 3 a.m., from the real binary: every line fits 80 columns,
/// paragraphs are wrapped (not broken mid-sentence), each use has an example; completion scripts
/// and `config show` work.
@Suite("help, completion, config show")
struct HelpTests {
    let sweep: SweepProcess

    init() throws {
        sweep = try SweepProcess()
    }

    @Test(
        "every help fits 80 columns and has examples",
        arguments: [[], ["cancel"], ["terminate"], ["plan"], ["apply"], ["config", "show"]])
    func help(command: [String]) async throws {
        let result = try await sweep.run(command + ["--help"], environment: ["COLUMNS": "80"])
        #expect(result.status == 0)
        let lines = result.standardOutput.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count > 10)
        for line in lines {
            #expect(line.count <= 80, "\(command): \(line)")
        }
        // Within a paragraph, a line followed by one whose first word would have fitted on it
        // was broken by hand, not wrapped (argument-parser wraps a little short of 80 columns).
        for (line, next) in zip(lines, lines.dropFirst())
        where !line.isEmpty && !next.isEmpty && !line.hasPrefix(" ") && !next.hasPrefix(" ") {
            let word = next.split(separator: " ").first ?? ""
            if line.count + 1 + word.count <= 78 {
                Issue.record("\(command): a line broken by hand: '\(line)' / '\(next)'")
            }
        }
        #expect(result.standardOutput.contains("sweep "), "\(command) has an example")
    }

    @Test("the top help names each use and every exit code")
    func topHelp() async throws {
        let text = try await sweep.run(["--help"], environment: ["COLUMNS": "80"]).standardOutput
        for phrase in ["During an incident", "Review the exact runs", "Nightly from cron", "75 another run", "124"] {
            #expect(text.contains(phrase), "\(phrase)")
        }
    }

    @Test("completion scripts for bash, zsh and fish know the flags", arguments: ["bash", "zsh", "fish"])
    func completion(shell: String) async throws {
        let result = try await sweep.run(["--generate-completion-script", shell])
        #expect(result.status == 0)
        for flag in ["older-than", "tls-ca-path", "metrics-file", "escalate-after"] {
            #expect(result.standardOutput.contains(flag), "\(shell): \(flag)")
        }
    }

    @Test("config show: sources named, secrets masked, JSON for programs")
    func configShow() async throws {
        let home = TestEnvironment.temporaryPath("home")
        let directory = home + "/.config/temporalio"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try """
        [profile.default]
        address = "file.example:7233"
        namespace = "from-file"
        api_key = "secret-from-file"
        """.write(toFile: directory + "/temporal.toml", atomically: true, encoding: .utf8)
        let environment = [
            "HOME": home, "XDG_CONFIG_HOME": "", "TEMPORAL_NAMESPACE": "from-env",
            "TEMPORAL_API_KEY": "secret-from-env",
        ]
        let text = try await sweep.run(["config", "show", "--address", "flag.example:7233"], environment: environment)
        #expect(text.status == 0, "\(text.standardError)")
        #expect(text.standardOutput.contains("flag.example:7233"))
        #expect(text.standardOutput.contains("--address"))
        #expect(text.standardOutput.contains("$TEMPORAL_NAMESPACE"))
        #expect(!text.standardOutput.contains("secret-from"))

        let json = try await sweep.run(["config", "show", "-o", "json"], environment: environment)
        let lines = try #require(
            try JSONSerialization.jsonObject(with: Data(json.standardOutput.utf8)) as? [[String: String]])
        let byName = Dictionary(uniqueKeysWithValues: lines.compactMap { line in line["name"].map { ($0, line) } })
        #expect(byName["address"]?["value"] == "file.example:7233")
        #expect(byName["address"]?["source"]?.hasSuffix("[profile.default] address") == true)
        #expect(byName["namespace"]?["value"] == "from-env")
        #expect(byName["tls"]?["value"] == "on")
        #expect(!json.standardOutput.contains("secret-from"))
    }
}
