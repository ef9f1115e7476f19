import Foundation

/// Copies an input that can be read only once (standard input, a pipe, a FIFO, process
/// substitution such as `<(grep x ids.csv)`) to a private temporary file, so that it can be
/// validated in full before anything is sent and then streamed, like a file, without holding it
/// in memory. A regular file is read in place.
package enum InputSpool {
    /// Whether `path` must be spooled: "-" (standard input) or anything that is not a regular file.
    /// A path that does not exist is left to the reader, which names it.
    package static func needsSpooling(_ path: String) -> Bool {
        if path == "-" { return true }
        var status = stat()
        guard stat(path, &status) == 0 else { return false }
        return (status.st_mode & S_IFMT) != S_IFREG
    }

    /// Copies `path` ("-" for standard input) to a new 0600 temporary file.
    /// - Returns: the path of the copy (removed by the caller when done).
    /// - Throws: ``SweepError`` `.input` when the input cannot be opened or read, `.io` when the copy
    ///   cannot be written.
    package static func spool(_ path: String) throws(SweepError) -> String {
        let copy = FileManager.default.temporaryDirectory
            .appendingPathComponent(
                "temporal-sweep-input-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString).csv"
            )
            .path
        let input: FileHandle
        if path == "-" {
            input = FileHandle.standardInput
        } else {
            guard let opened = FileHandle(forReadingAtPath: path) else {
                throw SweepError(.input, "\(path): cannot open the input for reading; check the path and permissions")
            }
            input = opened
        }
        defer { if path != "-" { try? input.close() } }
        guard FileManager.default.createFile(atPath: copy, contents: nil, attributes: [.posixPermissions: 0o600]),
            let output = FileHandle(forWritingAtPath: copy)
        else {
            throw SweepError(.io, "cannot create a temporary file for \(label(path)) at \(copy)")
        }
        defer { try? output.close() }
        do {
            while let chunk = try input.read(upToCount: 64 * 1024), !chunk.isEmpty {
                try output.write(contentsOf: chunk)
            }
        } catch {
            try? FileManager.default.removeItem(atPath: copy)
            throw SweepError(.io, "cannot copy \(label(path)) to \(copy): \(error.localizedDescription)")
        }
        return copy
    }

    /// How messages name an input path: "standard input" for "-".
    static func label(_ path: String) -> String {
        path == "-" ? "standard input" : path
    }
}
