import ArgumentParser
import SweepCore
import Testing

@testable import sweep

/// Each subcommand's flags, parsed as an operator types them, become the options the run gets;
/// contradictions are refused before anything runs (exit 2: `Sweep.main` maps argument-parser's
/// validation failure to it).
@Suite("command line")
struct CommandLineTests {
    @Test("cancel: every flag group lands in the run's options")
    func cancel() throws {
        let command = try Cancel.parse([
            "--query", "WorkflowType='OrderSaga'", "--reason", "INC-1", "--identity", "me", "--dry-run", "--yes",
            "--rps", "20", "--concurrency", "4", "--max-attempts", "3", "--report", "r.csv", "--overwrite",
            "--retry-for", "30", "--max", "500", "--chain", "--wait", "2m", "--escalate-after", "90s",
            "--address", "temporal:7233", "--namespace", "prod",
        ])
        let options = try command.sweepOptions()
        #expect(options.action == .cancel)
        #expect(options.source == .query("WorkflowType='OrderSaga'"))
        #expect(options.reason == "INC-1")
        #expect(options.connection.identity == "me")
        #expect(options.connection.address == "temporal:7233")
        #expect(options.connection.namespace == "prod")
        #expect(options.dryRun && options.assumeYes && options.chain && options.overwrite)
        #expect(options.rate == 20)
        #expect(options.concurrency == 4)
        #expect(options.maxAttempts == 3)
        #expect(options.retryWindow == .seconds(30))
        #expect(options.reportPath == "r.csv")
        #expect(options.maxJobs == 500)
        #expect(options.followUp == FollowUpOptions(escalateAfter: .seconds(90), waitTimeout: .seconds(120)))
    }

    @Test("terminate: the defaults come from the one source of defaults")
    func terminateDefaults() throws {
        let options = try Terminate.parse(["--input", "ids.csv"]).sweepOptions()
        #expect(options.action == .terminate)
        #expect(options.source == .csvFile(path: "ids.csv"))
        #expect(options.rate == Defaults.rate)
        #expect(options.concurrency == Defaults.concurrency)
        #expect(options.maxAttempts == Defaults.maxAttempts)
        #expect(options.retryWindow == Defaults.retryWindow)
        #expect(options.reportPath == nil && options.resumeFrom == nil && options.maxJobs == nil)
        #expect(options.followUp.isEmpty)
    }

    @Test("terminate: workflow IDs, one pinned to a run")
    func workflowIDs() throws {
        let run = "4b0b5a5c-0e4f-4d3c-9b7e-1c2d3e4f5a6b"
        let options = try Terminate.parse(["--workflow-id", "order-1", "--run-id", run, "--resume", "r.csv"])
            .sweepOptions()
        #expect(options.source == .workflowIDs(["order-1"], runID: run))
        #expect(options.resumeFrom == "r.csv")
    }

    @Test("apply: a plan and an action")
    func apply() throws {
        let options = try Apply.parse(["plan.csv", "--action", "cancel", "--escalate-after", "5m"]).sweepOptions()
        #expect(options.action == .cancel)
        #expect(options.source == .planFile(path: "plan.csv"))
        #expect(options.followUp.escalateAfter == .seconds(300))
    }

    @Test("plan: no action, a dry run, its own rate")
    func plan() throws {
        let command = try Plan.parse(["--query", "q", "--out", "plan.csv", "--max", "10", "--overwrite"])
        let options = try command.sweepOptions()
        #expect(options.action == nil)
        #expect(options.verb == "plan")
        #expect(options.dryRun)
        #expect(options.rate == Defaults.planRate)
        #expect(options.maxJobs == 10 && options.overwrite)
        #expect(command.out == "plan.csv")
    }

    @Test("the Temporal CLI's short flags, and the unattended flags")
    func shortFlags() throws {
        let command = try Terminate.parse([
            "-q", "WorkflowType='OrderSaga'", "--older-than", "1d", "-n", "orders", "-y", "-o", "json", "--quiet",
            "--lock", "/run/sweep.lock", "--max-duration", "50m", "--metrics-file", "m.prom", "--log-level", "debug",
        ])
        let options = try command.sweepOptions()
        guard case .query(let query) = options.source else {
            Issue.record("not a query: \(options.source)")
            return
        }
        #expect(query.hasPrefix("(WorkflowType='OrderSaga') AND StartTime < '"))
        #expect(options.connection.namespace == "orders")
        #expect(options.assumeYes)
        #expect(options.progress == .off)
        #expect(options.dryRunTable == false)
        #expect(options.deadline != nil)
        let session = command.unattended.session(command: "terminate", dryRun: false)
        #expect(session.json && session.lockPath == "/run/sweep.lock" && session.metricsPath == "m.prom")

        let pinned = try Cancel.parse(["-w", "a", "-r", "4b0b5a5c-0e4f-4d3c-9b7e-1c2d3e4f5a6b"]).sweepOptions()
        #expect(pinned.source == .workflowIDs(["a"], runID: "4b0b5a5c-0e4f-4d3c-9b7e-1c2d3e4f5a6b"))
    }

    @Test(
        "contradictions and values out of range are refused before anything runs (exit 2)",
        arguments: [
            ["terminate"],
            ["terminate", "--query", "q", "--input", "ids.csv"],
            [
                "terminate", "--workflow-id", "a", "--workflow-id", "b", "--run-id",
                "4b0b5a5c-0e4f-4d3c-9b7e-1c2d3e4f5a6b",
            ],
            ["terminate", "--workflow-id", "a", "--run-id", "not-a-run"],
            ["terminate", "--query", " \n"],
            ["terminate", "--workflow-id", "a", "--rps", "0"],
            ["terminate", "--workflow-id", "a", "--rps", "1e-12"],
            ["terminate", "--workflow-id", "a", "--retry-for", "1e300"],
            ["terminate", "--workflow-id", "a", "--concurrency", "0"],
            ["terminate", "--workflow-id", "a", "--max", "0"],
            ["terminate", "--workflow-id", "a", "--resume", "a.csv", "--report", "b.csv"],
            ["terminate", "--workflow-id", "a", "--resume", "a.csv", "--overwrite"],
            ["terminate", "--workflow-id", "a", "--resume", "a.csv", "--dry-run"],
            ["cancel", "--workflow-id", "a", "--wait", "1e300s"],
            ["cancel", "--workflow-id", "a", "--escalate-after", "9999999h"],
            ["apply", "plan.csv", "--action", "terminate", "--escalate-after", "5m"],
            ["plan", "--workflow-id", "a", "--rps", "0"],
            ["terminate", "--workflow-id", "a", "--output", "json", "--report", "-"],
            ["plan", "--workflow-id", "a", "-o", "json"],
            ["terminate", "--workflow-id", "a", "--older-than", "1h"],
            ["terminate", "-q", "q", "--older-than", "-1h"],
            ["terminate", "-q", "WorkflowType='Foo') OR (WorkflowType='Nope'", "--older-than", "1h"],
            ["cancel", "-q", "WorkflowId='a", "--older-than", "1h"],
            ["plan", "-q", "(WorkflowType='Foo'"],
            ["terminate", "--workflow-id", "a", "--max-duration", "0s"],
            ["terminate", "--workflow-id", "a", "--max-duration", "8d"],
            ["terminate", "--workflow-id", "a", "--log-level", "loud"],
            ["terminate", "--workflow-id", "a", "--output", "yaml"],
            ["terminate", "--workflow-id", "a", "--no-tls", "--tls-ca-path", "ca.pem"],
            ["terminate", "--input", "ids.csv", "--lock", "./ids.csv"],
            ["cancel", "-w", "a", "--report", "r.csv", "--metrics-file", "r.csv"],
            ["apply", "plan.csv", "--action", "cancel", "--lock", "plan.csv"],
            ["plan", "-q", "q", "--out", "p.csv", "--lock", "p.csv"],
            ["terminate", "-w", "a", "--lock", "m.prom", "--metrics-file", "m.prom"],
            [
                "terminate", "-w", "a", "--tls-cert-path", "c.pem", "--tls-key-path", "k.pem", "--metrics-file",
                "./k.pem",
            ],
            ["cancel", "-w", "a", "--tls-ca-path", "ca.pem", "--lock", "ca.pem"],
            [
                "plan", "-w", "a", "--out", "p.csv", "--tls-cert-path", "c.pem", "--tls-key-path", "k.pem", "--lock",
                "c.pem",
            ],
        ])
    func refused(arguments: [String]) {
        do {
            _ = try Sweep.parseAsRoot(arguments)
            Issue.record("parsed: \(arguments)")
        } catch {
            #expect(Sweep.exitCode(for: error) == .validationFailure, "\(arguments): \(error)")
        }
    }

    @Test("a mistyped command is named, with the nearest command, not blamed on its first option")
    func mistypedCommand() throws {
        let commands = Sweep.configuration.subcommands.map { $0._commandName }
        let message = try #require(UnknownCommand.message(["cancle", "-w", "x"], commands: commands))
        #expect(message.contains("'cancle' is not a sweep command. Did you mean 'cancel'?"), "\(message)")
        #expect(UnknownCommand.message(["cancel", "-w", "x"], commands: commands) == nil)
        #expect(UnknownCommand.message(["--help"], commands: commands) == nil)
        #expect(try #require(UnknownCommand.message(["zzz"], commands: commands)).contains("Did you mean") == false)
    }

    @Test("a mistyped sole selector is reported as the unknown option it is")
    func mistypedSelector() throws {
        let missing = "Error: Say which workflows: give one of --query, --input or --workflow-id."
        let message = try #require(
            UnknownCommand.mistypedOption(["terminate", "--querry", "WorkflowType='x'"], message: missing))
        #expect(message.contains("--querry"), "\(message)")
        let joined = try #require(UnknownCommand.mistypedOption(["terminate", "--querry=x"], message: missing))
        #expect(joined.contains("--querry"), "\(joined)")
        // Another error, or a command without --workflow-id, is left as argument-parser says it.
        #expect(
            UnknownCommand.mistypedOption(["terminate", "--querry", "x"], message: "Error: --max must be positive")
                == nil)
        #expect(UnknownCommand.mistypedOption(["batch", "describe"], message: missing) == nil)
    }

    @Test("--older-than keeps a query whose literal holds parentheses, wrapped whole")
    func literalParentheses() throws {
        let command = try Terminate.parse(["-q", "WorkflowId = 'a)b('", "--older-than", "1h"])
        guard case .query(let query) = try command.sweepOptions().source else {
            Issue.record("not a query")
            return
        }
        #expect(query.hasPrefix("(WorkflowId = 'a)b(') AND StartTime < '"))
    }
}
