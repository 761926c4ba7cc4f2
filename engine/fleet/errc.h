// Errors of the fleet module: configuration, secrets (AES-256-GCM, NIST SP 800-38D), CIDR and
// shard parsing, and SSRF refusals.
#pragma once

#include <cstdint>

#include "proto/error.h"

namespace wsp::fleet {

enum class errc : std::uint16_t {
    ok = 0,
    bad_json = 1,           // the configuration is not JSON
    unknown_field = 2,      // a key the schema does not know
    bad_field = 3,          // a value of the wrong type or out of range
    missing_field = 4,      // a required key is absent
    duplicate_id = 5,       // two checks share an id
    unknown_module = 6,     // a check names a module that is not defined
    bad_duration = 7,       // not "500ms", "2s", "1m", "1h" or a number of milliseconds
    bad_url = 8,            // not a ws:// or wss:// URL
    secret_unavailable = 9, // the environment variable or file behind a secret is missing
    bad_secret_format = 10, // "enc:v1:" followed by something that is not a sealed value
    secret_tampered = 11,   // the authentication tag did not verify (bit flip, truncation, wrong key)
    bad_master_key = 12,    // the master key is not 32 bytes in base64 or hex
    no_master_key = 13,     // an encrypted value and no master key configured
    crypto_failure = 14,    // OpenSSL refused an operation (RNG, cipher setup)
    bad_cidr = 15,          // not an address or address/prefix
    bad_shard = 16,         // not "K/N" with 0 <= K < N
    address_blocked = 17,   // the SSRF guard refused the address
};

[[nodiscard]] const wsp::error_domain& domain_of(errc) noexcept;

} // namespace wsp::fleet
