import Foundation

/// What `ps` and `/proc/PID/cmdline` show of this process.
enum ProcessTitle {
    /// The flags whose whole value is a secret.
    static let secretFlags = ["--api-key"]
    /// The flags whose `KEY=VALUE` value may be a secret, whatever the key's name.
    static let headerFlags = ["--grpc-meta"]

    /// Overwrites secret values in the process's own argument memory with `x`s, so that other
    /// users listing processes do not see them; call after copying the arguments. (The window
    /// between exec and this call remains: `TEMPORAL_API_KEY` has none.)
    static func hideSecrets() {
        let count = Int(CommandLine.argc)
        var pending: String?
        for index in 1..<max(1, count) {
            guard let argument = CommandLine.unsafeArgv[index] else { continue }
            let text = String(cString: argument)
            if let flag = pending {
                hide(argument, text, asValueOf: flag, from: 0)
                pending = nil
                continue
            }
            if secretFlags.contains(text) || headerFlags.contains(text) {
                pending = text
            } else if let flag = (secretFlags + headerFlags).first(where: { text.hasPrefix($0 + "=") }) {
                hide(argument, String(text.dropFirst(flag.count + 1)), asValueOf: flag, from: flag.utf8.count + 1)
            }
        }
    }

    /// Hides `value` (which starts at `offset` in `argument`): all of it for a secret flag; for a
    /// header flag, what follows `=` (or when there is no `=`, all of it: it may be a credential
    /// typed with another separator).
    private static func hide(
        _ argument: UnsafeMutablePointer<CChar>, _ value: String, asValueOf flag: String, from offset: Int
    ) {
        guard headerFlags.contains(flag) else {
            overwrite(argument, from: offset)
            return
        }
        guard let equals = value.firstIndex(of: "=") else {
            overwrite(argument, from: offset)
            return
        }
        overwrite(argument, from: offset + value[..<equals].utf8.count + 1)
    }

    private static func overwrite(_ argument: UnsafeMutablePointer<CChar>, from offset: Int) {
        let length = strlen(argument)
        guard length > offset else { return }
        memset(argument + offset, Int32(UInt8(ascii: "x")), length - offset)
    }
}
