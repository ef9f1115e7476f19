import Foundation

/// The connection settings of the Temporal CLI's and SDKs' "client environment configuration": a
/// temporal.toml profile, with the `TEMPORAL_*` environment variables and then sweep's flags laid
/// over it field by field, each value remembering where it came from.
///
/// Follows temporalio/sdk-go `contrib/envconfig` and temporalio/cli `cliext/client.go`; see
/// ``ClientConfiguration/resolve(_:environment:)`` for the order.
package struct ClientProfile: Sendable, Hashable {
    package var address: Setting<String>?
    package var namespace: Setting<String>?
    package var apiKey: Setting<String>?
    /// Present when a `tls` table exists (in the file, or made by a variable or flag): TLS is then on
    /// unless it says `disabled`.
    package var tls: TLS?
    /// Headers sent with every call, keyed by their (lowercase) name.
    package var grpcMeta: [String: Setting<String>] = [:]

    /// A profile's `tls` table.
    package struct TLS: Sendable, Hashable {
        package var disabled: Setting<Bool>?
        package var clientCertPath: Setting<String>?
        package var clientCertData: Setting<String>?
        package var clientKeyPath: Setting<String>?
        package var clientKeyData: Setting<String>?
        package var serverCACertPath: Setting<String>?
        package var serverCACertData: Setting<String>?
        package var serverName: Setting<String>?
        package var disableHostVerification: Setting<Bool>?
        /// What made the table exist.
        package var origin: SettingSource

        package init(origin: SettingSource) {
            self.origin = origin
        }
    }

    package init() {}

    /// Upstream's header-name rule for `grpc_meta` keys from a file or a variable: lowercase, `_` → `-`.
    static func normalizedMetaKey(_ key: String) -> String {
        key.lowercased().replacingOccurrences(of: "_", with: "-")
    }
}
