// Certificate generation (RFC 5280 §4.1 TBSCertificate, §4.2.1.2/.1 key identifiers, §4.2.1.3 key
// usage, §4.2.1.6 subjectAltName, §4.2.1.9 basicConstraints, §4.2.1.12 extended key usage).
#include "tls/cert_gen.h"

#include <fcntl.h>
#include <errno.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/rand.h>

namespace wsp::tls {
namespace {

detail::pkey_ptr make_key(key_kind kind)
{
    return detail::pkey_ptr(kind == key_kind::rsa_2048 ? EVP_RSA_gen(2048) : EVP_EC_gen("P-256"));
}

bool add_ext(X509* cert, X509* issuer, int nid, const char* value)
{
    X509V3_CTX v3;
    X509V3_set_ctx(&v3, issuer, cert, nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &v3, nid, value);
    if (ext == nullptr) {
        return false;
    }
    const bool ok = X509_add_ext(cert, ext, -1) == 1;
    X509_EXTENSION_free(ext);
    return ok;
}

// SANs built as GENERAL_NAMEs directly, so names need no escaping in a config string.
bool add_sans(X509* cert, const cert_request& req)
{
    if (req.dns_names.empty() && req.ip_addresses.empty()) {
        return true;
    }
    detail::general_names_ptr names(GENERAL_NAMES_new());
    if (!names) {
        return false;
    }
    for (const auto& dns : req.dns_names) {
        ASN1_IA5STRING* s = ASN1_IA5STRING_new();
        GENERAL_NAME* gn = GENERAL_NAME_new();
        if (s == nullptr || gn == nullptr ||
            ASN1_STRING_set(s, dns.data(), static_cast<int>(dns.size())) != 1) {
            ASN1_IA5STRING_free(s);
            GENERAL_NAME_free(gn);
            return false;
        }
        GENERAL_NAME_set0_value(gn, GEN_DNS, s);
        if (sk_GENERAL_NAME_push(names.get(), gn) == 0) {
            GENERAL_NAME_free(gn);
            return false;
        }
    }
    for (const auto& ip : req.ip_addresses) {
        ASN1_OCTET_STRING* bytes = a2i_IPADDRESS(ip.c_str());
        GENERAL_NAME* gn = GENERAL_NAME_new();
        if (bytes == nullptr || gn == nullptr) {
            ASN1_OCTET_STRING_free(bytes);
            GENERAL_NAME_free(gn);
            return false;
        }
        GENERAL_NAME_set0_value(gn, GEN_IPADD, bytes);
        if (sk_GENERAL_NAME_push(names.get(), gn) == 0) {
            GENERAL_NAME_free(gn);
            return false;
        }
    }
    return X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), 0, X509V3_ADD_DEFAULT) == 1;
}

bool set_basics(X509* cert, const cert_request& req, EVP_PKEY* key)
{
    unsigned char serial[16];
    if (RAND_bytes(serial, sizeof serial) != 1) {
        return false;
    }
    serial[0] &= 0x7f; // RFC 5280 §4.1.2.2: serial is a positive integer
    serial[0] |= 0x01;
    BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
    const bool serial_ok = bn != nullptr && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)) != nullptr;
    BN_free(bn);
    X509_NAME* name = X509_get_subject_name(cert);
    const auto* cn = reinterpret_cast<const unsigned char*>(req.common_name.c_str());
    return serial_ok && X509_set_version(cert, 2) == 1 && // RFC 5280 §4.1.2.1: v3
           ASN1_TIME_set(X509_getm_notBefore(cert), static_cast<time_t>(req.not_before)) != nullptr &&
           ASN1_TIME_set(X509_getm_notAfter(cert), static_cast<time_t>(req.not_after)) != nullptr &&
           X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, cn, -1, -1, 0) == 1 &&
           X509_set_pubkey(cert, key) == 1;
}

wsp::expected<pem_pair> to_pem(X509* cert, EVP_PKEY* key)
{
    detail::bio_ptr c(BIO_new(BIO_s_mem()));
    detail::bio_ptr k(BIO_new(BIO_s_mem()));
    if (!c || !k || PEM_write_bio_X509(c.get(), cert) != 1 ||
        PEM_write_bio_PrivateKey(k.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
        ERR_clear_error();
        return wsp::fail(errc::cert_generation_failed);
    }
    char* data = nullptr;
    pem_pair out;
    long len = BIO_get_mem_data(c.get(), &data);
    out.certificate.assign(data, static_cast<std::size_t>(len));
    len = BIO_get_mem_data(k.get(), &data);
    out.private_key.assign(data, static_cast<std::size_t>(len));
    return out;
}

struct built {
    detail::x509_ptr cert;
    detail::pkey_ptr key;
};

// Builds and signs one certificate. issuer/issuer_key null means self-signed.
wsp::expected<built> build_cert(const cert_request& req, bool is_ca, X509* issuer, EVP_PKEY* issuer_key)
{
    built b{detail::x509_ptr(X509_new()), make_key(req.key)};
    if (!b.cert || !b.key || !set_basics(b.cert.get(), req, b.key.get())) {
        ERR_clear_error();
        return wsp::fail(errc::cert_generation_failed);
    }
    X509* signer = issuer != nullptr ? issuer : b.cert.get();
    EVP_PKEY* signer_key = issuer_key != nullptr ? issuer_key : b.key.get();
    const bool rsa = req.key == key_kind::rsa_2048;
    const bool ok =
        X509_set_issuer_name(b.cert.get(), X509_get_subject_name(signer)) == 1 &&
        add_ext(b.cert.get(), signer, NID_basic_constraints,
                is_ca ? "critical,CA:TRUE" : "critical,CA:FALSE") &&
        add_ext(b.cert.get(), signer, NID_key_usage,
                is_ca ? "critical,keyCertSign,cRLSign"
                      : (rsa ? "critical,digitalSignature,keyEncipherment" : "critical,digitalSignature")) &&
        (is_ca || add_ext(b.cert.get(), signer, NID_ext_key_usage, "serverAuth,clientAuth")) &&
        add_ext(b.cert.get(), signer, NID_subject_key_identifier, "hash") &&
        add_ext(b.cert.get(), signer, NID_authority_key_identifier, "keyid:always") &&
        add_sans(b.cert.get(), req) && X509_sign(b.cert.get(), signer_key, EVP_sha256()) > 0;
    if (!ok) {
        ERR_clear_error();
        return wsp::fail(errc::cert_generation_failed);
    }
    return b;
}

} // namespace

wsp::expected<certificate_authority> certificate_authority::create(const cert_request& req)
{
    auto b = build_cert(req, true, nullptr, nullptr);
    if (!b) {
        return tl::unexpected(b.error());
    }
    auto pem = to_pem(b->cert.get(), b->key.get());
    if (!pem) {
        return tl::unexpected(pem.error());
    }
    certificate_authority ca;
    ca.cert_ = std::move(b->cert);
    ca.key_ = std::move(b->key);
    ca.pem_ = std::move(*pem);
    return ca;
}

wsp::expected<pem_pair> certificate_authority::issue(const cert_request& req) const
{
    auto b = build_cert(req, false, cert_.get(), key_.get());
    if (!b) {
        return tl::unexpected(b.error());
    }
    return to_pem(b->cert.get(), b->key.get());
}

wsp::expected<pem_pair> make_self_signed(const cert_request& req)
{
    auto b = build_cert(req, false, nullptr, nullptr);
    if (!b) {
        return tl::unexpected(b.error());
    }
    return to_pem(b->cert.get(), b->key.get());
}

wsp::expected<void> write_pem_file(const std::string& path, std::string_view pem)
{
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        return wsp::fail(errc::file_write_failed);
    }
    std::size_t done = 0;
    while (done < pem.size()) {
        const ssize_t n = ::write(fd, pem.data() + done, pem.size() - done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            ::close(fd);
            return wsp::fail(errc::file_write_failed);
        }
        done += static_cast<std::size_t>(n);
    }
    return ::close(fd) == 0 ? wsp::expected<void>{} : wsp::fail(errc::file_write_failed);
}

} // namespace wsp::tls
