// Tests for http1/request.cpp: exact request bytes for a fixed key (ports, IPv6, query,
// subprotocols, extensions, custom headers), option errors naming the header, and redaction.
#include "http1/request.h"

#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <string>
#include <vector>

namespace {

using namespace wsp::http1;

const websocket_key sample_key = [] {
    std::array<std::uint8_t, 16> nonce{};
    std::memcpy(nonce.data(), "the sample nonce", 16);
    return websocket_key::from_bytes(nonce);
}();

std::string write(const upgrade_request& req)
{
    std::array<char, 4096> buf{};
    auto n = write_upgrade_request(buf, req, sample_key);
    if (!n) {
        return "error: " + std::string(n.error().code.name());
    }
    return std::string(buf.data(), *n);
}

const std::string fixed_lines = "Upgrade: websocket\r\n"
                                "Connection: Upgrade\r\n"
                                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                                "Sec-WebSocket-Version: 13\r\n";

TEST(write_upgrade_request, minimal_request_is_exact)
{
    upgrade_request req;
    req.host = "server.example.com";
    EXPECT_EQ(write(req), "GET / HTTP/1.1\r\nHost: server.example.com\r\n" + fixed_lines + "\r\n");
}

TEST(write_upgrade_request, host_carries_the_port_only_when_not_default)
{
    upgrade_request req;
    req.host = "example.com";
    req.port = 80;
    EXPECT_NE(write(req).find("Host: example.com\r\n"), std::string::npos);
    req.port = 443;
    EXPECT_NE(write(req).find("Host: example.com:443\r\n"), std::string::npos);
    req.secure = true;
    EXPECT_NE(write(req).find("Host: example.com\r\n"), std::string::npos);
    req.port = 80;
    EXPECT_NE(write(req).find("Host: example.com:80\r\n"), std::string::npos);
    req.port = 65535;
    EXPECT_NE(write(req).find("Host: example.com:65535\r\n"), std::string::npos);
}

TEST(write_upgrade_request, ipv6_literals_are_bracketed_once)
{
    upgrade_request req;
    req.host = "::1";
    req.port = 8080;
    EXPECT_NE(write(req).find("Host: [::1]:8080\r\n"), std::string::npos);
    req.host = "[2001:db8::1]";
    req.port = 0;
    EXPECT_NE(write(req).find("Host: [2001:db8::1]\r\n"), std::string::npos);
}

TEST(write_upgrade_request, full_request_with_query_subprotocols_extensions_origin_and_headers)
{
    const std::array<std::string_view, 2> protocols = {"chat", "superchat"};
    const std::array<std::string_view, 1> extensions = {"permessage-deflate; client_max_window_bits"};
    const std::array<custom_header, 2> headers = {
        {{"Authorization", "Bearer abc", false, false}, {"X-Trace", "1", false, false}}};
    upgrade_request req;
    req.secure = true;
    req.host = "127.0.0.1";
    req.port = 8443;
    req.target = "/chat?room=1&x=%20";
    req.subprotocols = protocols;
    req.extensions = extensions;
    req.origin = "https://example.com";
    req.headers = headers;
    EXPECT_EQ(write(req), "GET /chat?room=1&x=%20 HTTP/1.1\r\n"
                          "Host: 127.0.0.1:8443\r\n" +
                              fixed_lines +
                              "Sec-WebSocket-Protocol: chat, superchat\r\n"
                              "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
                              "Origin: https://example.com\r\n"
                              "Authorization: Bearer abc\r\n"
                              "X-Trace: 1\r\n"
                              "\r\n");
}

TEST(write_upgrade_request, override_replaces_an_owned_header_in_place)
{
    const std::array<custom_header, 2> headers = {
        {{"host", "virtual.example", false, true}, {"Sec-WebSocket-Version", "8", false, true}}};
    upgrade_request req;
    req.host = ""; // not needed when Host is overridden
    req.headers = headers;
    EXPECT_EQ(write(req), "GET / HTTP/1.1\r\n"
                          "host: virtual.example\r\n"
                          "Upgrade: websocket\r\n"
                          "Connection: Upgrade\r\n"
                          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                          "Sec-WebSocket-Version: 8\r\n"
                          "\r\n");
}

TEST(write_upgrade_request, owned_headers_are_not_duplicated_unless_allowed)
{
    for (std::string_view name :
         {"Host", "upgrade", "CONNECTION", "Sec-WebSocket-Key", "Sec-WebSocket-Version"}) {
        const std::array<custom_header, 1> headers = {{{name, "x", false, false}}};
        upgrade_request req;
        req.host = "example.com";
        req.headers = headers;
        auto r = check_request_options(req);
        ASSERT_FALSE(r) << name;
        EXPECT_EQ(r.error().code.name(), "duplicate_owned_header");
        EXPECT_EQ(r.error().code.cls(), wsp::failure_class::config);
        EXPECT_NE(r.error().sentence.find(std::string(name)), std::string::npos) << r.error().sentence;
    }
    // Origin is owned only when the option sets it.
    const std::array<custom_header, 1> origin = {{{"Origin", "https://a.example", false, false}}};
    upgrade_request req;
    req.host = "example.com";
    req.headers = origin;
    EXPECT_NE(write(req).find("Origin: https://a.example\r\n"), std::string::npos);
    req.origin = "https://b.example";
    EXPECT_EQ(write(req), "error: duplicate_owned_header");
}

TEST(write_upgrade_request, invalid_names_and_values_are_rejected_naming_the_header)
{
    struct bad {
        custom_header header;
        std::string error;
        std::string named;
    };
    const std::vector<bad> cases = {
        {{"X Bad", "v"}, "invalid_header_name", "X Bad"},
        {{"X:Bad", "v"}, "invalid_header_name", "X:Bad"},
        {{"", "v"}, "invalid_header_name", "\"\""},
        {{"X-Inject", "a\r\nEvil: 1"}, "invalid_header_value", "X-Inject"},
        {{"X-Lf", "a\nb"}, "invalid_header_value", "X-Lf"},
        {{"X-Nul", std::string_view("a\0b", 3)}, "invalid_header_value", "X-Nul"},
        {{"X-Esc", "a\x1b"}, "invalid_header_value", "X-Esc"},
        {{"X-Del", "a\x7f"}, "invalid_header_value", "X-Del"},
    };
    for (const auto& c : cases) {
        const std::array<custom_header, 1> headers = {c.header};
        upgrade_request req;
        req.host = "example.com";
        req.headers = headers;
        std::array<char, 1024> buf{};
        auto r = write_upgrade_request(buf, req, sample_key);
        ASSERT_FALSE(r) << c.named;
        EXPECT_EQ(r.error().code.name(), c.error);
        EXPECT_NE(r.error().sentence.find(c.named), std::string::npos) << r.error().sentence;
    }
    const std::array<custom_header, 1> tab = {{{"X-Tab", "a\tb"}}};
    upgrade_request req;
    req.host = "example.com";
    req.headers = tab;
    EXPECT_NE(write(req).find("X-Tab: a\tb\r\n"), std::string::npos);
}

TEST(write_upgrade_request, bad_options_are_config_errors)
{
    upgrade_request req;
    req.host = "";
    EXPECT_EQ(write(req), "error: invalid_host");
    req.host = "exa mple.com";
    EXPECT_EQ(write(req), "error: invalid_host");
    req.host = "example.com";
    req.target = "chat";
    EXPECT_EQ(write(req), "error: invalid_target");
    req.target = "/chat#frag";
    EXPECT_EQ(write(req), "error: invalid_target");
    req.target = "/a b";
    EXPECT_EQ(write(req), "error: invalid_target");
    req.target = "";
    EXPECT_EQ(write(req).substr(0, 16), "GET / HTTP/1.1\r\n");
    const std::array<std::string_view, 1> bad_protocol = {"chat, evil"};
    req.subprotocols = bad_protocol;
    EXPECT_EQ(write(req), "error: invalid_subprotocol");
    req.subprotocols = {};
    req.origin = "https://x\r\n";
    EXPECT_EQ(write(req), "error: invalid_header_value");
}

TEST(write_upgrade_request, a_small_buffer_is_an_error_at_every_size)
{
    upgrade_request req;
    req.host = "example.com";
    const std::string expected = write(req);
    for (std::size_t size = 0; size < expected.size(); ++size) {
        std::vector<char> buf(size);
        auto r = write_upgrade_request(buf, req, sample_key);
        ASSERT_FALSE(r) << size;
        EXPECT_EQ(r.error().code.name(), "buffer_too_small");
        EXPECT_EQ(r.error().expected, std::to_string(expected.size()));
    }
    std::vector<char> exact(expected.size());
    auto r = write_upgrade_request(exact, req, sample_key);
    ASSERT_TRUE(r);
    EXPECT_EQ(std::string(exact.data(), *r), expected);
}

TEST(render_transcript, redacts_secret_values)
{
    const std::array<custom_header, 5> headers = {{{"Authorization", "Bearer abc", false, false},
                                                   {"cookie", "session=s3cr3t", false, false},
                                                   {"X-Api-Key", "k3y", true, false},
                                                   {"Proxy-Authorization", "Basic eA==", false, false},
                                                   {"X-Plain", "visible", false, false}}};
    upgrade_request req;
    req.host = "example.com";
    req.headers = headers;
    auto t = render_transcript(req, sample_key);
    ASSERT_TRUE(t);
    EXPECT_EQ(*t, "GET / HTTP/1.1\n"
                  "Host: example.com\n"
                  "Upgrade: websocket\n"
                  "Connection: Upgrade\n"
                  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\n"
                  "Sec-WebSocket-Version: 13\n"
                  "Authorization: <redacted>\n"
                  "cookie: <redacted>\n"
                  "X-Api-Key: <redacted>\n"
                  "Proxy-Authorization: <redacted>\n"
                  "X-Plain: visible\n");
    for (std::string_view secret : {"abc", "s3cr3t", "k3y", "eA=="}) {
        EXPECT_EQ(t->find(secret), std::string::npos) << secret;
    }
    // The written request carries the real values.
    const std::string bytes = write(req);
    EXPECT_NE(bytes.find("Authorization: Bearer abc\r\n"), std::string::npos);
    EXPECT_NE(bytes.find("X-Api-Key: k3y\r\n"), std::string::npos);
}

TEST(render_transcript, a_secret_override_of_an_owned_header_is_redacted_too)
{
    const std::array<custom_header, 1> headers = {{{"Host", "internal.example", true, true}}};
    upgrade_request req;
    req.host = "example.com";
    req.headers = headers;
    auto t = render_transcript(req, sample_key);
    ASSERT_TRUE(t);
    EXPECT_NE(t->find("Host: <redacted>\n"), std::string::npos);
    EXPECT_EQ(t->find("internal"), std::string::npos);
}

} // namespace
