import UnixSignals

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// SIGINT and SIGTERM as an operator means them: the first asks for a graceful stop, the second
/// ends the process at once.
package enum StopSignals {
    /// Waits for the first SIGINT or SIGTERM, then restores their default action so that a second
    /// one terminates the process immediately.
    /// - Returns: the signal number, or `nil` if the waiting task was cancelled first.
    package static func first() async -> Int32? {
        let signals = await UnixSignalsSequence(trapping: .sigint, .sigterm)
        for await received in signals {
            let number: Int32 = received == .sigint ? SIGINT : SIGTERM
            signal(SIGINT, SIG_DFL)
            signal(SIGTERM, SIG_DFL)
            return number
        }
        return nil
    }
}
