import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension ProcessInfo {
    /// The login name, from $USER or $LOGNAME, else the process's OS account (containers and some
    /// cron setups set neither), else its numeric user ID.
    static var sweepUserName: String {
        let environment = ProcessInfo.processInfo.environment
        for name in ["USER", "LOGNAME"] {
            if let value = environment[name], !value.isEmpty { return value }
        }
        let uid = geteuid()
        if let entry = getpwuid(uid), let name = entry.pointee.pw_name {
            let account = String(cString: name)
            if !account.isEmpty { return account }
        }
        return "uid-\(uid)"
    }

    /// This machine's host name.
    static var sweepHostName: String {
        ProcessInfo.processInfo.hostName
    }
}
