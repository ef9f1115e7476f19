import Foundation
import SweepCore

/// A Temporal dev server of a test's own (on disk, so that it keeps its state across a restart),
/// for the tests that stop and restart the server or need other dynamic config. Other tests share
/// the server scripts/test starts.
package final class DevServer {
    package let port: Int
    package let databasePath: String
    /// More `start-dev` flags (`--dynamic-config-value K=V`).
    private let extraArguments: [String]
    private var process: Process?

    package var address: String { "127.0.0.1:\(port)" }

    package init(extraArguments: [String] = []) throws {
        port = try Self.freePort()
        databasePath = TestEnvironment.temporaryPath("temporal.db")
        self.extraArguments = extraArguments
    }

    /// A test that threw before ``stop()`` still leaves no server behind.
    deinit {
        if let process, process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    /// Starts the server and waits until it answers (within the tests' shared ceiling).
    package func start() async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments =
            [
                "temporal", "server", "start-dev", "--headless", "--ip", "127.0.0.1", "--port", String(port),
                "--ui-port", String(try Self.freePort()), "--metrics-port", String(try Self.freePort()),
                "--db-filename", databasePath, "--log-level", "error",
                "--dynamic-config-value", "frontend.namespaceRPS.visibility=100000",
            ] + extraArguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
        try await Patience.waitUntil("the dev server on port \(port) to answer", every: .milliseconds(250)) {
            guard process.isRunning else {
                throw TestEnvironment.Missing(description: "the dev server on port \(port) exited")
            }
            let answered = try? await withWorkflowServiceClient(
                ConnectionOptions(address: address, callTimeout: .seconds(1))
            ) { client in
                try await client.count(query: "")
            }
            return (answered != nil, "no answer yet")
        }
    }

    /// Stops the server (SIGTERM, then SIGKILL after 10 s) and waits for it to exit.
    package func stop() async throws {
        guard let process else { return }
        self.process = nil
        process.terminate()
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: .seconds(10))
        while process.isRunning, clock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
        }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        while process.isRunning { try await Task.sleep(for: .milliseconds(50)) }
    }

    /// A TCP port free on the loopback interface right now.
    package static func freePort() throws -> Int {
        let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw TestEnvironment.Missing(description: "socket() failed") }
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(socket, pointer, length) == 0 && getsockname(socket, pointer, &length) == 0
            }
        }
        guard bound else { throw TestEnvironment.Missing(description: "could not bind a loopback port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
