package import Foundation
package import SweepCore

/// Where the integration tests find the real Temporal dev server and the built `sweep` binary.
///
/// `scripts/test` (and so `.ci/run`) starts a dev server on a free port and exports its address
/// as SWEEP_TEST_TEMPORAL_ADDRESS. A missing server is a failure, never a skip.
package enum TestEnvironment {
    package struct Missing: Error, CustomStringConvertible {
        package var description: String

        package init(description: String) {
            self.description = description
        }
    }

    /// The dev server's `host:port`.
    package static func temporalAddress() throws -> String {
        guard let address = ProcessInfo.processInfo.environment["SWEEP_TEST_TEMPORAL_ADDRESS"], !address.isEmpty else {
            throw Missing(
                description:
                    "SWEEP_TEST_TEMPORAL_ADDRESS is not set: run the tests with scripts/test, which starts a Temporal dev server"
            )
        }
        return address
    }

    /// The tests' own client (seeding, checking): each call may take up to the tests' shared
    /// ceiling (``Patience``), because every suite seeds at once when a pass starts and the
    /// in-memory dev server (about 100 starts a second on 2 shared cores) queues starts: one was
    /// seen to wait past 30 s at the start of the AddressSanitizer pass.
    package static func connection(namespace: String = "default") throws -> ConnectionOptions {
        ConnectionOptions(
            address: try temporalAddress(), namespace: namespace, identity: "sweep-integration-tests",
            callTimeout: Patience.ceiling)
    }

    /// The `sweep` executable built next to the test bundle.
    package static func sweepBinary() throws -> URL {
        let directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [directory, directory.deletingLastPathComponent()] {
            let binary = candidate.appendingPathComponent("sweep")
            if FileManager.default.isExecutableFile(atPath: binary.path) { return binary }
        }
        throw Missing(
            description:
                "the sweep binary is not next to the test bundle in \(directory.path); build it with swift build")
    }

    /// A fresh name for a test's workflow type and ID prefix, so suites can run in parallel.
    package static func uniqueName(_ base: String) -> String {
        "\(base)-\(UUID().uuidString.prefix(8).lowercased())"
    }

    /// A path in a fresh temporary directory.
    package static func temporaryPath(_ name: String) -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sweep-it-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory.appendingPathComponent(name).path
    }
}
