import Foundation
import SweepCore
import SweepTestSupport
import Testing

/// TLS, mutual TLS and API keys for real: nginx terminating TLS in front of the dev server, with
/// certificates openssl made for the test, and the real binary.
@Suite("secure connections through a TLS proxy")
struct SecureConnectionTests {
    let harness: Harness

    init() throws {
        harness = try Harness()
    }

    @Test("server TLS, mutual TLS with an API key (flags, a profile, variables), a server name, no verification")
    func connects() async throws {
        let proxy = try await TLSProxy(upstream: harness.address)
        defer { proxy.stop() }
        let type = TestEnvironment.uniqueName("Secure")
        let seeded = try await harness.seed(5, type: type)
        let ids = seeded.map(\.workflowID)

        // 1. Server TLS with the CA, by flags.
        let tls = try await harness.sweep.run([
            "terminate", "-w", ids[0], "--address", proxy.tlsAddress, "--tls-ca-path", proxy.caPath,
            "--report", "-",
        ])
        #expect(tls.status == 0, "\(tls.standardError)")
        #expect(tls.standardOutput.contains("\(ids[0]),"), "\(tls.standardOutput)")
        #expect(tls.standardOutput.contains(",terminated,"))

        // 2. Mutual TLS and the API key from a temporal.toml profile and TEMPORAL_* variables.
        let file = TestEnvironment.temporaryPath("temporal.toml")
        try """
        [profile.secure]
        address = "\(proxy.mutualAddress)"
        namespace = "default"
        [profile.secure.tls]
        server_ca_cert_path = "\(proxy.caPath)"
        client_cert_path = "\(proxy.clientCertificatePath)"
        client_key_path = "\(proxy.clientKeyPath)"
        """.write(toFile: file, atomically: true, encoding: .utf8)
        let environment = [
            "TEMPORAL_CONFIG_FILE": file, "TEMPORAL_PROFILE": "secure", "TEMPORAL_API_KEY": proxy.apiKey,
        ]
        let mutual = try await harness.sweep.run(
            ["terminate", "-w", ids[1], "-w", ids[2], "--report", "-"], environment: environment)
        #expect(mutual.status == 0, "\(mutual.standardError)")
        #expect(mutual.standardOutput.components(separatedBy: ",terminated,").count == 3, "\(mutual.standardOutput)")
        #expect(!(mutual.standardOutput + mutual.standardError).contains(proxy.apiKey))

        // 3. The same with flags only (and the key inline in the profile's place: --api-key).
        let flags = try await harness.sweep.run([
            "terminate", "-w", ids[3], "--address", proxy.mutualAddress, "--tls-ca-path", proxy.caPath,
            "--tls-cert-path", proxy.clientCertificatePath, "--tls-key-path", proxy.clientKeyPath,
            "--api-key", proxy.apiKey, "--report", "-",
        ])
        #expect(flags.status == 0, "\(flags.standardError)")
        #expect(flags.standardOutput.contains(",terminated,"))

        // 4. A name override: dial localhost but expect the certificate's 127.0.0.1 name, and the reverse.
        let port = proxy.tlsAddress.split(separator: ":").last.map(String.init) ?? ""
        let named = try await harness.sweep.run([
            "terminate", "-w", ids[4], "--address", "127.0.0.1:\(port)", "--tls-ca-path", proxy.caPath,
            "--tls-server-name", "localhost", "--report", "-",
        ])
        #expect(named.status == 0, "\(named.standardError)")

        // 5. No verification at all: a CA that signed nothing here is not consulted.
        let unverified = try await harness.sweep.run([
            "cancel", "-w", TestEnvironment.uniqueName("absent"), "--address", proxy.tlsAddress,
            "--tls-ca-path", proxy.otherCAPath, "--tls-disable-host-verification", "--report", "-",
        ])
        #expect(unverified.status == 0, "\(unverified.standardError)")
        #expect(unverified.standardOutput.contains(",not_found,"))

        #expect(try await harness.statuses(of: seeded) == [.terminated: 5])
    }

    /// One refused connection: flags, variables, the exit code and what the message must say.
    struct Refusal: Sendable, CustomTestStringConvertible {
        var name: String
        var arguments: @Sendable (TLSProxy) -> [String]
        var environment: @Sendable (TLSProxy) -> [String: String] = { _ in [:] }
        var status: Int32
        var message: String
        var testDescription: String { name }
    }

    static let refusals: [Refusal] = [
        Refusal(
            name: "unknown CA", arguments: { ["--address", $0.tlsAddress, "--tls-ca-path", $0.otherCAPath] }, status: 3,
            message: "TLS certificate at"),
        Refusal(
            name: "system roots only", arguments: { ["--address", $0.tlsAddress, "--tls"] }, status: 3,
            message: "give its CA with --tls-ca-path"),
        Refusal(
            name: "expired server certificate",
            arguments: { ["--address", $0.expiredAddress, "--tls-ca-path", $0.caPath] }, status: 3,
            message: "it is expired or"),
        Refusal(
            name: "wrong host name",
            arguments: { proxy in
                ["--address", proxy.tlsAddress, "--tls-ca-path", proxy.caPath, "--tls-server-name", "prod.example.com"]
            }, status: 3, message: "does not carry the expected name"),
        Refusal(
            name: "plaintext to a TLS server", arguments: { ["--address", $0.tlsAddress] }, status: 3,
            message: "if it is a TLS port, add --tls"),
        Refusal(
            name: "wrong API key",
            arguments: { proxy in
                [
                    "--address", proxy.mutualAddress, "--tls-ca-path", proxy.caPath, "--tls-cert-path",
                    proxy.clientCertificatePath, "--tls-key-path", proxy.clientKeyPath,
                ]
            }, environment: { _ in ["TEMPORAL_API_KEY": "not-the-key"] }, status: 3, message: "refused the credentials"),
        Refusal(
            name: "a namespace the key may not use",
            arguments: { proxy in
                [
                    "--address", proxy.mutualAddress, "--tls-ca-path", proxy.caPath, "--tls-cert-path",
                    proxy.clientCertificatePath, "--tls-key-path", proxy.clientKeyPath, "--api-key", proxy.apiKey,
                    "-n", proxy.forbiddenNamespace,
                ]
            }, status: 3, message: "not allowed to use namespace forbidden-namespace"),
        Refusal(
            name: "missing client certificate",
            arguments: { ["--address", $0.mutualAddress, "--tls-ca-path", $0.caPath, "--api-key", $0.apiKey] },
            status: 3, message: "asks for a client certificate"),
        Refusal(
            name: "expired client certificate",
            arguments: { proxy in
                [
                    "--address", proxy.mutualAddress, "--tls-ca-path", proxy.caPath, "--tls-cert-path",
                    proxy.expiredCertificatePath, "--tls-key-path", proxy.expiredKeyPath, "--api-key", proxy.apiKey,
                ]
            }, status: 3, message: "the client certificate expired on"),
        Refusal(
            name: "a key that is not the certificate's",
            arguments: { proxy in
                [
                    "--address", proxy.mutualAddress, "--tls-ca-path", proxy.caPath, "--tls-cert-path",
                    proxy.clientCertificatePath, "--tls-key-path", proxy.strayKeyPath,
                ]
            }, status: 2, message: "stray.key (--tls-key-path) does not belong to the certificate"),
        Refusal(
            name: "a key where the CA belongs",
            arguments: { ["--address", $0.tlsAddress, "--tls-ca-path", $0.clientKeyPath] }, status: 2,
            message: "client.key (--tls-ca-path) holds no PEM certificate"),
        Refusal(
            name: "a missing CA file",
            arguments: { ["--address", $0.tlsAddress, "--tls-ca-path", $0.directory + "/absent.pem"] }, status: 2,
            message: "absent.pem (--tls-ca-path): it does not exist"),
        Refusal(
            name: "a certificate without its key",
            arguments: { ["--address", $0.mutualAddress, "--tls-cert-path", $0.clientCertificatePath] }, status: 2,
            message: "no client key"),
    ]

    @Test("refused connections: exit 3 (handshake, credentials) or 2 (files), saying what to check, nothing touched")
    func refusals() async throws {
        let proxy = try await TLSProxy(upstream: harness.address)
        defer { proxy.stop() }
        let type = TestEnvironment.uniqueName("Refused")
        let seeded = try await harness.seed(Self.refusals.count, type: type)
        for (refusal, target) in zip(Self.refusals, seeded) {
            let result = try await harness.sweep.run(
                ["terminate", "-w", target.workflowID, "--report", "-"] + refusal.arguments(proxy),
                environment: refusal.environment(proxy))
            #expect(result.status == refusal.status, "\(refusal.name): \(result.standardError)")
            #expect(result.standardError.contains(refusal.message), "\(refusal.name): \(result.standardError)")
            #expect(result.standardError.contains("nothing was sent") || refusal.status == 2, "\(refusal.name)")
            #expect(!result.standardError.contains(proxy.apiKey), "\(refusal.name)")
            #expect(!result.standardOutput.contains(",terminated,"), "\(refusal.name): \(result.standardOutput)")
        }
        #expect(try await harness.statuses(of: seeded) == [.running: Self.refusals.count])
    }
}

@Suite("secrets in the process title")
struct ProcessTitleTests {
    @Test("ps shows neither --api-key nor any header's value; header names stay readable")
    func hidden() async throws {
        let harness = try Harness()
        let fifo = TestEnvironment.temporaryPath("ids.fifo")
        #expect(mkfifo(fifo, 0o600) == 0)
        // Blocked reading a FIFO nobody writes: alive long enough to be looked at.
        let running = try harness.sweep.start([
            "cancel", "--input", fifo, "--address", harness.address, "--no-tls", "--api-key", "sk-secret-one",
            "--grpc-meta", "authorization=Bearer sk-secret-two", "--grpc-meta=x-api-token=sk-secret-three",
            "--grpc-meta", "tenant=blue",
        ])
        // The title is rewritten, one argument after another, once sweep has read them: wait until
        // the last of them (the credential header) is masked, not for a time.
        let title = try await Patience.waitFor("sweep to mask its process title", every: .milliseconds(50)) {
            () -> (value: String?, seen: String) in
            let bytes =
                (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(running.processIdentifier)/cmdline"))) ?? Data()
            let title = String(decoding: bytes.map { $0 == 0 ? UInt8(ascii: " ") : $0 }, as: UTF8.self)
            let masked = title.contains("xxxx") && !title.contains("sk-secret")
            return (masked ? title : nil, title)
        }
        running.send(SIGKILL)
        _ = await running.wait()
        #expect(title.contains("--api-key xxxxxxxxxxxxx"), "\(title)")
        #expect(!title.contains("sk-secret"), "\(title)")
        #expect(title.contains("authorization=xxxx"))
        #expect(title.contains("x-api-token=xxxx"))
        #expect(title.contains("tenant=xxxx") && !title.contains("blue"), "\(title)")
    }
}
