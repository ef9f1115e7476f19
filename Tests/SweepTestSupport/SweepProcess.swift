package import Foundation

/// Runs the real `sweep` binary, as an operator would, and captures what it says.
package struct SweepProcess: Sendable {
    package struct Result: Sendable {
        package var status: Int32
        package var standardOutput: String
        package var standardError: String
    }

    package let binary: URL

    package init() throws {
        binary = try TestEnvironment.sweepBinary()
    }

    /// Runs `sweep arguments...` with `input` (or nothing, not a terminal) on standard input.
    package func run(_ arguments: [String], input: String? = nil) async throws -> Result {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        let output = Pipe()
        let error = Pipe()
        let standardInput = Pipe()
        process.standardOutput = output
        process.standardError = error
        process.standardInput = standardInput
        try process.run()
        if let input { standardInput.fileHandleForWriting.write(Data(input.utf8)) }
        try standardInput.fileHandleForWriting.close()
        // Drain both pipes while the process runs, so neither can fill up and block it.
        async let out = output.fileHandleForReading.readToEnd()
        async let err = error.fileHandleForReading.readToEnd()
        let (outData, errData) = try await (out, err)
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus,
            standardOutput: String(decoding: outData ?? Data(), as: UTF8.self),
            standardError: String(decoding: errData ?? Data(), as: UTF8.self)
        )
    }
}
