// wsprobe-lab's TLS scenarios: one TLS listener per certificate or handshake failure a wss://
// client must report (RFC 5280 §4.1.2.5 validity, §6 path validation, RFC 6125 §6 names, RFC 8446
// §4.2.1 versions and §4.4.2.4 client certificates, RFC 7301 §3.2 ALPN), from a local CA.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <tl/expected.hpp>

#include "tools/lab/server.h"

namespace wsp::lab {

// The scenario names, in listener order, with what each demonstrates (for --help and tests).
struct tls_scenario_info {
    std::string_view name;
    std::string_view what;
};
[[nodiscard]] const std::vector<tls_scenario_info>& tls_scenario_list();

// Files written into the --tls-dir directory (mode 0600).
inline constexpr std::string_view tls_ca_file = "ca.pem";              // the lab CA's certificate
inline constexpr std::string_view tls_client_cert_file = "client.pem"; // client certificate (mtls)
inline constexpr std::string_view tls_client_key_file = "client-key.pem";
inline constexpr std::string_view tls_proxy_cert_file = "nginx.pem"; // leaf for a TLS proxy in front
inline constexpr std::string_view tls_proxy_key_file =
    "nginx-key.pem"; // of the lab (127.0.0.1, ::1, localhost)

// Creates `dir` if missing (mode 0700), generates a fresh CA and every scenario's certificate
// (P-256) valid relative to `now` (seconds since the epoch), writes the files above, and returns
// one listener per scenario on `address` (port 0 for ephemeral ports), in tls_scenario_list()
// order. The CA's and the leaves' private keys other than the client's and the proxy's never
// leave memory. The error is one sentence naming the directory or file at fault.
[[nodiscard]] tl::expected<std::vector<tls_listener>, std::string>
prepare_tls_scenarios(const std::string& dir, std::int64_t now, const rt::address& address);

} // namespace wsp::lab
