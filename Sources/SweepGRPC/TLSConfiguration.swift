#if canImport(Glibc)
    import Glibc
#endif

/// TLS for a ``GRPCChannel``: PEM bytes, as read from the files or the configuration.
///
/// The channel copies what it needs into the C core when it is made; callers wipe their copies of
/// the private key afterwards with ``wipe()``.
package struct TLSConfiguration: Sendable {
    /// Trusted roots (PEM); `nil` for the system's default roots.
    package var rootCertificates: [UInt8]?
    /// The client's certificate chain (PEM), for mutual TLS; with ``privateKey``.
    package var certificateChain: [UInt8]?
    /// The client's private key (PEM), for mutual TLS; with ``certificateChain``.
    package var privateKey: [UInt8]?
    /// The name the server's certificate must carry instead of the address's host; `nil` for the host.
    package var serverName: String?
    /// `false` skips verifying the server's certificate altogether (chain and name).
    package var verifiesServer: Bool

    package init(
        rootCertificates: [UInt8]? = nil,
        certificateChain: [UInt8]? = nil,
        privateKey: [UInt8]? = nil,
        serverName: String? = nil,
        verifiesServer: Bool = true
    ) {
        self.rootCertificates = rootCertificates
        self.certificateChain = certificateChain
        self.privateKey = privateKey
        self.serverName = serverName
        self.verifiesServer = verifiesServer
    }

    /// Overwrites the key material this value holds with zeros, then drops it.
    package mutating func wipe() {
        if var key = privateKey {
            privateKey = nil
            key.wipe()
        }
    }
}

extension Array where Element == UInt8 {
    /// Overwrites the bytes with zeros, in place (when this array is the only owner of its storage,
    /// the bytes that held the secret are the ones overwritten).
    package mutating func wipe() {
        withUnsafeMutableBytes { bytes in
            // explicit_bzero: a memset the optimiser may not remove as a dead store.
            if let base = bytes.baseAddress { explicit_bzero(base, bytes.count) }
        }
    }
}
