// wsprobe-lab flag parsing.
#include "tools/lab/options.h"

#include <netinet/in.h>

#include <charconv>
#include <cstring>

#include "tools/lab/tls_scenarios.h"

namespace wsp::lab {
namespace {

tl::unexpected<std::string> bad(std::string text)
{
    return tl::unexpected<std::string>(std::move(text));
}

tl::expected<rt::address, std::string> parse_listen(std::string_view v)
{
    const auto colon = v.rfind(':');
    if (colon == std::string_view::npos || colon == 0 || colon + 1 == v.size()) {
        return bad("--listen wants ADDR:PORT (e.g. 127.0.0.1:8080 or [::1]:8080), got \"" + std::string(v) +
                   "\"");
    }
    std::string_view host = v.substr(0, colon);
    const std::string_view port_text = v.substr(colon + 1);
    unsigned port = 0;
    const auto r = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (r.ec != std::errc{} || r.ptr != port_text.data() + port_text.size() || port > 65535) {
        return bad("--listen: \"" + std::string(port_text) + "\" is not a port number (0-65535)");
    }
    if (host == "localhost") {
        host = "127.0.0.1";
    }
    if (host.front() != '[' && host.find(':') != std::string_view::npos) {
        return bad("--listen: write IPv6 addresses in brackets, e.g. [::1]:8080");
    }
    auto a = rt::address::parse(host, static_cast<std::uint16_t>(port));
    if (!a) {
        return bad("--listen: \"" + std::string(host) + "\" is not a numeric IPv4 or IPv6 address");
    }
    return *a;
}

} // namespace

bool is_loopback(const rt::address& a) noexcept
{
    if (a.family() == AF_INET) {
        const auto* sin = reinterpret_cast<const sockaddr_in*>(a.data());
        return (ntohl(sin->sin_addr.s_addr) >> 24) == 127;
    }
    if (a.family() == AF_INET6) {
        const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(a.data());
        const auto& b = sin6->sin6_addr.s6_addr;
        static constexpr std::uint8_t loop[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
        static constexpr std::uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
        return std::memcmp(b, loop, 16) == 0 || (std::memcmp(b, mapped, 12) == 0 && b[12] == 127);
    }
    return false;
}

tl::expected<lab_options, std::string> parse_options(std::span<const std::string_view> args)
{
    lab_options o;
    for (std::size_t i = 0; i < args.size(); ++i) {
        std::string_view flag = args[i];
        std::string_view value;
        bool has_value = false;
        if (const auto eq = flag.find('='); flag.starts_with("--") && eq != std::string_view::npos) {
            value = flag.substr(eq + 1);
            flag = flag.substr(0, eq);
            has_value = true;
        }
        const bool wants_value =
            flag == "--listen" || flag == "--threads" || flag == "--tls-dir" || flag == "--h2-connect-protocol";
        if (wants_value && !has_value) {
            if (i + 1 == args.size()) {
                return bad(std::string(flag) + " needs a value");
            }
            value = args[++i];
        } else if (!wants_value && has_value) {
            return bad(std::string(flag) + " takes no value");
        }
        if (flag == "--listen") {
            auto a = parse_listen(value);
            if (!a) {
                return tl::unexpected(a.error());
            }
            o.listen.push_back(*a);
        } else if (flag == "--threads") {
            unsigned n = 0;
            const auto r = std::from_chars(value.data(), value.data() + value.size(), n);
            if (r.ec != std::errc{} || r.ptr != value.data() + value.size() || n < 1 || n > 256) {
                return bad("--threads wants a number from 1 to 256, got \"" + std::string(value) + "\"");
            }
            o.threads = n;
        } else if (flag == "--tls-dir") {
            if (value.empty()) {
                return bad("--tls-dir needs a directory");
            }
            o.tls_dir = std::string(value);
        } else if (flag == "--h2-connect-protocol") {
            if (value == "on") {
                o.h2_connect_protocol = h2::connect_protocol_setting::enabled;
            } else if (value == "off") {
                o.h2_connect_protocol = h2::connect_protocol_setting::disabled;
            } else if (value == "absent") {
                o.h2_connect_protocol = h2::connect_protocol_setting::absent;
            } else {
                return bad("--h2-connect-protocol wants on, off or absent, got \"" + std::string(value) + "\"");
            }
        } else if (flag == "--log") {
            o.log = true;
        } else if (flag == "--allow-remote") {
            o.allow_remote = true;
        } else if (flag == "--list") {
            o.list = true;
        } else if (flag == "--help" || flag == "-h") {
            o.help = true;
        } else {
            return bad("unknown flag \"" + std::string(flag) + "\"");
        }
    }
    if (!o.allow_remote) {
        for (const rt::address& a : o.listen) {
            if (!is_loopback(a)) {
                return bad("--listen " + a.to_string() +
                           " is not a loopback address; the lab serves broken WebSockets on purpose, "
                           "add --allow-remote to expose it");
            }
        }
    }
    return o;
}

std::string usage()
{
    std::string text =
        "usage: wsprobe-lab [--listen ADDR:PORT]... [--tls-dir DIR] [--threads N] [--log] [--allow-remote]\n"
        "                   [--h2-connect-protocol on|off|absent] [--list] [--help]\n"
        "\n"
        "A fault-injection WebSocket server: every request path reproduces one way a WebSocket\n"
        "endpoint breaks (see --list), over ws:// and, with --tls-dir, over wss://.\n"
        "\n"
        "  --listen ADDR:PORT  listen here (repeatable; default 127.0.0.1:0, a free port);\n"
        "                      one line \"wsprobe-lab listening on ws://ADDR:PORT\" per listener\n"
        "                      is printed on stdout once bound\n"
        "  --tls-dir DIR       create DIR if missing and write a fresh local CA and certificates\n"
        "                      into it (files mode 0600): ca.pem (trust it with --ca), client.pem\n"
        "                      and client-key.pem (for mtls), nginx.pem and nginx-key.pem (a\n"
        "                      leaf for 127.0.0.1, ::1 and localhost, for a TLS proxy in front\n"
        "                      of the lab); then open one TLS listener per scenario below on\n"
        "                      127.0.0.1 (a free port each), every path above working over it,\n"
        "                      and print \"wsprobe-lab listening on wss://127.0.0.1:PORT (tls: NAME)\"\n"
        "                      for each, after the ws:// lines\n"
        "  --threads N         reactor threads sharing the listeners (default 1)\n"
        "  --h2-connect-protocol on|off|absent\n"
        "                      HTTP/2 (RFC 8441): a connection that starts with the HTTP/2\n"
        "                      preface (h2c with prior knowledge on ws:// ports; after ALPN h2 on\n"
        "                      the TLS listeners h2 and alpn-h2-only) gets SETTINGS with\n"
        "                      ENABLE_CONNECT_PROTOCOL = 1 (on, the default), = 0 (off), or\n"
        "                      without it (absent), for the whole run: SETTINGS precede every\n"
        "                      request, so no path can choose; start one lab per setting\n"
        "  --log               one line per connection on stderr: method, path, scenario,\n"
        "                      status (never header values)\n"
        "  --allow-remote      allow non-loopback listen addresses\n"
        "  --list              print the scenario paths and exit\n"
        "  --help              print this text and exit\n"
        "\n"
        "SIGINT or SIGTERM stops accepting, closes every connection and exits 0.\n"
        "Exit status: 0 after a clean stop, 1 when the server cannot start (including a --tls-dir\n"
        "that cannot be created or written), 3 for bad flags.\n"
        "\n"
        "TLS scenarios (--tls-dir), one listener each:\n";
    for (const auto& s : tls_scenario_list()) {
        text += "  ";
        text += s.name;
        text.append(s.name.size() < 16 ? 16 - s.name.size() : 1, ' ');
        text += s.what;
        text += '\n';
    }
    return text;
}

} // namespace wsp::lab
