// OpenSSL's libcrypto (Debian libssl-dev), to check TLS files before a channel is made; only
// SweepTLS imports this module. gRPC's C core does its own TLS with the same library.
#ifndef SWEEP_COPENSSL_SHIM_H
#define SWEEP_COPENSSL_SHIM_H

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

/// A password callback that has none: an encrypted key fails to load instead of prompting.
static inline int sweep_openssl_no_password(char *buffer, int size, int rwflag, void *userdata) {
    (void)buffer; (void)size; (void)rwflag; (void)userdata;
    return 0;
}

static inline int64_t sweep_openssl_seconds(const ASN1_TIME *time) {
    struct tm parts;
    memset(&parts, 0, sizeof(parts));
    if (time == NULL || ASN1_TIME_to_tm(time, &parts) != 1) return 0;
    return (int64_t)timegm(&parts);
}

/// Reads every certificate in `pem`. Returns how many there are (0 when none parse) and, for the
/// first, its validity (seconds since 1970) and subject (a one-line, NUL-terminated string).
static inline int sweep_openssl_certificates(const void *pem, int length, int64_t *not_before,
                                             int64_t *not_after, char *subject, size_t subject_capacity) {
    BIO *bio = BIO_new_mem_buf(pem, length);
    if (bio == NULL) return 0;
    int count = 0;
    X509 *certificate;
    while ((certificate = PEM_read_bio_X509(bio, NULL, sweep_openssl_no_password, NULL)) != NULL) {
        if (count == 0) {
            *not_before = sweep_openssl_seconds(X509_get0_notBefore(certificate));
            *not_after = sweep_openssl_seconds(X509_get0_notAfter(certificate));
            X509_NAME_oneline(X509_get_subject_name(certificate), subject, (int)subject_capacity);
        }
        X509_free(certificate);
        count++;
    }
    ERR_clear_error();
    BIO_free(bio);
    return count;
}

/// Whether the private key in `key` belongs to the first certificate in `chain`: 1 yes, 0 no,
/// -1 the key does not parse (or is encrypted), -2 the certificate does not parse.
static inline int sweep_openssl_key_matches(const void *chain, int chain_length, const void *key, int key_length) {
    BIO *chain_bio = BIO_new_mem_buf(chain, chain_length);
    X509 *certificate = chain_bio != NULL ? PEM_read_bio_X509(chain_bio, NULL, sweep_openssl_no_password, NULL) : NULL;
    BIO_free(chain_bio);
    if (certificate == NULL) {
        ERR_clear_error();
        return -2;
    }
    BIO *key_bio = BIO_new_mem_buf(key, key_length);
    EVP_PKEY *private_key = key_bio != NULL ? PEM_read_bio_PrivateKey(key_bio, NULL, sweep_openssl_no_password, NULL) : NULL;
    BIO_free(key_bio);
    if (private_key == NULL) {
        X509_free(certificate);
        ERR_clear_error();
        return -1;
    }
    int matches = X509_check_private_key(certificate, private_key);
    EVP_PKEY_free(private_key);
    X509_free(certificate);
    ERR_clear_error();
    return matches == 1 ? 1 : 0;
}

#endif
