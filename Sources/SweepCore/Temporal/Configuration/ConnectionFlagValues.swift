/// The connection flags as given on the command line (`nil`: not given), mirroring the Temporal CLI's.
package struct ConnectionFlagValues: Sendable, Hashable {
    package var address: String?
    package var namespace: String?
    package var apiKey: String?
    /// `--grpc-meta KEY=VALUE`, as typed.
    package var grpcMeta: [String] = []
    /// `--tls` (true) or `--no-tls` (false).
    package var tls: Bool?
    package var tlsCAPath: String?
    package var tlsCertPath: String?
    package var tlsKeyPath: String?
    package var tlsServerName: String?
    package var tlsDisableHostVerification = false
    package var profile: String?
    package var configFile: String?

    package init() {}
}
