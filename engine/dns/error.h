// Error vocabulary of the DNS resolver (engine/dns): one errc per way a lookup can fail, with the
// RFC 1035 §4.1.1 RCODE it stands for where there is one, and the sentence helper for results.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/dns/address.h"
#include "proto/error.h"

namespace wsp::dns {

// Append-only; the snake_case names returned by wsp::error::name() are part of the JSON contract.
enum class errc : std::uint16_t {
    ok = 0,
    not_found = 1,           // RCODE 3 (NXDOMAIN): the name does not exist
    no_data = 2,             // the name exists but has no address of the requested family
    server_failure = 3,      // RCODE 2 (SERVFAIL)
    refused = 4,             // RCODE 5 (REFUSED)
    timeout = 5,             // no answer before the per-lookup timeout (or c-ares gave up retrying)
    bad_name = 6,            // empty or malformed host name; no query was sent
    connection_refused = 7,  // the DNS server's port is closed (ICMP port unreachable / TCP RST)
    cancelled = 8,           // the resolver was destroyed while the lookup was in flight
    out_of_memory = 9,       // allocation failed inside c-ares
    format_error = 10,       // RCODE 1 (FORMERR): the server could not parse the query
    not_implemented = 11,    // RCODE 4 (NOTIMP)
    bad_response = 12,       // the answer could not be parsed
    bad_family = 13,         // address family not supported by the resolver
    bad_server = 14,         // an explicit server is not "ip", "ip:port", "[ipv6]" or "[ipv6]:port"
    bad_option = 15,         // an option is out of range (timeout, tries, limits)
    init_failed = 16,        // c-ares could not create the channel (e.g. unreadable resolv.conf)
    too_many_lookups = 17,   // the in-flight limit (resolver_options::max_lookups) is reached
    resolver_error = 18,     // any other c-ares status; carries no further detail
};

// The domain (module "dns") that wsp::error uses for names, classes and descriptions. Lookup
// failures are class `dns`, except timeout (class `timeout`), cancelled (`cancelled`), limits
// (`limit`), configuration mistakes (`config`) and c-ares internals (`internal`).
[[nodiscard]] const wsp::error_domain& domain_of(errc) noexcept;

// Maps an ARES_* status to errc. ARES_SUCCESS maps to errc::ok; unknown codes to resolver_error.
[[nodiscard]] errc from_ares_status(int status) noexcept;

// A sentence a human can act on, e.g.
//   "DNS lookup of example.invalid failed: name does not exist (NXDOMAIN)".
// `family` refines the no_data wording ("has no IPv6 address"). The host is quoted only when it is
// empty, and control or non-ASCII bytes are shown as \xNN, so hostile input cannot forge lines.
// Errors of other modules fall back to their generic description. Allocates the returned string.
[[nodiscard]] std::string failure_sentence(std::string_view host, address_family family, const wsp::error& e);

} // namespace wsp::dns
