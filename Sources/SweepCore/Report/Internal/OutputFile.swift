import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A file (or standard output, for "-") that rows are written to one write at a time.
///
/// Files are created 0600 (reports and plans name customers' work), never over an existing file
/// unless the caller asked to overwrite it, and appended to only at the end of their last whole row.
struct OutputFile: Sendable {
    /// How to open the file.
    enum Mode: Sendable, Hashable {
        /// A new file; an existing one is refused.
        case create
        /// A new file, or an existing one truncated.
        case overwrite
        /// An existing file, first cut back to `length` bytes (dropping a torn last row).
        case append(truncatingTo: Int)
    }

    let path: String
    /// What the file holds, for messages ("report", "plan").
    let role: String
    private let handle: FileHandle
    private let isStandardOutput: Bool

    /// Opens `path` as `mode` says.
    /// - Throws: ``SweepError`` `.io` naming the file and what to do (nothing has been sent yet).
    init(path: String, role: String, mode: Mode = .create) throws(SweepError) {
        self.path = path
        self.role = role
        isStandardOutput = path == "-"
        if isStandardOutput {
            handle = FileHandle.standardOutput
            return
        }
        // An existing character device or FIFO (/dev/null, /dev/stderr, a named pipe) is written as
        // it is: nothing to protect from being replaced, and never truncated or chmod-ed. Anything
        // else that exists (a file, a block device, a directory) is refused as existing.
        var status = stat()
        let kind = stat(path, &status) == 0 ? status.st_mode & S_IFMT : 0
        let isSpecial = kind == S_IFCHR || kind == S_IFIFO
        if case .append = mode, kind != S_IFREG {
            // A resumed report is read back, then appended to: a pipe would be read empty or
            // block the run once its buffer fills.
            throw SweepError(.io, "--resume needs the \(role) as a file; \(path) is not a regular file")
        }
        if mode != .create, kind != 0, kind != S_IFREG, !isSpecial {
            throw SweepError(.io, "the \(role) path \(path) is not a file; give a file path")
        }
        let flags: Int32
        switch mode {
        case _ where isSpecial: flags = O_WRONLY | O_CLOEXEC
        case .create: flags = O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC
        case .overwrite: flags = O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC
        case .append: flags = O_WRONLY | O_CLOEXEC
        }
        let descriptor = open(path, flags, 0o600)
        guard descriptor >= 0 else {
            let reason = String(cString: strerror(errno))
            switch (mode, errno) {
            case (.create, EEXIST):
                // Only a report can be resumed (a plan is written again).
                let resume = role == "report" ? ", resume it with --resume \(path)," : ""
                throw SweepError(
                    .io,
                    "the \(role) \(path) already exists; choose another path\(resume) or replace it with --overwrite")
            case (.append, _):
                throw SweepError(.io, "cannot open the \(role) \(path) to append to it: \(reason)")
            default:
                throw SweepError(
                    .io, "cannot create the \(role) at \(path): \(reason); check the directory exists and is writable")
            }
        }
        let file = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        if mode == .overwrite, !isSpecial { fchmod(descriptor, 0o600) }
        if case .append(let length) = mode, !isSpecial {
            guard ftruncate(descriptor, off_t(length)) == 0, lseek(descriptor, 0, SEEK_END) >= 0 else {
                throw SweepError(.io, "cannot append to the \(role) \(path): \(String(cString: strerror(errno)))")
            }
        }
        handle = file
    }

    /// Whether `path` is the terminal standard output or standard error is on (`/dev/stdout`,
    /// `/dev/tty`, `/dev/pts/3`...): rows written there share the screen with the progress line.
    static func isTerminal(_ path: String) -> Bool {
        var target = stat()
        guard stat(path, &target) == 0, target.st_mode & S_IFMT == S_IFCHR else { return false }
        var tty = stat()
        if stat("/dev/tty", &tty) == 0, tty.st_rdev == target.st_rdev { return true }
        for descriptor in [STDOUT_FILENO, STDERR_FILENO] where isatty(descriptor) == 1 {
            var status = stat()
            if fstat(descriptor, &status) == 0, status.st_rdev == target.st_rdev { return true }
        }
        return false
    }

    /// Creates a new file named `stem` + `suffix`, or `stem-2` + `suffix`, `stem-3`... when that
    /// name is taken (two runs in the same second).
    static func createUnique(stem: String, suffix: String, role: String) throws(SweepError) -> OutputFile {
        for attempt in 1...1000 {
            let path = attempt == 1 ? stem + suffix : "\(stem)-\(attempt)\(suffix)"
            guard !FileManager.default.fileExists(atPath: path) else { continue }
            do {
                return try OutputFile(path: path, role: role, mode: .create)
            } catch  where FileManager.default.fileExists(atPath: path) {
                continue  // taken between the check and the create
            }
        }
        throw SweepError(.io, "cannot find a free name for the \(role) like \(stem)\(suffix); give one with --report")
    }

    /// Writes `text` with one write call.
    /// - Throws: ``SweepError`` `.output` (disk full, closed pipe): the file is incomplete.
    func write(_ text: String) throws(SweepError) {
        do {
            try handle.write(contentsOf: Data(text.utf8))
        } catch {
            throw SweepError(
                .output, "cannot write the \(role) \(path == "-" ? "to standard output" : path): \(describe(error))")
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

    private func describe(_ error: any Error) -> String {
        let nsError = error as NSError
        if nsError.domain == NSPOSIXErrorDomain, let code = POSIXErrorCode(rawValue: Int32(nsError.code)) {
            return String(cString: strerror(code.rawValue))
        }
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain
        {
            return String(cString: strerror(Int32(underlying.code)))
        }
        return error.localizedDescription
    }
}
