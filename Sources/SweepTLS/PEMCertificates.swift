internal import COpenSSL
package import Foundation

/// What a PEM file of certificates holds, as far as checking it before a handshake needs.
package struct PEMCertificates: Sendable, Hashable {
    /// How many certificates the file holds (a chain, or a bundle of roots).
    package let count: Int
    /// The first certificate's subject, one line (`/CN=...`).
    package let subject: String
    /// The first certificate's validity.
    package let notBefore: Date
    package let notAfter: Date

    /// Reads the certificates in `pem`.
    /// - Returns: `nil` when no certificate parses (not PEM, or a key where a certificate belongs).
    package init?(pem: [UInt8]) {
        var notBefore: Int64 = 0
        var notAfter: Int64 = 0
        var subject = [CChar](repeating: 0, count: 512)
        let count = pem.withUnsafeBytes { bytes in
            sweep_openssl_certificates(
                bytes.baseAddress, Int32(clamping: bytes.count), &notBefore, &notAfter, &subject, subject.count)
        }
        guard count > 0 else { return nil }
        self.count = Int(count)
        self.subject = String(decoding: subject.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        self.notBefore = Date(timeIntervalSince1970: TimeInterval(notBefore))
        self.notAfter = Date(timeIntervalSince1970: TimeInterval(notAfter))
    }

    /// Whether the first certificate is valid at `date`.
    package func isValid(at date: Date) -> Bool {
        notBefore <= date && date <= notAfter
    }
}

/// Whether a private key belongs to a certificate.
package enum KeyPairCheck: Sendable, Hashable {
    case matches
    case mismatch
    /// The key does not parse: not PEM, or encrypted (sweep takes no passphrase).
    case unreadableKey
    /// The certificate does not parse.
    case unreadableCertificate

    /// Checks `key` (PEM) against the first certificate of `chain` (PEM).
    package init(chain: [UInt8], key: [UInt8]) {
        let result = chain.withUnsafeBytes { chain in
            key.withUnsafeBytes { key in
                sweep_openssl_key_matches(
                    chain.baseAddress, Int32(clamping: chain.count), key.baseAddress, Int32(clamping: key.count))
            }
        }
        switch result {
        case 1: self = .matches
        case -1: self = .unreadableKey
        case -2: self = .unreadableCertificate
        default: self = .mismatch
        }
    }
}
