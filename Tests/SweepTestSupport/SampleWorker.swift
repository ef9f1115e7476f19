import Foundation

/// The Python sample worker (samples/worker/worker.py) on a task queue of a test's own, so that
/// tests can show graceful cancellation, escalation and continue-as-new for real.
package final class SampleWorker {
    package let taskQueue: String
    private let process: Process
    private let outputPath: String

    /// Starts the worker against `address` and waits until it polls (within the tests' shared ceiling).
    package init(address: String, taskQueue: String = TestEnvironment.uniqueName("sweep-samples")) async throws {
        self.taskQueue = taskQueue
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let script = root.appendingPathComponent("samples/worker/worker.py").path
        outputPath = TestEnvironment.temporaryPath("worker.log")
        _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script, "--address", address, "--task-queue", taskQueue]
        process.standardOutput = FileHandle(forWritingAtPath: outputPath)
        process.standardError = process.standardOutput
        process.standardInput = FileHandle.nullDevice
        try process.run()
        do {
            try await Patience.waitUntil("the sample worker to poll \(taskQueue)") { [process, outputPath] in
                let output = (try? TextFile.read(outputPath)) ?? ""
                if !process.isRunning {
                    throw TestEnvironment.Missing(description: "the sample worker exited: \(output)")
                }
                return (output.contains("worker ready"), output.isEmpty ? "no output" : output)
            }
        } catch {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            throw error
        }
    }

    /// A test that threw before ``stop()`` still leaves no worker behind.
    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
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
