package import Foundation

/// The Python sample worker (samples/worker/worker.py) on a task queue of a test's own, so that
/// tests can show graceful cancellation, escalation and continue-as-new for real.
package final class SampleWorker {
    package let taskQueue: String
    private let process: Process
    private let outputPath: String

    /// Starts the worker against `address` and waits until it polls (up to 60 s).
    package init(address: String, taskQueue: String = TestEnvironment.uniqueName("sweep-samples")) async throws {
        self.taskQueue = taskQueue
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let script = root.appendingPathComponent("samples/worker/worker.py").path
        outputPath = TestEnvironment.temporaryPath("worker.log")
        FileManager.default.createFile(atPath: outputPath, contents: nil)
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script, "--address", address, "--task-queue", taskQueue]
        process.standardOutput = FileHandle(forWritingAtPath: outputPath)
        process.standardError = process.standardOutput
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: .seconds(60))
        while clock.now < deadline {
            let output = (try? TextFile.read(outputPath)) ?? ""
            if output.contains("worker ready") { return }
            if !process.isRunning {
                throw TestEnvironment.Missing(description: "the sample worker exited: \(output)")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        process.terminate()
        throw TestEnvironment.Missing(description: "the sample worker did not get ready within 60 s")
    }

    deinit {
        if process.isRunning { process.terminate() }
    }

    /// Stops the worker (SIGTERM, then SIGKILL after 10 s) and waits for it to exit.
    package func stop() async {
        guard process.isRunning else { return }
        process.terminate()
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: .seconds(10))
        while process.isRunning, clock.now < deadline { try? await Task.sleep(for: .milliseconds(50)) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        while process.isRunning { try? await Task.sleep(for: .milliseconds(50)) }
    }
}
