internal import CGRPCShim

/// Lends a ``TLSConfiguration`` to C as NUL-terminated strings for the duration of `body` (the
/// C core copies them), and wipes the copies made here afterwards.
enum CTLSOptions {
    static func with<R>(_ tls: TLSConfiguration, _ body: (UnsafePointer<sweep_grpc_tls_options>) -> R) -> R {
        var roots = tls.rootCertificates.map { $0 + [0] }
        var chain = tls.certificateChain.map { $0 + [0] }
        var key = tls.privateKey.map { $0 + [0] }
        var name = tls.serverName.map { Array($0.utf8) + [0] }
        defer {
            key?.wipe()
            chain?.wipe()
            roots?.wipe()
            name?.wipe()
        }
        return withOptionalCString(roots) { roots in
            withOptionalCString(chain) { chain in
                withOptionalCString(key) { key in
                    withOptionalCString(name) { name in
                        var options = sweep_grpc_tls_options(
                            root_certificates: roots, certificate_chain: chain, private_key: key,
                            server_name: name, verify_server: tls.verifiesServer ? 1 : 0)
                        return withUnsafePointer(to: &options) { body($0) }
                    }
                }
            }
        }
    }

    private static func withOptionalCString<R>(
        _ bytes: [UInt8]?,
        _ body: (UnsafePointer<CChar>?) -> R
    ) -> R {
        guard let bytes else { return body(nil) }
        return bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { body($0.baseAddress) }
        }
    }
}
