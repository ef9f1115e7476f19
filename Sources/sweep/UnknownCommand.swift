import ArgumentParser
import SweepCore

/// Typos argument-parser reports as something else: a mistyped command (`sweep cancle -w x`
/// would say `Unknown option '-w'`), and a mistyped selector (`--querry`, which leaves the
/// command without one, so that "Say which workflows" hides the typo).
enum UnknownCommand {
    /// The error for a first argument that is no command, with the nearest command's name.
    static func message(_ arguments: [String], commands: [String]) -> String? {
        guard let first = arguments.first, !first.hasPrefix("-"), first != "help", !commands.contains(first) else {
            return nil
        }
        let nearest = commands.min { distance(first, $0) < distance(first, $1) }
        let hint = nearest.flatMap { distance(first, $0) <= 2 ? " Did you mean '\($0)'?" : nil } ?? ""
        return
            "Error: '\(first.escapedForTerminal)' is not a sweep command.\(hint) The commands are \(commands.joined(separator: ", ")) (sweep --help)."
    }

    /// When the command line lacks a selector only because an option was mistyped: the error for
    /// that option, found by parsing again with a selector added.
    /// - Parameter message: the error argument-parser gave; only a missing selector is looked into.
    static func mistypedOption(_ arguments: [String], message: String) -> String? {
        guard message.contains("Say which workflows") else { return nil }
        do {
            _ = try Sweep.parseAsRoot(arguments + ["--workflow-id", "x"])
            return nil
        } catch {
            let found = Sweep.fullMessage(for: error)
            // The option the operator typed, not the one added here.
            let typed = arguments.contains { argument in
                let option = argument.split(separator: "=", maxSplits: 1).first.map(String.init) ?? argument
                return found.contains("Unknown option '\(option)'")
            }
            return typed ? found : nil
        }
    }

    /// Levenshtein distance, for names a few characters long.
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a)
        let b = Array(b)
        guard !a.isEmpty, !b.isEmpty else { return max(a.count, b.count) }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution)
            }
            previous = current
        }
        return previous[b.count]
    }
}
