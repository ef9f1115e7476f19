import Foundation

extension ProcessInfo {
    /// The login name, from $USER or $LOGNAME, else "unknown".
    static var sweepUserName: String {
        let environment = ProcessInfo.processInfo.environment
        return environment["USER"] ?? environment["LOGNAME"] ?? "unknown"
    }

    /// This machine's host name.
    static var sweepHostName: String {
        ProcessInfo.processInfo.hostName
    }
}
