import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A TCP port on loopback that accepts connections and never speaks HTTP/2: a call to it is
/// sent and then never answered, until its deadline (a server that took the request and hung).
package final class SilentServer {
    private let listener: Int32
    package let port: UInt16

    package init() throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard listener >= 0, bound == 0, listen(listener, 64) == 0 else {
            if listener >= 0 { close(listener) }
            throw TestEnvironment.Missing(
                description: "a loopback port to listen on: \(String(cString: strerror(errno)))")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        self.listener = listener
        port = UInt16(bigEndian: address.sin_port)
    }

    package var address: String { "127.0.0.1:\(port)" }

    deinit { close(listener) }
}
