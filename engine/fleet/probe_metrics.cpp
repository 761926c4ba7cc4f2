// The blackbox-exporter-compatible `/probe` body for one result (text format 0.0.4): the
// exporter's metric names, with wsprobe's finer phases as extra label values.
#include <string_view>

#include "engine/fleet/detail/text.h"
#include "engine/fleet/metrics.h"

namespace wsp::fleet {
namespace {

using detail::append_family;
using detail::append_sample;
using proto::phase;

double seconds(const proto::check_result& r, phase p)
{
    const auto ns = r.duration(p);
    return ns ? static_cast<double>(*ns) / 1e9 : 0.0;
}

// "127.0.0.1:8080" -> "127.0.0.1", "[::1]:443" -> "::1".
std::string_view peer_ip(std::string_view peer) noexcept
{
    if (peer.starts_with('[')) {
        const auto close = peer.find(']');
        return close == std::string_view::npos ? std::string_view{} : peer.substr(1, close - 1);
    }
    return peer.substr(0, peer.rfind(':'));
}

// The blackbox exporter's probe_ip_addr_hash: FNV-1a 32 over the address text.
std::uint32_t fnv1a32(std::string_view s) noexcept
{
    std::uint32_t h = 2166136261U;
    for (const char c : s) {
        h ^= static_cast<unsigned char>(c);
        h *= 16777619U;
    }
    return h;
}

std::string label(std::string_view name, std::string_view value)
{
    std::string out(name);
    out += "=\"";
    detail::append_label_value(out, value);
    out += '"';
    return out;
}

// The exporter spells versions "TLS 1.3"; OpenSSL says "TLSv1.3".
std::string tls_version_label(std::string_view v)
{
    if (v.starts_with("TLSv")) {
        return "TLS " + std::string(v.substr(4));
    }
    return std::string(v);
}

void gauge(std::string& out, std::string_view name, std::string_view help, double v)
{
    append_family(out, name, "gauge", help);
    append_sample(out, name, "", v);
}

void phases(std::string& out, const proto::check_result& r)
{
    constexpr std::string_view name = "probe_websocket_duration_seconds";
    append_family(out, name, "gauge",
                  "Duration of the probe by phase: resolve, connect, processing (TLS and upgrade), transfer "
                  "(app init, RTT and close), and the finer tls, upgrade, app_init, rtt, close.");
    const double processing = seconds(r, phase::tls) + seconds(r, phase::upgrade);
    const double transfer = seconds(r, phase::app_init) + seconds(r, phase::rtt) + seconds(r, phase::close);
    append_sample(out, name, "phase=\"resolve\"", seconds(r, phase::dns));
    append_sample(out, name, "phase=\"connect\"", seconds(r, phase::tcp));
    append_sample(out, name, "phase=\"processing\"", processing);
    append_sample(out, name, "phase=\"transfer\"", transfer);
    for (const phase p : {phase::tls, phase::upgrade, phase::app_init, phase::rtt, phase::close}) {
        append_sample(out, name, label("phase", proto::to_string(p)), seconds(r, p));
    }
}

void tls_families(std::string& out, const proto::tls_info& t)
{
    const auto expiry = detail::parse_utc_timestamp(t.chain_not_after);
    if (expiry) {
        gauge(out, "probe_ssl_earliest_cert_expiry",
              "Earliest certificate expiry in the chain, Unix seconds.", static_cast<double>(*expiry));
        gauge(out, "probe_ssl_last_chain_expiry_timestamp_seconds",
              "Earliest certificate expiry in the verified chain, Unix seconds.",
              static_cast<double>(*expiry));
    }
    std::string names;
    for (const auto& n : t.names) {
        names += names.empty() ? "" : ",";
        names += n;
    }
    append_family(out, "probe_ssl_last_chain_info", "gauge", "The leaf certificate of the chain.");
    append_sample(out, "probe_ssl_last_chain_info",
                  label("subject", t.subject) + "," + label("issuer", t.issuer) + "," +
                      label("subjectalternative", names),
                  1.0);
    append_family(out, "probe_tls_version_info", "gauge", "The negotiated TLS version.");
    append_sample(out, "probe_tls_version_info", label("version", tls_version_label(t.version)), 1.0);
    append_family(out, "probe_tls_cipher_info", "gauge", "The negotiated cipher suite.");
    append_sample(out, "probe_tls_cipher_info", label("cipher", t.cipher), 1.0);
}

} // namespace

std::string render_probe_response(const proto::check_result& r, double timeout_seconds)
{
    std::string out;
    out.reserve(4096);
    const bool success = r.status != proto::check_status::down;
    gauge(out, "probe_success", "Whether the probe succeeded (up or degraded).", success ? 1.0 : 0.0);
    gauge(out, "probe_websocket_degraded", "Whether the probe succeeded but crossed a threshold.",
          r.status == proto::check_status::degraded ? 1.0 : 0.0);
    gauge(out, "probe_duration_seconds", "How long the probe took to complete in seconds.",
          static_cast<double>(r.total_ns) / 1e9);
    gauge(out, "probe_timeout_seconds", "The timeout the probe ran with, in seconds.", timeout_seconds);
    gauge(out, "probe_dns_lookup_time_seconds", "How long the DNS lookup took in seconds.",
          seconds(r, phase::dns));
    const std::string_view ip = peer_ip(r.peer_address);
    if (!ip.empty()) {
        gauge(out, "probe_ip_protocol", "4 or 6: the IP protocol the probe used.",
              ip.find(':') == std::string_view::npos ? 4.0 : 6.0);
        gauge(out, "probe_ip_addr_hash", "FNV-1a 32 hash of the address probed, to detect changes.",
              static_cast<double>(fnv1a32(ip)));
    }
    gauge(out, "probe_http_ssl", "1 when the probe used TLS.", r.tls ? 1.0 : 0.0);
    if (!r.negotiated.http_version.empty()) {
        gauge(out, "probe_http_version", "The HTTP version the upgrade used.",
              r.negotiated.http_version == "h2" ? 2.0 : 1.1);
    }
    const double status = r.negotiated.status ? *r.negotiated.status : 0;
    gauge(out, "probe_websocket_status_code", "The status code of the upgrade response.", status);
    const bool upgraded =
        r.negotiated.status &&
        (*r.negotiated.status == 101 || (r.negotiated.http_version == "h2" && *r.negotiated.status == 200));
    gauge(out, "probe_websocket_connection_upgraded", "Whether the connection was upgraded to WebSocket.",
          upgraded ? 1.0 : 0.0);
    gauge(out, "probe_websocket_failed_due_to_regex", "Whether a reply failed a content assertion.",
          r.code.starts_with("assert") ? 1.0 : 0.0);
    phases(out, r);
    if (r.rtt_ns) {
        gauge(out, "probe_websocket_rtt_seconds", "The frame round trip in seconds.",
              static_cast<double>(*r.rtt_ns) / 1e9);
    }
    if (r.close.code) {
        gauge(out, "probe_websocket_close_code", "The close code of the WebSocket close.", *r.close.code);
    }
    if (r.tls) {
        tls_families(out, *r.tls);
    }
    if (!success) {
        append_family(out, "probe_websocket_failure_info", "gauge", "Where and why the probe failed.");
        append_sample(out, "probe_websocket_failure_info",
                      label("phase", r.failed_phase ? proto::to_string(*r.failed_phase) : "check") + "," +
                          label("code", r.code) + "," + label("class", wsp::to_string(r.cls)),
                      1.0);
    }
    return out;
}

} // namespace wsp::fleet
