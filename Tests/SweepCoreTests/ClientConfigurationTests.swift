import Foundation
import SweepCore
import Testing

/// The Temporal CLI's order (profile, then TEMPORAL_* variables, then flags), TLS switching and
/// masking, on files and environments made here (nothing read from the machine's own).
@Suite("client configuration: profiles, variables, flags")
struct ClientConfigurationTests {
    let directory: String
    let file: String

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("config-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        file = directory + "/temporal.toml"
        try """
        [profile.default]
        address = "default.example:7233"

        [profile.prod]
        address = "${namespace}.tmprl.cloud:7233"
        namespace = "prod.abcde"
        api_key = "file-secret-key"
          [profile.prod.tls]
          server_ca_cert_path = "/etc/temporal/ca.pem"
          server_name = "prod.example"
          client_key_data = "-----BEGIN PRIVATE KEY-----\\nsecret-key-material\\n-----END PRIVATE KEY-----"
          client_cert_path = "/etc/temporal/client.pem"
          [profile.prod.grpc_meta]
          tenant_id = "blue"
          x_token = "header-secret"
        """.write(toFile: file, atomically: true, encoding: .utf8)
    }

    private func resolve(
        _ flags: ConnectionFlagValues = ConnectionFlagValues(),
        _ environment: [String: String] = [:]
    ) throws(SweepError) -> ClientConfiguration {
        var environment = environment
        // Never the machine's own ~/.config/temporalio/temporal.toml.
        if environment["HOME"] == nil { environment["HOME"] = directory + "/home" }
        return try ClientConfiguration.resolve(flags, environment: environment)
    }

    private func flags(_ change: (inout ConnectionFlagValues) -> Void) -> ConnectionFlagValues {
        var flags = ConnectionFlagValues()
        change(&flags)
        return flags
    }

    @Test("nothing set: the local dev server in plaintext, and a missing default file is no error")
    func defaults() throws {
        let configuration = try resolve()
        #expect(configuration.address == Setting("127.0.0.1:7233", from: .builtIn))
        #expect(configuration.namespace.value == "default")
        #expect(configuration.tlsEnabled.value == false)
        #expect(configuration.configFileFound == false)
        #expect(configuration.configFile.value == directory + "/home/.config/temporalio/temporal.toml")
        let xdg = try resolve(ConnectionFlagValues(), ["XDG_CONFIG_HOME": "/xdg"])
        #expect(xdg.configFile.value == "/xdg/temporalio/temporal.toml")
    }

    @Test("the profile, then variables field by field, then flags; each value says where it came from")
    func precedence() throws {
        let fromFile = try resolve(ConnectionFlagValues(), ["TEMPORAL_CONFIG_FILE": file, "TEMPORAL_PROFILE": "prod"])
        #expect(
            fromFile.namespace == Setting("prod.abcde", from: .profile(file: file, profile: "prod", key: "namespace")))
        #expect(fromFile.address.value == "prod.abcde.tmprl.cloud:7233")

        let environment = ["TEMPORAL_CONFIG_FILE": file, "TEMPORAL_PROFILE": "prod", "TEMPORAL_NAMESPACE": "orders"]
        let overlaid = try resolve(ConnectionFlagValues(), environment)
        #expect(overlaid.namespace == Setting("orders", from: .environment("TEMPORAL_NAMESPACE")))
        #expect(overlaid.address.value == "orders.tmprl.cloud:7233")
        #expect(overlaid.apiKey?.source == .profile(file: file, profile: "prod", key: "api_key"))

        let flagged = try resolve(
            flags {
                $0.namespace = "payments"; $0.address = "10.0.0.1:7233"
            }, environment)
        #expect(flagged.namespace == Setting("payments", from: .flag("--namespace")))
        #expect(flagged.address == Setting("10.0.0.1:7233", from: .flag("--address")))

        let other = try resolve(
            flags {
                $0.configFile = file; $0.profile = "default"
            }, environment)
        #expect(other.address.value == "default.example:7233")
        #expect(other.profileName.source == .flag("--profile"))
    }

    @Test("TLS: on with a tls table or an API key; off with TEMPORAL_TLS=false or --no-tls")
    func tlsSwitch() throws {
        #expect(
            try resolve(ConnectionFlagValues(), ["TEMPORAL_API_KEY": "k"]).tlsEnabled
                == Setting(true, from: .environment("TEMPORAL_API_KEY")))
        #expect(
            try resolve(ConnectionFlagValues(), ["TEMPORAL_API_KEY": "k", "TEMPORAL_TLS": "false"]).tlsEnabled.value
                == false)
        #expect(try resolve(ConnectionFlagValues(), ["TEMPORAL_TLS": "TRUE"]).tlsEnabled.value == true)
        #expect(try resolve(ConnectionFlagValues(), ["TEMPORAL_TLS_SERVER_NAME": "x"]).tlsEnabled.value == true)
        let prod = ["TEMPORAL_CONFIG_FILE": file, "TEMPORAL_PROFILE": "prod"]
        #expect(try resolve(ConnectionFlagValues(), prod).tlsEnabled.value == true)
        let off = try resolve(flags { $0.tls = false }, prod)
        #expect(off.tlsEnabled == Setting(false, from: .flag("--no-tls")))
        #expect(off.connectionOptions(identity: nil).tls == nil)
        #expect(try resolve(flags { $0.tlsServerName = "a.example" }).tlsEnabled.value == true)
    }

    @Test("the TLS settings a channel gets: files, inline PEM, names; legacy variables win")
    func tlsSettings() throws {
        let prod = ["TEMPORAL_CONFIG_FILE": file, "TEMPORAL_PROFILE": "prod"]
        let tls = try #require(try resolve(ConnectionFlagValues(), prod).connectionOptions(identity: nil).tls)
        #expect(tls.serverCA?.location == .file("/etc/temporal/ca.pem"))
        #expect(tls.clientCertificate?.location == .file("/etc/temporal/client.pem"))
        guard case .inline(let pem) = tls.clientKey?.location else {
            Issue.record("the key should be inline: \(String(describing: tls.clientKey))")
            return
        }
        #expect(pem.contains("secret-key-material"))
        #expect(tls.serverName == "prod.example")
        #expect(tls.verifiesServer)

        let legacy = try resolve(ConnectionFlagValues(), prod.merging(["TEMPORAL_TLS_CA": "/legacy/ca.pem"]) { $1 })
        #expect(legacy.connectionOptions(identity: nil).tls?.serverCA?.location == .file("/legacy/ca.pem"))
        let flagged = try resolve(flags { $0.tlsKeyPath = "/flag/client.key" }, prod)
        #expect(flagged.connectionOptions(identity: nil).tls?.clientKey?.location == .file("/flag/client.key"))
    }

    @Test(
        "headers: grpc_meta normalized from files and variables, an empty variable removes one; the API key as a bearer token"
    )
    func headers() throws {
        let prod = ["TEMPORAL_CONFIG_FILE": file, "TEMPORAL_PROFILE": "prod"]
        let configuration = try resolve(
            flags { $0.grpcMeta = ["Region=eu"] },
            prod.merging(["TEMPORAL_GRPC_META_X_TOKEN": "", "TEMPORAL_GRPC_META_TRACE_ID": "t1"]) { $1 })
        let metadata = configuration.connectionOptions(identity: nil).metadata
        let headers = Dictionary(metadata.map { ($0.key, $0.value) }, uniquingKeysWith: { $1 })
        #expect(headers["tenant-id"] == "blue")
        #expect(headers["trace-id"] == "t1")
        #expect(headers["region"] == "eu")
        #expect(headers["x-token"] == nil)
        #expect(headers["authorization"] == "Bearer file-secret-key")
        #expect(headers["temporal-namespace"] == "prod.abcde")

        let own = try resolve(flags { $0.grpcMeta = ["authorization=Basic abc"] }, prod)
        let ownHeaders = own.connectionOptions(identity: nil).metadata.filter { $0.key == "authorization" }
        #expect(ownHeaders.map(\.value) == ["Basic abc"])
    }

    @Test("secrets are masked in config show: the API key, inline keys, credential headers")
    func masking() throws {
        let configuration = try resolve(
            flags { $0.apiKey = "flag-secret-key" }, ["TEMPORAL_CONFIG_FILE": file, "TEMPORAL_PROFILE": "prod"])
        let shown = configuration.table + String(describing: configuration.lines)
        for secret in ["flag-secret-key", "file-secret-key", "secret-key-material", "header-secret"] {
            #expect(!shown.contains(secret), "\(secret) is shown")
        }
        let apiKey = try #require(configuration.lines.first { $0.name == "api_key" })
        #expect(apiKey.source == "--api-key")
        // Not even its length ("flag-secret-key" is 15 characters).
        #expect(apiKey.value == "(set, hidden)")
        // Every header's value, whatever its name: the name stays, to tell which are set.
        #expect(configuration.lines.contains { $0.name == "grpc_meta.tenant-id" && $0.value == "(set, hidden)" })
        #expect(!shown.contains("blue"))
        let signed = try resolve(flags { $0.grpcMeta = ["x-signing=SEKRET3", "x-tenant-pw=SEKRET4"] }, [:])
        let signedShown = signed.table + String(describing: signed.lines)
        #expect(!signedShown.contains("SEKRET"), "\(signedShown)")
        #expect(
            signed.lines.filter { $0.name.hasPrefix("grpc_meta.") }.map(\.name) == [
                "grpc_meta.x-signing", "grpc_meta.x-tenant-pw",
            ])
    }

    @Test("an API key or header value with a control character is refused before dialling, naming its source")
    func controlCharacters() {
        let cases: [(ConnectionFlagValues, [String: String], String)] = [
            (flags { $0.apiKey = "sk-abc\n" }, [:], "the API key (from --api-key)"),
            (ConnectionFlagValues(), ["TEMPORAL_API_KEY": "sk-abc\r\n"], "the API key (from $TEMPORAL_API_KEY)"),
            (flags { $0.grpcMeta = ["x-tenant=blue\tgreen"] }, [:], "header x-tenant (from --grpc-meta)"),
        ]
        for (values, environment, source) in cases {
            do {
                _ = try resolve(values, environment)
                Issue.record("resolved: \(source)")
            } catch {
                #expect(error.code == .usage)
                #expect(error.message.hasPrefix(source), "\(error.message)")
                #expect(!error.message.contains("sk-abc") && !error.message.contains("blue"))
            }
        }
    }

    @Test("TEMPORAL_NAMESPACE set but empty wins over the profile's: the default, named by the variable")
    func emptyVariableWins() throws {
        let configuration = try resolve(
            ConnectionFlagValues(),
            ["TEMPORAL_CONFIG_FILE": file, "TEMPORAL_PROFILE": "prod", "TEMPORAL_NAMESPACE": ""])
        #expect(configuration.namespace.value == "default")
        #expect(configuration.namespace.source == .environment("TEMPORAL_NAMESPACE"))
        #expect(configuration.lines.contains { $0.name == "namespace" && $0.source == "$TEMPORAL_NAMESPACE" })
    }

    @Test("an address without a port is refused, naming its source; host:port, [v6]:port and unix: are taken")
    func addressPort() throws {
        for (address, environment) in [("127.0.0.1", false), ("[::1]", false), ("temporal.example.com:", true)] {
            do {
                _ =
                    environment
                    ? try resolve(ConnectionFlagValues(), ["TEMPORAL_ADDRESS": address])
                    : try resolve(flags { $0.address = address })
                Issue.record("resolved \(address)")
            } catch {
                #expect(error.code == .usage)
                #expect(error.message.contains("has no port"), "\(error.message)")
                #expect(error.message.contains(environment ? "$TEMPORAL_ADDRESS" : "--address"), "\(error.message)")
            }
        }
        for address in ["127.0.0.1:7233", "[::1]:7233", "ns.a1b2c.tmprl.cloud:7233", "unix:/run/temporal.sock"] {
            #expect(try resolve(flags { $0.address = address }).address.value == address)
        }
    }

    @Test("an API key with TLS turned off is warned of; with TLS on, or with no key, nothing is said")
    func plaintextKeyWarning() throws {
        let plaintext = try resolve(
            flags {
                $0.apiKey = "sk-abc"; $0.tls = false
            }, [:])
        #expect(plaintext.warnings.count == 1)
        #expect(plaintext.warnings.first?.contains("plaintext: TLS is off (from --no-tls)") == true)
        #expect(plaintext.warnings.first?.contains("sk-abc") == false)
        let fromEnvironment = try resolve(
            ConnectionFlagValues(), ["TEMPORAL_API_KEY": "sk-abc", "TEMPORAL_TLS": "false"])
        #expect(fromEnvironment.warnings.first?.contains("$TEMPORAL_TLS") == true)
        #expect(try resolve(flags { $0.apiKey = "sk-abc" }, [:]).warnings.isEmpty)
        #expect(try resolve(flags { $0.tls = false }, [:]).warnings.isEmpty)
    }

    @Test(
        "refused with exit 2: a named profile or file that is missing, bad TOML, a bad boolean, a key twice, half a pair"
    )
    func refusals() throws {
        let cases: [(ConnectionFlagValues, [String: String], String)] = [
            (
                flags {
                    $0.configFile = file; $0.profile = "staging"
                }, [:], "no profile 'staging'"
            ),
            (ConnectionFlagValues(), ["TEMPORAL_CONFIG_FILE": directory + "/absent.toml"], "does not exist"),
            (ConnectionFlagValues(), ["TEMPORAL_PROFILE": "prod"], "needs"),
            (ConnectionFlagValues(), ["TEMPORAL_TLS": "yes"], "TEMPORAL_TLS is 'yes'"),
            (
                ConnectionFlagValues(),
                ["TEMPORAL_CONFIG_FILE": file, "TEMPORAL_PROFILE": "prod", "TEMPORAL_TLS_CLIENT_KEY_PATH": "/k.pem"],
                "client key is given twice"
            ),
            (flags { $0.tlsCertPath = "/c.pem" }, [:], "no client key"),
            (flags { $0.grpcMeta = ["novalue"] }, [:], "is not KEY=VALUE"),
        ]
        for (flags, environment, message) in cases {
            do {
                _ = try resolve(flags, environment)
                Issue.record("resolved, expected '\(message)'")
            } catch {
                #expect(error.code == .usage)
                #expect(error.message.contains(message), "\(error.message)")
            }
        }
        let bad = directory + "/bad.toml"
        try "[profile.x\naddress = 1".write(toFile: bad, atomically: true, encoding: .utf8)
        #expect(throws: SweepError.self) { try resolve(flags { $0.configFile = bad }) }
        let wrongType = directory + "/wrong.toml"
        try "[profile.default]\naddress = 7233".write(toFile: wrongType, atomically: true, encoding: .utf8)
        do {
            _ = try resolve(flags { $0.configFile = wrongType })
            Issue.record("a number address resolved")
        } catch {
            #expect(error.message.contains("profile.default.address must be a string"))
        }
    }
}
