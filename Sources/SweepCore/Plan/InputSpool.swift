import Foundation

/// Copies standard input to a private temporary file, so that a CSV piped in can be validated
/// in full before anything is sent and then streamed, like a file, without holding it in memory.
package enum StandardInputSpool {
    /// - Returns: the path of the copy (removed by the caller when done).
    /// - Throws: ``SweepError`` `.io` when the copy cannot be written.
    package static func spool() throws(SweepError) -> String {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent(
                "temporal-sweep-stdin-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString).csv"
            )
            .path
        guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]),
            let output = FileHandle(forWritingAtPath: path)
        else {
            throw SweepError(.io, "cannot create a temporary file for standard input at \(path)")
        }
        defer { try? output.close() }
        do {
            while let chunk = try FileHandle.standardInput.read(upToCount: 64 * 1024), !chunk.isEmpty {
                try output.write(contentsOf: chunk)
            }
        } catch {
            throw SweepError(.io, "cannot copy standard input to \(path): \(error.localizedDescription)")
        }
        return path
    }
}
