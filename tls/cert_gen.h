// Certificate generator for tests and the lab server (RFC 5280 §4.1 certificates, §4.2.1.6
// subjectAltName, §4.2.1.9 basicConstraints): a local CA, leaves it signs, self-signed leaves.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "proto/error.h"
#include "tls/detail/ossl.h"
#include "tls/error.h"

namespace wsp::tls {

// EC P-256 is the default: key generation and signatures are fast.
enum class key_kind : std::uint8_t { ec_p256 = 0, rsa_2048 = 1 };

// What to put in a certificate. Times are seconds since the Unix epoch chosen by the caller,
// so expired (not_after in the past) and not-yet-valid (not_before in the future) certificates
// are as easy to make as valid ones.
struct cert_request {
    std::string common_name;
    std::vector<std::string> dns_names;    // SAN dNSName entries
    std::vector<std::string> ip_addresses; // SAN iPAddress entries, textual IPv4 or IPv6
    std::int64_t not_before = 0;
    std::int64_t not_after = 0;
    key_kind key = key_kind::ec_p256;
};

struct pem_pair {
    std::string certificate; // PEM "CERTIFICATE"
    std::string private_key; // PEM "PRIVATE KEY" (PKCS#8, unencrypted)
};

// A local certificate authority (self-signed, CA:TRUE). Move-only; issue() is const and may be
// called from one thread at a time.
class certificate_authority {
public:
    [[nodiscard]] static wsp::expected<certificate_authority> create(const cert_request& req);
    // A leaf (CA:FALSE, serverAuth+clientAuth) for req, signed by this CA.
    [[nodiscard]] wsp::expected<pem_pair> issue(const cert_request& req) const;
    [[nodiscard]] const pem_pair& pem() const noexcept { return pem_; }

private:
    certificate_authority() = default;
    detail::x509_ptr cert_;
    detail::pkey_ptr key_;
    pem_pair pem_;
};

// A self-signed leaf (CA:FALSE) for req.
[[nodiscard]] wsp::expected<pem_pair> make_self_signed(const cert_request& req);

// Writes PEM text to path, created with mode 0600 (keys are secrets) and truncated.
[[nodiscard]] wsp::expected<void> write_pem_file(const std::string& path, std::string_view pem);

} // namespace wsp::tls
