// wsprobe-lab's command line: flags to options, with one-line errors (exit status 3 in main).
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <tl/expected.hpp>

#include "engine/runtime/address.h"
#include "h2/session.h"

namespace wsp::lab {

struct lab_options {
    std::vector<rt::address> listen; // empty: 127.0.0.1:0
    std::string tls_dir;             // non-empty: generate certificates here, open the TLS listeners
    unsigned threads = 1;
    bool log = false;
    bool allow_remote = false;
    bool list = false;
    bool help = false;
    // --h2-connect-protocol on|off|absent: SETTINGS_ENABLE_CONNECT_PROTOCOL 1, 0 or not sent on
    // every HTTP/2 connection of the run (RFC 8441 §3).
    h2::connect_protocol_setting h2_connect_protocol = h2::connect_protocol_setting::enabled;
};

// Parses the arguments after the program name. `--flag value` and `--flag=value` both work.
// --h2-connect-protocol takes on, off or absent.
// --listen takes ADDR:PORT with a numeric IPv4 address, a bracketed IPv6 address or
// "localhost"; an address that is not loopback is refused unless --allow-remote is given
// (anywhere on the line). --tls-dir takes a non-empty directory path. The error is one sentence
// naming the flag at fault.
[[nodiscard]] tl::expected<lab_options, std::string> parse_options(std::span<const std::string_view> args);

// True for 127.0.0.0/8, ::1 and IPv4-mapped 127.0.0.0/8.
[[nodiscard]] bool is_loopback(const rt::address& a) noexcept;

// The --help text.
[[nodiscard]] std::string usage();

} // namespace wsp::lab
