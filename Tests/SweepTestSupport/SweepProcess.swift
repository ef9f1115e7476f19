package import Foundation

/// Runs the real `sweep` binary, as an operator would, and captures what it says.
///
/// Output goes to files and the exit is awaited through the termination handler, so that no
/// thread of the (small) cooperative pool blocks on a pipe.
package struct SweepProcess: Sendable {
    package struct Result: Sendable {
        package var status: Int32
        package var standardOutput: String
        package var standardError: String
    }

    /// A sweep process still running: signal it, then wait for it.
    ///
    /// Nothing outlives the test that started it: a process still running when its `Running` is
    /// released (the test threw, or a `#require` failed, before waiting for it) is killed, with
    /// every process it started.
    package final class Running {
        private let process: Process
        private let exits: AsyncStream<Int32>
        private let outputPath: String
        private let errorPath: String

        fileprivate init(process: Process, exits: AsyncStream<Int32>, outputPath: String, errorPath: String) {
            self.process = process
            self.exits = exits
            self.outputPath = outputPath
            self.errorPath = errorPath
        }

        deinit {
            guard process.isRunning else { return }
            killGroup(process.processIdentifier)
            process.waitUntilExit()
        }

        package var processIdentifier: Int32 { process.processIdentifier }

        /// Waits until the process has stopped itself at the fail point its environment set
        /// (`SWEEP_TEST_STOP_AFTER_ROWS`, see ``SweepProcess/stopAfterRows(_:)``): it is halfway,
        /// and stays so until it is sent SIGCONT or killed.
        package func waitUntilStopped() async throws {
            let pid = process.processIdentifier
            try await Patience.waitUntil("sweep (PID \(pid)) to stop at its fail point", every: .milliseconds(20)) {
                [process] in
                guard process.isRunning else {
                    throw TestEnvironment.Missing(description: "sweep exited before its fail point")
                }
                let stat = (try? TextFile.read("/proc/\(pid)/stat")) ?? ""
                // pid (comm) STATE ...: the state follows the last ')'.
                let state = stat.split(separator: ")").last?.split(separator: " ").first ?? "?"
                return (state == "T", "state \(state)")
            }
        }

        /// Sends `signal` (SIGINT, SIGTERM, SIGKILL) to the process.
        package func send(_ signal: Int32) {
            kill(process.processIdentifier, signal)
        }

        /// Waits for the process to exit, for at most the tests' shared ceiling (``Patience``):
        /// one still running then is killed, and says so in its standard error.
        /// - Returns: its exit status (128 + the signal for one that killed it) and output.
        package func wait() async -> Result {
            let pid = process.processIdentifier
            let overdue = Task {
                try await Task.sleep(for: Patience.ceiling)
                killGroup(pid)
            }
            var status: Int32 = -1
            for await code in exits { status = code }
            overdue.cancel()
            let killedAtCeiling = (try? await overdue.value) != nil
            if process.terminationReason == .uncaughtSignal { status = 128 + status }
            let note =
                killedAtCeiling ? "\n[test] killed: still running after \(Patience.ceiling), the tests' ceiling\n" : ""
            return Result(
                status: status,
                standardOutput: (try? TextFile.read(outputPath)) ?? "",
                standardError: ((try? TextFile.read(errorPath)) ?? "") + note
            )
        }
    }

    package let binary: URL

    /// The environment that makes sweep stop itself (SIGSTOP) right after its `rows`-th report
    /// row: a test then signals, kills or restarts around a run it knows is halfway.
    package static func stopAfterRows(_ rows: Int) -> [String: String] {
        ["SWEEP_TEST_STOP_AFTER_ROWS": String(rows)]
    }

    package init() throws {
        binary = try TestEnvironment.sweepBinary()
    }

    /// Starts `sweep arguments...` with `input` (or nothing, not a terminal) on standard input.
    /// - Parameter directory: the working directory (default: a fresh scratch directory, so a
    ///   default-named report lands there, not in the checkout).
    /// - Parameter environment: variables set (over this process's) for sweep.
    package func start(
        _ arguments: [String], input: String? = nil, directory: String? = nil, environment: [String: String] = [:]
    ) throws -> Running {
        try launch(
            executable: binary, arguments: Self.patient(arguments), input: input, directory: directory,
            environment: environment)
    }

    /// `arguments` with `--retry-for` set to the tests' shared ceiling (``Patience/ceiling``)
    /// unless they set it: a sweep a test runs waits for a loaded server (throttling, an outage,
    /// a listing past its deadline) as long as the test itself would wait for any event, and a
    /// test asserts what sweep did, never how fast the server answered it.
    static func patient(_ arguments: [String]) -> [String] {
        guard let command = arguments.first, ["cancel", "terminate", "apply"].contains(command),
            !arguments.contains(where: { $0 == "--retry-for" || $0.hasPrefix("--retry-for=") })
        else { return arguments }
        return [command, "--retry-for", String(Patience.ceiling.components.seconds)] + arguments.dropFirst()
    }

    /// Runs `script` with bash, where `$SWEEP` is the sweep binary: for pipes and process
    /// substitution (`sweep ... --input <(...)`, `sweep ... --report - | head`).
    package func runShell(_ script: String) async throws -> Result {
        try await launch(
            executable: URL(fileURLWithPath: "/bin/bash"), arguments: ["-c", script], input: nil, directory: nil,
            environment: ["SWEEP": binary.path]
        ).wait()
    }

    private func launch(
        executable: URL, arguments: [String], input: String?, directory: String?, environment: [String: String] = [:]
    ) throws -> Running {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        process.currentDirectoryURL =
            directory.map { URL(fileURLWithPath: $0) }
            ?? URL(fileURLWithPath: TestEnvironment.temporaryPath("cwd")).deletingLastPathComponent()
        let outputPath = TestEnvironment.temporaryPath("stdout")
        let errorPath = TestEnvironment.temporaryPath("stderr")
        _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errorPath, contents: nil)
        process.standardOutput = FileHandle(forWritingAtPath: outputPath)
        process.standardError = FileHandle(forWritingAtPath: errorPath)
        if let input {
            let inputPath = TestEnvironment.temporaryPath("stdin")
            _ = FileManager.default.createFile(atPath: inputPath, contents: Data(input.utf8))
            process.standardInput = FileHandle(forReadingAtPath: inputPath)
        } else {
            process.standardInput = FileHandle.nullDevice
        }
        let (exits, continuation) = AsyncStream<Int32>.makeStream()
        process.terminationHandler = { finished in
            continuation.yield(finished.terminationStatus)
            continuation.finish()
        }
        try process.run()
        return Running(process: process, exits: exits, outputPath: outputPath, errorPath: errorPath)
    }

    /// Runs `sweep arguments...` to the end.
    package func run(
        _ arguments: [String], input: String? = nil, directory: String? = nil, environment: [String: String] = [:]
    ) async throws -> Result {
        try await start(arguments, input: input, directory: directory, environment: environment).wait()
    }
}

/// SIGKILL to the process and, when it leads a process group of its own (Foundation starts each
/// child in one), to everything it started there (a shell's pipeline).
private func killGroup(_ pid: Int32) {
    if getpgid(pid) == pid { kill(-pid, SIGKILL) }
    kill(pid, SIGKILL)
}
