/// The version of temporal-sweep, sent as the gRPC user agent and in the default identity.
package enum SweepVersion {
    package static let current = "0.1.0"
}
