// Reload support: which checks a new configuration leaves alone, so their schedules survive.
#include <unordered_map>

#include "engine/fleet/config.h"

namespace wsp::fleet {
namespace {

bool same_headers(const std::vector<proto::header_field>& a, const std::vector<proto::header_field>& b)
{
    return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](const auto& x, const auto& y) {
        return x.name == y.name && x.value == y.value && x.secret == y.secret;
    });
}

bool same_url(const proto::ws_url& a, const proto::ws_url& b)
{
    return a.secure == b.secure && a.host == b.host && a.kind == b.kind && a.port == b.port &&
           a.explicit_port == b.explicit_port && a.target == b.target;
}

bool same_timeouts(const proto::check_timeouts& a, const proto::check_timeouts& b)
{
    return a.dns == b.dns && a.connect == b.connect && a.tls == b.tls && a.upgrade == b.upgrade &&
           a.rtt == b.rtt && a.close == b.close && a.overall == b.overall;
}

bool same_tls(const proto::tls_options& a, const proto::tls_options& b)
{
    return a.ca_file == b.ca_file && a.insecure == b.insecure && a.cert_file == b.cert_file &&
           a.key_file == b.key_file && a.min_tls13 == b.min_tls13 && a.cert_warn_days == b.cert_warn_days &&
           a.resume == b.resume;
}

bool same_spec(const proto::check_spec& a, const proto::check_spec& b)
{
    return same_url(a.url, b.url) && same_headers(a.headers, b.headers) && a.origin == b.origin &&
           a.subprotocols == b.subprotocols && a.expect_subprotocol == b.expect_subprotocol &&
           a.extensions == b.extensions && a.rtt == b.rtt && a.payload == b.payload && a.binary == b.binary &&
           same_timeouts(a.timeouts, b.timeouts) &&
           a.thresholds.handshake_degraded == b.thresholds.handshake_degraded &&
           a.thresholds.rtt_degraded == b.thresholds.rtt_degraded &&
           a.thresholds.connect_degraded == b.thresholds.connect_degraded && a.retries == b.retries &&
           a.family == b.family && a.source_address == b.source_address &&
           a.max_message_size == b.max_message_size && same_tls(a.tls, b.tls);
}

} // namespace

bool same_check(const fleet_check& a, const fleet_check& b) noexcept
{
    const bool same_options =
        std::equal(a.app_options.begin(), a.app_options.end(), b.app_options.begin(), b.app_options.end(),
                   [](const app_option& x, const app_option& y) {
                       return x.name == y.name && x.value == y.value && x.secret == y.secret;
                   });
    return a.id == b.id && a.module == b.module && a.interval == b.interval && a.labels == b.labels &&
           a.app == b.app && same_options && same_spec(a.spec, b.spec);
}

config_diff diff_configs(const fleet_config& before, const fleet_config& after)
{
    std::unordered_map<std::string_view, const fleet_check*> old_by_id;
    old_by_id.reserve(before.checks.size());
    for (const auto& c : before.checks) {
        old_by_id.emplace(c.id, &c);
    }
    config_diff d;
    std::unordered_map<std::string_view, bool> seen;
    seen.reserve(after.checks.size());
    for (const auto& c : after.checks) {
        seen.emplace(c.id, true);
        auto it = old_by_id.find(c.id);
        if (it == old_by_id.end()) {
            d.added.push_back(c.id);
        } else if (same_check(*it->second, c)) {
            d.unchanged.push_back(c.id);
        } else {
            d.changed.push_back(c.id);
        }
    }
    for (const auto& c : before.checks) {
        if (!seen.contains(c.id)) {
            d.removed.push_back(c.id);
        }
    }
    return d;
}

} // namespace wsp::fleet
