// Certificate field extraction (RFC 5280 §4.1.2.4 issuer/subject, §4.1.2.5 validity, §4.2.1.6
// subjectAltName) for tls_facts and failure sentences.
#include <algorithm>
#include <cstdio>
#include <string>
#include <ctime>

#include "tls/detail/diagnose.h"
#include "tls/detail/ossl.h"
#include "tls/detail/session_state.h"
#include "tls/detail/x509_info.h"
#include "tls/session.h"
#include "tls/time.h"

namespace wsp::tls::detail {

std::string name_text(const X509_NAME* name)
{
    if (name == nullptr) {
        return {};
    }
    bio_ptr out(BIO_new(BIO_s_mem()));
    if (!out) {
        return {};
    }
    const unsigned long flags = XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB;
    if (X509_NAME_print_ex(out.get(), name, 0, flags) < 0) {
        return {};
    }
    char* data = nullptr;
    const long len = BIO_get_mem_data(out.get(), &data);
    return len > 0 ? std::string(data, static_cast<std::size_t>(len)) : std::string();
}

std::optional<std::int64_t> to_epoch(const ASN1_TIME* t) noexcept
{
    std::tm tm{};
    if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) {
        return std::nullopt;
    }
    return epoch_from_civil(tm.tm_year + 1900, static_cast<unsigned>(tm.tm_mon + 1),
                            static_cast<unsigned>(tm.tm_mday), static_cast<unsigned>(tm.tm_hour),
                            static_cast<unsigned>(tm.tm_min), static_cast<unsigned>(tm.tm_sec));
}

namespace {

// RFC 5952 text of an IPv4 (4 octets) or IPv6 (16 octets) address; "" for any other length.
// Written here so this sans-I/O module needs no socket headers (inet_ntop).
std::string ip_text(const unsigned char* b, int len)
{
    char buf[48];
    if (len == 4) {
        std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
        return buf;
    }
    if (len != 16) {
        return {};
    }
    unsigned groups[8];
    for (int i = 0; i < 8; ++i) {
        groups[i] = (static_cast<unsigned>(b[2 * i]) << 8) | b[2 * i + 1];
    }
    // RFC 5952 §4.2: compress the longest run (>= 2) of zero groups, the first one on a tie.
    int best = -1;
    int best_len = 1;
    for (int i = 0; i < 8;) {
        int j = i;
        while (j < 8 && groups[j] == 0) {
            ++j;
        }
        if (j - i > best_len) {
            best = i;
            best_len = j - i;
        }
        i = j == i ? i + 1 : j;
    }
    std::string out;
    for (int i = 0; i < 8; ++i) {
        if (i == best) {
            out += "::";
            i += best_len - 1;
            continue;
        }
        if (!out.empty() && out.back() != ':') {
            out += ':';
        }
        std::snprintf(buf, sizeof buf, "%x", groups[i]);
        out += buf;
    }
    return out;
}

void collect_sans(const X509* cert, cert_summary& out)
{
    general_names_ptr names(
        static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
    if (!names) {
        return;
    }
    for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
        const GENERAL_NAME* gn = sk_GENERAL_NAME_value(names.get(), i);
        if (gn->type == GEN_DNS) {
            const ASN1_STRING* s = gn->d.dNSName;
            out.san_dns.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                                     static_cast<std::size_t>(ASN1_STRING_length(s)));
        } else if (gn->type == GEN_IPADD) {
            // RFC 5280 §4.2.1.6: iPAddress is 4 octets (IPv4) or 16 octets (IPv6).
            const ASN1_OCTET_STRING* s = gn->d.iPAddress;
            std::string text = ip_text(ASN1_STRING_get0_data(s), ASN1_STRING_length(s));
            if (!text.empty()) {
                out.san_ip.push_back(std::move(text));
            }
        }
    }
}

} // namespace

cert_summary summarize(const X509* cert)
{
    cert_summary s;
    if (cert == nullptr) {
        return s;
    }
    s.subject = name_text(X509_get_subject_name(cert));
    s.issuer = name_text(X509_get_issuer_name(cert));
    s.not_before = to_epoch(X509_get0_notBefore(cert)).value_or(0);
    s.not_after = to_epoch(X509_get0_notAfter(cert)).value_or(0);
    collect_sans(cert, s);
    return s;
}

std::string join_names(const std::vector<std::string>& a, const std::vector<std::string>& b)
{
    std::string out;
    for (const auto* list : {&a, &b}) {
        for (const auto& n : *list) {
            if (!out.empty()) {
                out += ", ";
            }
            out += n;
        }
    }
    return out.empty() ? std::string("none") : out;
}

} // namespace wsp::tls::detail

namespace wsp::tls {

tls_facts session::facts() const
{
    SSL* ssl = st_->ssl.get();
    tls_facts f;
    f.version = SSL_get_version(ssl);
    const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl);
    f.cipher = cipher != nullptr ? SSL_CIPHER_get_name(cipher) : "";
    const unsigned char* alpn = nullptr;
    unsigned alpn_len = 0;
    SSL_get0_alpn_selected(ssl, &alpn, &alpn_len);
    f.alpn.assign(reinterpret_cast<const char*>(alpn), alpn != nullptr ? alpn_len : 0);
    if (const X509* leaf = SSL_get0_peer_certificate(ssl)) {
        detail::cert_summary s = detail::summarize(leaf);
        f.leaf_subject = std::move(s.subject);
        f.issuer = std::move(s.issuer);
        f.san_dns = std::move(s.san_dns);
        f.san_ip = std::move(s.san_ip);
        f.leaf_not_after = s.not_after;
        f.chain_not_after = s.not_after;
        // The verified chain is absent after resumption or failed (insecure) verification; fall
        // back to the chain the peer sent.
        STACK_OF(X509)* chain = SSL_get0_verified_chain(ssl);
        if (chain == nullptr || sk_X509_num(chain) == 0) {
            chain = SSL_get_peer_cert_chain(ssl);
        }
        for (int i = 0; chain != nullptr && i < sk_X509_num(chain); ++i) {
            if (auto t = detail::to_epoch(X509_get0_notAfter(sk_X509_value(chain, i)))) {
                f.chain_not_after = std::min(f.chain_not_after, *t);
            }
        }
        f.leaf_not_after_iso = iso8601(f.leaf_not_after);
        f.chain_not_after_iso = iso8601(f.chain_not_after);
    }
    f.verify_code = st_->verify.code != X509_V_OK ? st_->verify.code : SSL_get_verify_result(ssl);
    f.verify_text = X509_verify_cert_error_string(f.verify_code);
    if (f.verify_code != X509_V_OK) {
        f.verify_error = detail::errc_for_verify(static_cast<int>(f.verify_code));
    }
    f.resumed = SSL_session_reused(ssl) == 1;
    return f;
}

} // namespace wsp::tls
