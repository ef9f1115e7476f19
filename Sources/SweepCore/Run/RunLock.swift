import Foundation

/// `--lock PATH`: at most one sweep at a time per lock file (flock), for cron jobs that may
/// overlap. The holder writes its PID into the file; the lock is the kernel's and goes with the
/// process, so a crashed run leaves no stale lock (only a stale PID in the file, which says so).
final class RunLock {
    /// The exit code of a run that found the lock held: EX_TEMPFAIL, "try again later".
    static let heldExitCode: Int32 = 75

    private let descriptor: Int32
    let path: String

    /// Takes the lock or fails at once.
    /// - Throws: ``SweepError`` `.usage` when the file cannot be opened, is a symbolic link, is not
    ///   a regular file, lives on a kernel pseudo-filesystem (procfs, sysfs, cgroups), or holds
    ///   something other than a PID (it is some other file: a lock must never overwrite an input, a
    ///   report or a setting); ``Held`` when another process holds it.
    init(path: String) throws {
        self.path = path
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o644)
        guard descriptor >= 0 else {
            let reason = errno == ELOOP ? "it is a symbolic link" : String(cString: strerror(errno))
            throw SweepError(.usage, "cannot use \(path) as the lock file: \(reason)")
        }
        var status = stat()
        guard fstat(descriptor, &status) == 0, status.st_mode & S_IFMT == S_IFREG else {
            close(descriptor)
            throw SweepError(.usage, "cannot use \(path) as the lock file: it is not a regular file")
        }
        if Self.isKernelFile(path) {
            close(descriptor)
            throw SweepError(.usage, "cannot use \(path) as the lock file: it is a kernel setting, not a file")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let reason = errno
            let holder = Self.readHolder(descriptor)
            close(descriptor)
            if reason == EWOULDBLOCK {
                throw Held(path: path, holder: holder)
            }
            throw SweepError(.usage, "cannot lock \(path): \(String(cString: strerror(reason)))")
        }
        // Checked under the lock, so that a holder rewriting its PID cannot make it look foreign:
        // empty (new, or its creator has not written yet) or a PID (a holder that has gone).
        guard fstat(descriptor, &status) == 0, status.st_size == 0 || Self.readHolder(descriptor) != nil else {
            close(descriptor)
            throw SweepError(
                .usage,
                "\(path) is not a lock file (it holds something other than a PID); give --lock a path of its own")
        }
        self.descriptor = descriptor
        // The holder's PID, for the run that finds the lock taken.
        let text = "\(getpid())\n"
        _ = ftruncate(descriptor, 0)
        _ = text.withCString { pwrite(descriptor, $0, strlen($0), 0) }
    }

    /// Under /proc or /sys (procfs, sysfs, cgroups, debugfs...): files that read empty and whose
    /// writes change the kernel.
    private static func isKernelFile(_ path: String) -> Bool {
        guard let resolved = realpath(path, nil) else { return false }
        defer { free(resolved) }
        let real = String(cString: resolved)
        return ["/proc", "/sys"].contains { real == $0 || real.hasPrefix($0 + "/") }
    }

    deinit {
        // Closing releases the lock; the PID stays in the file (harmless: the lock is the flock).
        close(descriptor)
    }

    /// Another process holds the lock.
    struct Held: Error {
        var path: String
        /// The PID the holder wrote, when readable.
        var holder: Int32?

        var message: String {
            let who = holder.map { "another sweep (PID \($0))" } ?? "another process"
            return
                "\(who) holds the lock \(path); not starting (exit \(RunLock.heldExitCode)): let it finish, or check it with ps -p \(holder.map(String.init) ?? "<pid>")"
        }
    }

    private static func readHolder(_ descriptor: Int32) -> Int32? {
        var status = stat()
        guard fstat(descriptor, &status) == 0, status.st_size <= 32 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, 31, 0) }
        guard count > 0 else { return nil }
        let text = String(decoding: buffer.prefix(count), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return Int32(text)
    }
}
