#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// This process's CPU time (user + system) so far, from getrusage.
package enum ProcessCPU {
    package static func now() -> Duration {
        var usage = rusage()
        getrusage(RUSAGE_SELF_VALUE, &usage)
        func duration(_ time: timeval) -> Duration {
            .seconds(Int64(time.tv_sec)) + .microseconds(Int64(time.tv_usec))
        }
        return duration(usage.ru_utime) + duration(usage.ru_stime)
    }
}

#if canImport(Glibc)
    private let RUSAGE_SELF_VALUE = Int32(RUSAGE_SELF.rawValue)
#else
    private let RUSAGE_SELF_VALUE = RUSAGE_SELF
#endif
