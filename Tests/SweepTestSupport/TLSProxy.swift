import Foundation

/// nginx terminating TLS in front of the dev server, with certificates openssl makes here: the
/// same handshakes a secured cluster does. Three listeners:
/// - ``tlsAddress``: server TLS only;
/// - ``mutualAddress``: a client certificate signed by ``caPath`` is required, and the API key
///   ``apiKey`` (`authorization: Bearer ...`; anything else is HTTP 401, UNAUTHENTICATED), which
///   may not use ``forbiddenNamespace`` (HTTP 403, PERMISSION_DENIED);
/// - ``expiredAddress``: server TLS with a certificate that expired yesterday.
package final class TLSProxy {
    package let directory: String
    package let tlsAddress: String
    package let mutualAddress: String
    package let expiredAddress: String
    package let apiKey = "sweep-test-key-0123456789"
    /// A namespace the API key may not use: HTTP 403, which gRPC reads as PERMISSION_DENIED.
    package let forbiddenNamespace = "forbidden-namespace"
    private let process: Process

    /// The test CA's certificate, the client's certificate and key, one that expired, a key that
    /// belongs to no certificate here, and a CA that signed nothing here.
    package var caPath: String { directory + "/ca.pem" }
    package var clientCertificatePath: String { directory + "/client.pem" }
    package var clientKeyPath: String { directory + "/client.key" }
    package var expiredCertificatePath: String { directory + "/expired-client.pem" }
    package var expiredKeyPath: String { directory + "/expired-client.key" }
    package var strayKeyPath: String { directory + "/stray.key" }
    package var otherCAPath: String { directory + "/other-ca.pem" }

    /// Makes the certificates and starts nginx forwarding to `upstream` (`host:port`).
    package init(upstream: String) async throws {
        directory = TestEnvironment.temporaryPath("tls")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try await Self.makeCertificates(in: directory)
        let ports = try (0..<3).map { _ in try DevServer.freePort() }
        tlsAddress = "127.0.0.1:\(ports[0])"
        mutualAddress = "127.0.0.1:\(ports[1])"
        expiredAddress = "127.0.0.1:\(ports[2])"
        let configuration = """
            daemon off; pid \(directory)/nginx.pid; error_log \(directory)/error.log; worker_processes 1;
            events {}
            http {
              client_body_temp_path \(directory)/body; proxy_temp_path \(directory)/proxy;
              fastcgi_temp_path \(directory)/fastcgi; uwsgi_temp_path \(directory)/uwsgi;
              scgi_temp_path \(directory)/scgi; access_log off;
              server { listen \(tlsAddress) ssl http2;
                ssl_certificate \(directory)/server.pem; ssl_certificate_key \(directory)/server.key;
                location / { grpc_pass grpc://\(upstream); } }
              server { listen \(mutualAddress) ssl http2;
                ssl_certificate \(directory)/server.pem; ssl_certificate_key \(directory)/server.key;
                ssl_client_certificate \(directory)/ca.pem; ssl_verify_client on;
                location / { if ($http_authorization != "Bearer \(apiKey)") { return 401; }
                             if ($http_temporal_namespace = "\(forbiddenNamespace)") { return 403; }
                             grpc_pass grpc://\(upstream); } }
              server { listen \(expiredAddress) ssl http2;
                ssl_certificate \(directory)/expired-server.pem; ssl_certificate_key \(directory)/expired-server.key;
                location / { grpc_pass grpc://\(upstream); } }
            }
            """
        try configuration.write(toFile: directory + "/nginx.conf", atomically: true, encoding: .utf8)
        process = Process()
        process.executableURL = URL(fileURLWithPath: try Self.nginx())
        process.arguments = ["-c", directory + "/nginx.conf", "-p", directory]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        do {
            for port in ports {
                try await Self.waitForListener(port: port, process: process, log: directory + "/error.log")
            }
        } catch {
            stop()
            throw error
        }
    }

    /// Stops nginx.
    package func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }

    deinit {
        stop()
    }

    private static func nginx() throws -> String {
        for path in ["/usr/sbin/nginx", "/usr/bin/nginx"] where FileManager.default.isExecutableFile(atPath: path) {
            return path
        }
        throw TestEnvironment.Missing(description: "nginx is not installed (scripts/install-deps installs nginx-light)")
    }

    private static func makeCertificates(in directory: String) async throws {
        let script = """
            set -e
            cd '\(directory)'
            key() { openssl req -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "/CN=$2" 2>/dev/null; }
            sign() { openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -out "$1.pem" \\
                -days "$2" ${3:+-extfile "$3"} 2>/dev/null; }
            openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj "/CN=sweep test CA" 2>/dev/null
            openssl req -x509 -newkey rsa:2048 -nodes -keyout other-ca.key -out other-ca.pem -days 2 \\
                -subj "/CN=some other CA" 2>/dev/null
            printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\n' > san.ext
            key server localhost; sign server 2 san.ext
            key expired-server localhost; sign expired-server -1 san.ext
            key client "sweep test client"; sign client 2
            key expired-client "sweep expired client"; sign expired-client -1
            openssl genrsa -out stray.key 2048 2>/dev/null
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", script]
        // Seven RSA keys take seconds on a loaded machine: wait without holding one of the
        // cooperative pool's threads (there are two here; every other test needs them).
        let status = try await withCheckedThrowingContinuation {
            (continuation: CheckedContinuation<Int32, any Error>) in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
            }
        }
        guard status == 0 else {
            throw TestEnvironment.Missing(description: "openssl could not make the test certificates")
        }
    }

    private static func waitForListener(port: Int, process: Process, log: String) async throws {
        try await Patience.waitUntil("nginx to listen on port \(port)", every: .milliseconds(50)) {
            guard process.isRunning else {
                let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
                throw TestEnvironment.Missing(description: "nginx exited: \(text)")
            }
            let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
                }
            }
            close(socket)
            return (connected, "not listening")
        }
    }
}
