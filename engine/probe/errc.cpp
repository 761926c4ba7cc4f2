#include "engine/probe/errc.h"

namespace wsp::probe {
namespace {

std::string_view name(std::uint16_t c) noexcept
{
    switch (static_cast<errc>(c)) {
    case errc::ok: return "ok";
    case errc::connect_timeout: return "connect_timeout";
    case errc::upgrade_timeout: return "upgrade_timeout";
    case errc::closed_before_response: return "closed_before_response";
    case errc::reset_during_upgrade: return "reset_during_upgrade";
    case errc::rtt_timeout: return "rtt_timeout";
    case errc::echo_mismatch: return "echo_mismatch";
    case errc::server_closed: return "server_closed";
    case errc::connection_dropped: return "connection_dropped";
    case errc::connection_reset: return "connection_reset";
    case errc::invalid_frame: return "invalid_frame";
    case errc::bad_source_address: return "bad_source_address";
    case errc::bad_payload: return "bad_payload";
    case errc::no_address: return "no_address";
    case errc::overall_timeout: return "overall_timeout";
    case errc::internal: return "internal";
    case errc::tls_timeout: return "tls_timeout";
    case errc::tls_connection_failed: return "tls_connection_failed";
    case errc::address_blocked: return "address_blocked";
    case errc::app_init_timeout: return "app_init_timeout";
    case errc::h2_not_negotiated: return "h2_not_negotiated";
    case errc::h2_settings_timeout: return "h2_settings_timeout";
    case errc::transports_disagree: return "transports_disagree";
    }
    return "unknown";
}

wsp::failure_class classify(std::uint16_t c) noexcept
{
    using fc = wsp::failure_class;
    switch (static_cast<errc>(c)) {
    case errc::ok: return fc::none;
    case errc::connect_timeout:
    case errc::upgrade_timeout:
    case errc::rtt_timeout:
    case errc::overall_timeout: return fc::timeout;
    case errc::closed_before_response:
    case errc::reset_during_upgrade:
    case errc::server_closed:
    case errc::connection_dropped:
    case errc::connection_reset: return fc::peer_closed;
    case errc::echo_mismatch:
    case errc::invalid_frame: return fc::protocol;
    case errc::bad_source_address:
    case errc::bad_payload: return fc::config;
    case errc::no_address: return fc::dns;
    case errc::internal: return fc::internal;
    case errc::tls_timeout: return fc::timeout;
    case errc::tls_connection_failed: return fc::peer_closed;
    case errc::address_blocked: return fc::blocked;
    case errc::app_init_timeout: return fc::timeout;
    case errc::h2_not_negotiated: return fc::handshake;
    case errc::h2_settings_timeout: return fc::timeout;
    case errc::transports_disagree: return fc::handshake;
    }
    return fc::internal;
}

std::string_view describe(std::uint16_t c) noexcept
{
    switch (static_cast<errc>(c)) {
    case errc::ok: return "ok";
    case errc::connect_timeout: return "TCP connect timed out";
    case errc::upgrade_timeout: return "no upgrade response in time";
    case errc::closed_before_response: return "connection closed before the upgrade response";
    case errc::reset_during_upgrade: return "connection reset during the upgrade";
    case errc::rtt_timeout: return "no reply within the RTT timeout";
    case errc::echo_mismatch: return "the reply did not equal what was sent";
    case errc::server_closed: return "the server closed the WebSocket";
    case errc::connection_dropped: return "TCP dropped without a close frame";
    case errc::connection_reset: return "connection reset";
    case errc::invalid_frame: return "invalid frame from the server";
    case errc::bad_source_address: return "invalid source address";
    case errc::bad_payload: return "invalid payload";
    case errc::no_address: return "no address of the requested family";
    case errc::overall_timeout: return "the check ran out of time";
    case errc::internal: return "internal error";
    case errc::tls_timeout: return "TLS handshake timed out";
    case errc::tls_connection_failed: return "connection failed during the TLS handshake";
    case errc::address_blocked: return "address refused by the SSRF guard";
    case errc::app_init_timeout: return "the app protocol's init was not answered in time";
    case errc::h2_not_negotiated: return "the server does not speak HTTP/2 on this port (ALPN did not select h2, or no h2c)";
    case errc::h2_settings_timeout: return "no HTTP/2 SETTINGS from the server in time";
    case errc::transports_disagree: return "HTTP/1.1 and HTTP/2 disagree";
    }
    return "unknown error";
}

constexpr wsp::error_domain probe_domain{"probe", &name, &classify, &describe};

} // namespace

const wsp::error_domain& domain_of(errc) noexcept { return probe_domain; }

} // namespace wsp::probe
