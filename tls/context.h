// TLS context configuration (RFC 8446 §4.2 extensions, RFC 7301 ALPN, RFC 6066 §3 SNI, RFC 6125
// name checks): a builder that validates options once and yields a shared, immutable context.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <openssl/ssl.h>

#include "proto/error.h"
#include "tls/error.h"

namespace wsp::tls {

namespace detail {
struct context_state;
}

enum class role : std::uint8_t { client = 0, server = 1 };

// Wire values from RFC 8446 §4.2.1 / RFC 5246 §A.1.
enum class tls_version : std::uint16_t { tls1_2 = 0x0303, tls1_3 = 0x0304 };

// Server behaviour when the client's ALPN list has nothing in common with ours.
enum class alpn_mismatch : std::uint8_t {
    alert = 0,  // RFC 7301 §3.2: fatal no_application_protocol alert
    ignore = 1, // complete the handshake without selecting a protocol
};

// A built context: one SSL_CTX plus the per-role policy sessions need. Copies share the same
// SSL_CTX (reference counted); it is immutable after build() and safe to share across threads.
class context {
public:
    [[nodiscard]] role kind() const noexcept;
    // The shared SSL_CTX, for callers (and benchmarks) that must reach OpenSSL directly.
    [[nodiscard]] SSL_CTX* native_handle() const noexcept;
    [[nodiscard]] const detail::context_state& state() const noexcept { return *state_; }

private:
    friend class context_builder;
    explicit context(std::shared_ptr<const detail::context_state> s) noexcept : state_(std::move(s)) {}
    std::shared_ptr<const detail::context_state> state_;
};

// Collects options, then build() creates the SSL_CTX. Client defaults: verify the server against
// the system store (SSL_CTX_set_default_verify_paths), TLS 1.2 minimum, no ALPN, no client
// certificate. Server defaults: no client certificate requested. Setters only record values;
// every check happens in build(), which on failure also fills error_text() with a sentence.
class context_builder {
public:
    [[nodiscard]] static context_builder client();
    [[nodiscard]] static context_builder server();

    // Trust anchors used instead of the system store (client: for the server; server: for
    // client certificates). May be combined.
    context_builder& ca_file(std::string path);
    context_builder& ca_pem(std::string pem);
    // Client: finish handshakes despite verification errors; the error is still recorded in
    // tls_facts::verify_code / verify_error so it can be reported.
    context_builder& insecure(bool on);
    // Our certificate chain and key: client certificate (mTLS) or the server's certificate.
    context_builder& certificate_file(std::string cert_path, std::string key_path);
    context_builder& certificate_pem(std::string cert_pem, std::string key_pem);
    context_builder& min_version(tls_version v);
    context_builder& max_version(tls_version v);
    // ALPN protocols in preference order (client: offered; server: accepted, ours first).
    context_builder& alpn(std::vector<std::string> protocols);
    // Client: fail with errc::no_alpn_overlap if the server selects no protocol.
    context_builder& require_alpn(bool on);
    // Server: what to do when no ALPN protocol overlaps (default: alert).
    context_builder& on_alpn_mismatch(alpn_mismatch policy);
    // Server: request a client certificate and fail the handshake without one (mTLS).
    context_builder& require_client_certificate(bool on);
    // OpenSSL cipher strings: TLS 1.3 suites ("TLS_AES_128_GCM_SHA256") and TLS 1.2 list.
    context_builder& ciphersuites(std::string suites);
    context_builder& cipher_list(std::string list);
    // Verify certificate validity at this time (seconds since the epoch) instead of the
    // system clock OpenSSL would otherwise read.
    context_builder& verify_time(std::int64_t epoch_seconds);

    [[nodiscard]] wsp::expected<context> build();
    // The sentence describing the last build() failure ("" after success).
    [[nodiscard]] const std::string& error_text() const noexcept { return error_text_; }

private:
    explicit context_builder(role r) noexcept : role_(r) {}
    [[nodiscard]] wsp::expected<void> load_trust(SSL_CTX* ctx);
    [[nodiscard]] wsp::expected<void> load_identity(SSL_CTX* ctx);
    [[nodiscard]] wsp::expected<void> apply_protocol_options(SSL_CTX* ctx, detail::context_state& st);
    [[nodiscard]] tl::unexpected<wsp::error> fail_with(errc code, std::string text);

    role role_;
    std::vector<std::string> ca_files_;
    std::vector<std::string> ca_pems_;
    bool insecure_ = false;
    std::string cert_path_, key_path_, cert_pem_, key_pem_;
    tls_version min_version_ = tls_version::tls1_2;
    std::optional<tls_version> max_version_;
    std::vector<std::string> alpn_;
    bool require_alpn_ = false;
    alpn_mismatch alpn_mismatch_ = alpn_mismatch::alert;
    bool require_client_cert_ = false;
    std::string ciphersuites_, cipher_list_;
    std::optional<std::int64_t> verify_time_;
    std::string error_text_;
};

} // namespace wsp::tls
