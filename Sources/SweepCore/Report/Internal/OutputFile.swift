import Foundation

/// A file (or standard output, for "-") that rows are written to one write at a time.
struct OutputFile: Sendable {
    let path: String
    /// What the file holds, for messages ("report", "plan").
    let role: String
    private let handle: FileHandle
    private let isStandardOutput: Bool

    /// Creates or truncates `path`, or with `appending` opens it at its end.
    /// - Throws: ``SweepError`` `.io` naming the file and what to check.
    init(path: String, role: String, appending: Bool = false) throws(SweepError) {
        self.path = path
        self.role = role
        isStandardOutput = path == "-"
        if isStandardOutput {
            handle = FileHandle.standardOutput
        } else if appending {
            guard let file = FileHandle(forWritingAtPath: path) else {
                throw SweepError(.io, "cannot open the \(role) \(path) to append to it")
            }
            do {
                try file.seekToEnd()
            } catch {
                throw SweepError(.io, "cannot append to the \(role) \(path): \(error.localizedDescription)")
            }
            handle = file
        } else {
            guard FileManager.default.createFile(atPath: path, contents: nil),
                let file = FileHandle(forWritingAtPath: path)
            else {
                throw SweepError(
                    .io, "cannot create the \(role) at \(path); check the directory exists and is writable")
            }
            handle = file
        }
    }

    /// Writes `text` with one write call.
    /// - Throws: ``SweepError`` `.io` (disk full, closed pipe).
    func write(_ text: String) throws(SweepError) {
        do {
            try handle.write(contentsOf: Data(text.utf8))
        } catch {
            throw SweepError(.io, "cannot write the \(role) \(path): \(error.localizedDescription)")
        }
    }

    /// Forces what was written to disk (nothing to do for standard output).
    func sync() {
        if !isStandardOutput { try? handle.synchronize() }
    }

    /// Syncs and closes the file (standard output stays open).
    func close() {
        guard !isStandardOutput else { return }
        try? handle.synchronize()
        try? handle.close()
    }
}
