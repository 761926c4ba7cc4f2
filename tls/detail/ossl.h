// Owning handles for OpenSSL objects (each frees with its own *_free), shared by tls/ sources.
#pragma once

#include <memory>
#include <string>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace wsp::tls::detail {

template <class T, void (*Free)(T*)> struct ossl_deleter {
    void operator()(T* p) const noexcept { Free(p); }
};

using ssl_ctx_ptr = std::unique_ptr<SSL_CTX, ossl_deleter<SSL_CTX, &SSL_CTX_free>>;
using ssl_ptr = std::unique_ptr<SSL, ossl_deleter<SSL, &SSL_free>>;
using ssl_session_ptr = std::unique_ptr<SSL_SESSION, ossl_deleter<SSL_SESSION, &SSL_SESSION_free>>;
using bio_ptr = std::unique_ptr<BIO, ossl_deleter<BIO, &BIO_free_all>>;
using x509_ptr = std::unique_ptr<X509, ossl_deleter<X509, &X509_free>>;
using pkey_ptr = std::unique_ptr<EVP_PKEY, ossl_deleter<EVP_PKEY, &EVP_PKEY_free>>;
using x509_name_ptr = std::unique_ptr<X509_NAME, ossl_deleter<X509_NAME, &X509_NAME_free>>;
using general_names_ptr = std::unique_ptr<GENERAL_NAMES, ossl_deleter<GENERAL_NAMES, &GENERAL_NAMES_free>>;
using asn1_time_ptr = std::unique_ptr<ASN1_TIME, ossl_deleter<ASN1_TIME, &ASN1_TIME_free>>;

// The reason text of the oldest queued OpenSSL error ("" if none); clears the thread's queue.
[[nodiscard]] inline std::string take_openssl_error()
{
    unsigned long code = ERR_get_error();
    std::string text;
    if (code != 0) {
        const char* reason = ERR_reason_error_string(code);
        text = reason != nullptr ? reason : "unknown OpenSSL error";
    }
    ERR_clear_error();
    return text;
}

} // namespace wsp::tls::detail
