// Names for statuses, phases and closers: part of the JSON and metrics contract.
#include "proto/check_result.h"

namespace wsp::proto {

std::string_view to_string(check_status s) noexcept
{
    switch (s) {
    case check_status::up: return "up";
    case check_status::degraded: return "degraded";
    case check_status::down: return "down";
    }
    return "down";
}

std::string_view to_string(phase p) noexcept
{
    switch (p) {
    case phase::dns: return "dns";
    case phase::tcp: return "tcp";
    case phase::tls: return "tls";
    case phase::upgrade: return "upgrade";
    case phase::app_init: return "app_init";
    case phase::rtt: return "rtt";
    case phase::close: return "close";
    }
    return "unknown";
}

std::string_view to_string(closed_by c) noexcept
{
    switch (c) {
    case closed_by::none: return "none";
    case closed_by::client: return "client";
    case closed_by::server: return "server";
    case closed_by::transport: return "transport";
    }
    return "none";
}

void check_result::fail(phase p, const wsp::error& e, std::string why)
{
    status = check_status::down;
    failed_phase = p;
    code = std::string(e.name());
    cls = e.cls();
    sentence = std::move(why);
}

} // namespace wsp::proto
