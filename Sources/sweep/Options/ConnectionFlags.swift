import ArgumentParser
import Foundation
import SweepCore

/// Where the Temporal frontend is and how to talk to it: the Temporal CLI's flags, over its
/// environment variables and temporal.toml profiles.
struct ConnectionFlags: ParsableArguments {
    @Option(
        help: "The Temporal frontend, host:port (default: the profile's, else 127.0.0.1:7233). Env: TEMPORAL_ADDRESS.")
    var address: String?

    @Option(name: .shortAndLong, help: "The namespace (default: the profile's, else default). Env: TEMPORAL_NAMESPACE.")
    var namespace: String?

    @Option(
        name: .customLong("api-key"),
        help: ArgumentHelp(
            "An API key, sent as 'authorization: Bearer <key>'; turns TLS on. Prefer TEMPORAL_API_KEY: a flag is visible to other users until sweep hides it.",
            valueName: "key"))
    var apiKey: String?

    @Option(
        name: .customLong("grpc-meta"),
        help: ArgumentHelp("A header sent with every call (repeatable).", valueName: "key=value"))
    var grpcMeta: [String] = []

    @Flag(
        inversion: .prefixedNo,
        help: "Use TLS (--no-tls: plaintext, even with an API key or a profile's TLS). Env: TEMPORAL_TLS.")
    var tls: Bool?

    @Option(
        name: .customLong("tls-ca-path"), help: ArgumentHelp("The server's CA certificate (PEM).", valueName: "path"))
    var tlsCAPath: String?

    @Option(
        name: .customLong("tls-cert-path"),
        help: ArgumentHelp("The client certificate (PEM), for mutual TLS.", valueName: "path"))
    var tlsCertPath: String?

    @Option(
        name: .customLong("tls-key-path"),
        help: ArgumentHelp("The client certificate's private key (PEM).", valueName: "path"))
    var tlsKeyPath: String?

    @Option(
        name: .customLong("tls-server-name"),
        help: ArgumentHelp(
            "The name the server's certificate must carry, instead of the address's host.", valueName: "name"))
    var tlsServerName: String?

    @Flag(
        name: .customLong("tls-disable-host-verification"),
        help: "Do not verify the server's certificate at all (testing only).")
    var tlsDisableHostVerification = false

    @Option(
        help: ArgumentHelp("The temporal.toml profile (default: default). Env: TEMPORAL_PROFILE.", valueName: "name"))
    var profile: String?

    @Option(
        name: .customLong("config-file"),
        help: ArgumentHelp(
            "The temporal.toml file (default: ~/.config/temporalio/temporal.toml). Env: TEMPORAL_CONFIG_FILE.",
            valueName: "path"))
    var configFile: String?

    func validate() throws {
        if tls == false,
            tlsCAPath != nil || tlsCertPath != nil || tlsKeyPath != nil || tlsServerName != nil
                || tlsDisableHostVerification
        {
            throw ValidationError("--no-tls and --tls-* flags contradict each other; drop one.")
        }
    }

    var values: ConnectionFlagValues {
        var values = ConnectionFlagValues()
        values.address = address
        values.namespace = namespace
        values.apiKey = apiKey
        values.grpcMeta = grpcMeta
        values.tls = tls
        values.tlsCAPath = tlsCAPath
        values.tlsCertPath = tlsCertPath
        values.tlsKeyPath = tlsKeyPath
        values.tlsServerName = tlsServerName
        values.tlsDisableHostVerification = tlsDisableHostVerification
        values.profile = profile
        values.configFile = configFile
        return values
    }

    /// The effective settings: the profile, the environment, then these flags.
    /// - Throws: ``SweepError`` `.usage` (exit 2).
    func configuration() throws(SweepError) -> ClientConfiguration {
        try ClientConfiguration.resolve(values, environment: ProcessInfo.processInfo.environment)
    }

    /// The files the settings read (config file, TLS files), wherever each was set, whether or
    /// not the settings pass their checks (a refused run still writes its metrics). Settings that
    /// do not even load (a bad file) name, all the same, the files given by flag or variable.
    func filesRead() -> [(flag: String, path: String?)] {
        let environment = ProcessInfo.processInfo.environment
        if let loaded = try? ClientConfiguration.resolve(values, environment: environment, checked: false) {
            return loaded.filesRead.map { ($0.what, $0.path) }
        }
        let variables = [
            "TEMPORAL_CONFIG_FILE", "TEMPORAL_TLS_CLIENT_CERT_PATH", "TEMPORAL_TLS_CLIENT_KEY_PATH",
            "TEMPORAL_TLS_SERVER_CA_CERT_PATH", "TEMPORAL_TLS_CERT", "TEMPORAL_TLS_KEY", "TEMPORAL_TLS_CA",
        ]
        return [("--tls-ca-path", tlsCAPath), ("--tls-cert-path", tlsCertPath), ("--tls-key-path", tlsKeyPath)]
            + variables.map { ("$\($0)", environment[$0]) }
            + [("the config file", ClientConfiguration.defaultConfigFile(environment: environment))]
    }

    /// The connection a run makes, after printing the settings' warnings to standard error.
    func options(identity: String?) throws(SweepError) -> ConnectionOptions {
        let configuration = try configuration()
        for warning in configuration.warnings {
            FileHandle.standardError.write(Data("warning: \(warning)\n".utf8))
        }
        return configuration.connectionOptions(identity: identity)
    }
}
