// Reading names, subjectAltName entries and validity out of X509 certificates (RFC 5280 §4.1,
// §4.2.1.6) for facts and failure sentences.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <openssl/x509.h>

namespace wsp::tls::detail {

struct cert_summary {
    std::string subject;
    std::string issuer;
    std::vector<std::string> san_dns;
    std::vector<std::string> san_ip;
    std::int64_t not_before = 0;
    std::int64_t not_after = 0;
};

// RFC 2253 text of a distinguished name ("CN=a,O=b"); "" for null.
[[nodiscard]] std::string name_text(const X509_NAME* name);
// Seconds since the Unix epoch for an ASN.1 UTCTime/GeneralizedTime; nullopt if malformed.
[[nodiscard]] std::optional<std::int64_t> to_epoch(const ASN1_TIME* t) noexcept;
// Subject, issuer, SANs and validity of a certificate (all empty / 0 for null).
[[nodiscard]] cert_summary summarize(const X509* cert);
// "a, b, c" (or "none").
[[nodiscard]] std::string join_names(const std::vector<std::string>& a, const std::vector<std::string>& b);

} // namespace wsp::tls::detail
