import SweepGRPC
import Testing

@testable import SweepCore

@Suite("connection failures")
struct ConnectionFailureTests {
    private func message(_ text: String) -> String {
        ConnectionFailure.message(
            RPCError(code: .unavailable, message: text), options: ConnectionOptions(address: "127.0.0.1:8233"))
    }

    @Test("an HTTP/1 port is named as one, not only told to add --tls")
    func httpOne() {
        let text = message(
            "failed to connect to all addresses; last error: UNAVAILABLE: Trying to connect an http1.x server")
        #expect(text.contains("answers HTTP/1, not gRPC"), "\(text)")
        #expect(text.contains("7233"))
        #expect(text.contains("nothing was sent"))
    }

    @Test("a port that does not speak HTTP/2 is named as not gRPC")
    func notHTTP2() {
        let text = message("ipv4:127.0.0.1:8233: Failed parsing HTTP/2")
        #expect(text.contains("does not speak gRPC (HTTP/2)"), "\(text)")
        #expect(!text.contains("add --tls"))
    }

    @Test("a plaintext connection closed by the server may need TLS")
    func closed() {
        let text = message("Socket closed")
        #expect(text.contains("it may require TLS: add --tls"), "\(text)")
    }
}
