// Names, classes and sentences of the DNS errors; RCODEs per RFC 1035 §4.1.1.
#include "engine/dns/error.h"

#include <ares.h>

#include <array>

namespace wsp::dns {

namespace {

struct errc_info {
    std::string_view name;
    wsp::failure_class cls;
    std::string_view description;
};

using fc = wsp::failure_class;

// Indexed by errc value; the order must follow the enum.
constexpr std::array<errc_info, 19> infos{{
    {"ok", fc::none, "no error"},
    {"not_found", fc::dns, "name does not exist (NXDOMAIN)"},
    {"no_data", fc::dns, "name has no address of the requested family (NODATA)"},
    {"server_failure", fc::dns, "the DNS server failed to answer (SERVFAIL)"},
    {"refused", fc::dns, "the DNS server refused the query (REFUSED)"},
    {"timeout", fc::timeout, "no answer from the DNS server before the lookup timeout"},
    {"bad_name", fc::dns, "not a valid host name"},
    {"connection_refused", fc::dns, "the DNS server is unreachable (connection refused)"},
    {"cancelled", fc::cancelled, "the lookup was cancelled"},
    {"out_of_memory", fc::internal, "the resolver ran out of memory"},
    {"format_error", fc::dns, "the DNS server rejected the query as malformed (FORMERR)"},
    {"not_implemented", fc::dns, "the DNS server does not implement the query (NOTIMP)"},
    {"bad_response", fc::dns, "the DNS server sent a malformed answer"},
    {"bad_family", fc::config, "the address family is not supported"},
    {"bad_server", fc::config, "a DNS server address is not ip, ip:port, [ipv6] or [ipv6]:port"},
    {"bad_option", fc::config, "a resolver option is out of range"},
    {"init_failed", fc::internal, "the resolver could not be initialised"},
    {"too_many_lookups", fc::limit, "too many DNS lookups in flight"},
    {"resolver_error", fc::internal, "the resolver failed"},
}};

const errc_info& info(std::uint16_t code) noexcept
{
    return code < infos.size() ? infos[code] : infos[static_cast<std::size_t>(errc::resolver_error)];
}

std::string_view name_of(std::uint16_t code) noexcept { return info(code).name; }
wsp::failure_class class_of(std::uint16_t code) noexcept { return info(code).cls; }
std::string_view describe_of(std::uint16_t code) noexcept { return info(code).description; }

constexpr wsp::error_domain domain{"dns", &name_of, &class_of, &describe_of};

void append_host(std::string& out, std::string_view host)
{
    if (host.empty()) {
        out += "\"\"";
        return;
    }
    constexpr std::size_t shown = 260;
    constexpr std::string_view hex = "0123456789abcdef";
    for (std::size_t i = 0; i < host.size() && i < shown; ++i) {
        const auto c = static_cast<unsigned char>(host[i]);
        if (c < 0x20 || c >= 0x7f || c == '\\') {
            out += "\\x";
            out += hex[c >> 4];
            out += hex[c & 0xf];
        } else {
            out += static_cast<char>(c);
        }
    }
    if (host.size() > shown) {
        out += "...";
    }
}

std::string_view no_data_wording(address_family family) noexcept
{
    switch (family) {
    case address_family::v4: return "name has no IPv4 address (NODATA)";
    case address_family::v6: return "name has no IPv6 address (NODATA)";
    case address_family::any: return "name has no IPv4 or IPv6 address (NODATA)";
    }
    return "name has no address of the requested family (NODATA)";
}

} // namespace

const wsp::error_domain& domain_of(errc) noexcept { return domain; }

errc from_ares_status(int status) noexcept
{
    switch (status) {
    case ARES_SUCCESS: return errc::ok;
    case ARES_ENODATA: return errc::no_data;
    case ARES_EFORMERR: return errc::format_error;
    case ARES_ESERVFAIL: return errc::server_failure;
    case ARES_ENOTFOUND: return errc::not_found;
    case ARES_ENOTIMP: return errc::not_implemented;
    case ARES_EREFUSED: return errc::refused;
    case ARES_EBADNAME: return errc::bad_name;
    case ARES_EBADFAMILY: return errc::bad_family;
    case ARES_EBADRESP: return errc::bad_response;
    case ARES_ECONNREFUSED: return errc::connection_refused;
    case ARES_ETIMEOUT: return errc::timeout;
    case ARES_ENOMEM: return errc::out_of_memory;
    case ARES_ECANCELLED:
    case ARES_EDESTRUCTION: return errc::cancelled;
    default: return errc::resolver_error;
    }
}

std::string failure_sentence(std::string_view host, address_family family, const wsp::error& e)
{
    std::string out = "DNS lookup of ";
    append_host(out, host);
    out += " failed: ";
    if (e.is(errc::no_data)) {
        out += no_data_wording(family);
    } else if (!e) {
        out += "no error was recorded";
    } else {
        out += e.describe();
    }
    return out;
}

} // namespace wsp::dns
