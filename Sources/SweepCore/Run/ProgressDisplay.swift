import Foundation
import Logging
import Synchronization

/// The run's progress while it goes: on a terminal, one line on standard error redrawn about ten
/// times a second (done/total, rate, ETA, counts per outcome, retries, throttling) and cleared
/// before anything else is printed; off a terminal, a log line every ten seconds; or nothing.
package final class ProgressDisplay: Sendable {
    package enum Mode: Sendable, Hashable {
        /// Redraw a line on standard error.
        case terminal
        /// A swift-log line at info level every `interval`.
        case log(interval: Duration)
        case off

        /// This mode, or none when standard output is the same terminal and carries rows (a dry
        /// run's table, a plan or a report on `-`), which a redrawn line would break.
        func besideRows(standardOutputIsTerminal: Bool, writesStandardOutput: Bool) -> Mode {
            self == .terminal && standardOutputIsTerminal && writesStandardOutput ? .off : self
        }
    }

    let mode: Mode
    private let logger: Logger
    /// Whether a progress line is on the screen now.
    private let drawn = Mutex(false)

    package init(mode: Mode) {
        self.mode = mode
        self.logger = Logger(label: "sweep")
    }

    /// `.terminal` when standard error is a terminal, else a log line every ten seconds; `.off` when quiet.
    package static func mode(quiet: Bool) -> Mode {
        if quiet { return .off }
        return isatty(STDERR_FILENO) == 1 ? .terminal : .log(interval: .seconds(10))
    }

    /// Runs `body` while showing `snapshot()` at the mode's pace; clears the line afterwards.
    func showing<Value: Sendable>(
        _ snapshot: @escaping @Sendable () -> ProgressSnapshot,
        _ body: () async -> Value
    ) async -> Value {
        let interval: Duration
        switch mode {
        case .off: return await body()
        case .terminal: interval = .milliseconds(100)
        case .log(let every): interval = every
        }
        return await withTaskGroup(of: Void.self) { group in
            group.addTask { [self] in
                while !Task.isCancelled {
                    do {
                        try await Task.sleep(for: interval)
                    } catch {
                        return
                    }
                    show(snapshot())
                }
            }
            let value = await body()
            group.cancelAll()
            await group.waitForAll()
            clear()
            return value
        }
    }

    private func show(_ snapshot: ProgressSnapshot) {
        switch mode {
        case .terminal:
            let line = String(snapshot.line.prefix(max(20, Self.terminalWidth() - 1)))
            drawn.withLock { drawn in
                Self.write("\r\u{1B}[2K" + line)
                drawn = true
            }
        case .log:
            logger.info("\(snapshot.line)")
        case .off:
            break
        }
    }

    /// Removes the progress line, if one is drawn (before any other output).
    func clear() {
        printing {}
    }

    /// Clears the line, then runs `body` (which prints), with no redraw in between.
    func printing(_ body: () -> Void) {
        drawn.withLock { drawn in
            if drawn { Self.write("\r\u{1B}[2K") }
            drawn = false
            body()
        }
    }

    private static func write(_ text: String) {
        try? FileHandle.standardError.write(contentsOf: Data(text.utf8))
    }

    private static func terminalWidth() -> Int {
        var size = winsize()
        guard ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return 80 }
        return Int(size.ws_col)
    }
}

/// A console that clears the progress line before it prints.
struct ProgressConsole<Base: Console>: Console {
    let base: Base
    let display: ProgressDisplay

    var isInteractive: Bool { base.isInteractive }
    var standardOutputIsTerminal: Bool { base.standardOutputIsTerminal }

    func say(_ text: String) {
        display.printing { base.say(text) }
    }

    func note(_ text: String) {
        display.printing { base.note(text) }
    }

    func ask(_ question: String) -> String? {
        display.clear()
        return base.ask(question)
    }
}

/// What the progress display shows at one moment.
struct ProgressSnapshot: Sendable {
    var verb: String
    var tally: Tally
    /// Workflows in the job set (the survey's count), `nil` when unknown.
    var total: Int?
    var elapsed: Duration
    var retries: Int
    /// The pace now and the one asked for (lower while the server throttles).
    var rate: Double
    var targetRate: Double
    /// `--engine server`: the batch job running now, as the server counts it.
    var serverJob: StartedBatchJobs.Progress?

    /// `terminate 1200/5000 24% 48.9/s ETA 1m17s | terminated 1180 not_found 20 | retries 3 | throttled to 25/s`
    var line: String {
        let done = tally.workflows
        var parts: [String] = []
        let seconds = elapsed.inSeconds
        let perSecond = seconds > 0 ? Double(done) / seconds : 0
        if let total, total > 0 {
            let percent = min(100, Int((Double(done) / Double(total) * 100).rounded(.down)))
            var head = "\(verb) \(done)/\(total) \(percent)% " + String(format: "%.1f/s", perSecond)
            // With a server batch job, rows come a slice at a time: their pace says nothing of the end.
            if done < total, perSecond > 0, serverJob == nil {
                head += " ETA \(Self.format(seconds: Double(total - done) / perSecond))"
            }
            parts.append(head)
        } else {
            parts.append("\(verb) \(done) " + String(format: "%.1f/s", perSecond))
        }
        let counts = Outcome.allCases.filter { tally[$0] > 0 }.map { "\($0.rawValue) \(tally[$0])" }
        if !counts.isEmpty { parts.append(counts.joined(separator: " ")) }
        if retries > 0 { parts.append("retries \(retries)") }
        if let serverJob {
            parts.append("batch job \(serverJob.jobID): \(serverJob.done)/\(serverJob.total) on the server")
        } else if rate < targetRate * 0.99 {
            parts.append(String(format: "throttled to %.1f/s", rate))
        }
        return parts.joined(separator: " | ")
    }

    /// `42s`, `3m05s`, `1h02m`.
    static func format(seconds: Double) -> String {
        let total = Int(seconds.rounded(.up))
        if total < 60 { return "\(total)s" }
        if total < 3600 { return String(format: "%dm%02ds", total / 60, total % 60) }
        return String(format: "%dh%02dm", total / 3600, (total % 3600) / 60)
    }
}
