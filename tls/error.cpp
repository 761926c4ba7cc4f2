// Names, failure classes and short descriptions of wsp::tls::errc.
#include "tls/error.h"

#include <array>

namespace wsp::tls {
namespace {

struct entry {
    std::string_view name;
    failure_class cls;
    std::string_view text;
};

constexpr std::array<entry, 23> entries{{
    {"ok", failure_class::none, "no error"},
    {"certificate_expired", failure_class::tls, "certificate has expired"},
    {"certificate_not_yet_valid", failure_class::tls, "certificate is not yet valid"},
    {"untrusted_issuer", failure_class::tls, "certificate issuer is not trusted"},
    {"self_signed", failure_class::tls, "certificate is self-signed and not trusted"},
    {"hostname_mismatch", failure_class::tls, "certificate does not match the host name"},
    {"ip_address_mismatch", failure_class::tls, "certificate does not match the IP address"},
    {"certificate_invalid", failure_class::tls, "certificate failed verification"},
    {"alert_received", failure_class::tls, "peer sent a fatal TLS alert"},
    {"protocol_version", failure_class::tls, "no TLS version acceptable to both sides"},
    {"no_alpn_overlap", failure_class::tls, "no application protocol acceptable to both sides"},
    {"peer_closed_during_handshake", failure_class::peer_closed, "peer closed during the TLS handshake"},
    {"handshake_failed", failure_class::tls, "TLS handshake failed"},
    {"truncated", failure_class::peer_closed, "peer closed without close_notify"},
    {"client_certificate_required", failure_class::tls, "server requires a client certificate"},
    {"record_error", failure_class::protocol, "malformed or undecryptable TLS record"},
    {"bad_state", failure_class::internal, "call not valid in this TLS session state"},
    {"ca_file_unusable", failure_class::config, "CA certificates could not be loaded"},
    {"certificate_unusable", failure_class::config, "certificate or key could not be loaded"},
    {"invalid_option", failure_class::config, "TLS option rejected"},
    {"out_of_resources", failure_class::internal, "OpenSSL could not allocate"},
    {"cert_generation_failed", failure_class::internal, "certificate generation failed"},
    {"file_write_failed", failure_class::config, "could not write PEM file"},
}};

const entry& lookup(std::uint16_t code) noexcept
{
    static constexpr entry unknown{"unknown", failure_class::internal, "unknown TLS error"};
    return code < entries.size() ? entries[code] : unknown;
}

std::string_view name_of(std::uint16_t code) noexcept { return lookup(code).name; }
failure_class class_of(std::uint16_t code) noexcept { return lookup(code).cls; }
std::string_view text_of(std::uint16_t code) noexcept { return lookup(code).text; }

constexpr wsp::error_domain domain{"tls", &name_of, &class_of, &text_of};

} // namespace

const wsp::error_domain& domain_of(errc) noexcept { return domain; }

} // namespace wsp::tls
