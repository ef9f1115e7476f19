import Foundation

/// A fail point for the tests that interrupt a real `sweep` mid-run (`kill -9`, SIGINT, a server
/// restart): with `SWEEP_TEST_STOP_AFTER_ROWS=N` in its environment, the process stops itself
/// (SIGSTOP) right after writing its N-th report row, and waits there for the test, which then
/// acts on a run it knows is halfway, however fast or slow this machine is, and lets it go on
/// (SIGCONT) or kills it. Unset, as in every real run, it costs one comparison per row.
///
/// The variable's name says it is for tests; nothing else in sweep reads it.
enum StopPoint {
    /// The row after which the process stops itself, if the tests asked for one.
    static let afterRows: Int? = ProcessInfo.processInfo.environment["SWEEP_TEST_STOP_AFTER_ROWS"]
        .flatMap { Int($0) }.flatMap { $0 > 0 ? $0 : nil }

    /// Called with the number of rows this writer has written, once each row is in the file.
    static func reached(rows: Int) {
        guard rows == afterRows else { return }
        raise(SIGSTOP)
    }
}
