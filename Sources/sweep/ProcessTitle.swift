import Foundation

/// What `ps` and `/proc/PID/cmdline` show of this process.
enum ProcessTitle {
    /// The flags whose values are secrets.
    static let secretFlags = ["--api-key"]

    /// Overwrites the values of secret flags in the process's own argument memory with `x`s, so
    /// that other users listing processes do not see them; call after copying the arguments.
    /// (The window between exec and this call remains: `TEMPORAL_API_KEY` has none.)
    static func hideSecrets() {
        let count = Int(CommandLine.argc)
        var hideNext = false
        for index in 1..<max(1, count) {
            guard let argument = CommandLine.unsafeArgv[index] else { continue }
            let text = String(cString: argument)
            if hideNext {
                overwrite(argument, from: 0)
                hideNext = false
                continue
            }
            if secretFlags.contains(text) {
                hideNext = true
            } else if let flag = secretFlags.first(where: { text.hasPrefix($0 + "=") }) {
                overwrite(argument, from: flag.utf8.count + 1)
            }
        }
    }

    private static func overwrite(_ argument: UnsafeMutablePointer<CChar>, from offset: Int) {
        let length = strlen(argument)
        guard length > offset else { return }
        memset(argument + offset, Int32(UInt8(ascii: "x")), length - offset)
    }
}
