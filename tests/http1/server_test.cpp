// Tests for http1/server.cpp: request checks of the server role, and the 101 and plain responses
// it writes, read back with the client's own parser and validator.
#include "http1/server.h"

#include <gtest/gtest.h>

#include <array>
#include <string>
#include <vector>

#include "http1/handshake.h"

namespace {

using namespace wsp::http1;

const std::string good_request = "GET /chat HTTP/1.1\r\n"
                                 "Host: server.example.com\r\n"
                                 "Upgrade: websocket\r\n"
                                 "Connection: Upgrade\r\n"
                                 "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                                 "Sec-WebSocket-Protocol: chat, superchat\r\n"
                                 "Sec-WebSocket-Version: 13\r\n"
                                 "\r\n";

result<client_upgrade> check_request(const std::string& input, std::array<header, 16>& storage)
{
    request_head head;
    auto parsed = parse_request(input, 0, storage, head);
    EXPECT_TRUE(parsed && parsed->complete()) << input;
    return validate_upgrade_request(head);
}

TEST(validate_upgrade_request, accepts_the_rfc_example)
{
    std::array<header, 16> storage{};
    auto r = check_request(good_request, storage);
    ASSERT_TRUE(r) << r.error().sentence;
    EXPECT_EQ(r->target, "/chat");
    EXPECT_EQ(r->key, "dGhlIHNhbXBsZSBub25jZQ==");
    EXPECT_TRUE(r->offers_subprotocol("superchat"));
    EXPECT_FALSE(r->offers_subprotocol("Chat"));
}

TEST(validate_upgrade_request, each_violation_has_its_code_and_answer_status)
{
    struct bad {
        std::string from;
        std::string to;
        std::string error;
        int status;
    };
    const std::vector<bad> cases = {
        {"GET /chat", "POST /chat", "bad_method", 400},
        {"HTTP/1.1\r\nHost", "HTTP/1.0\r\nHost", "bad_http_version", 400},
        {"Host: server.example.com\r\n", "", "missing_host", 400},
        {"Upgrade: websocket\r\n", "", "missing_upgrade_header", 400},
        {"Upgrade: websocket", "Upgrade: h2c", "bad_upgrade_token", 400},
        {"Connection: Upgrade\r\n", "", "missing_connection_header", 400},
        {"Connection: Upgrade", "Connection: close", "bad_connection_token", 400},
        {"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", "", "invalid_key", 400},
        {"dGhlIHNhbXBsZSBub25jZQ==", "dGhlIHNhbXBsZSBub25jZQ", "invalid_key", 400},
        {"Sec-WebSocket-Version: 13", "Sec-WebSocket-Version: 8", "unsupported_ws_version", 426},
        {"Sec-WebSocket-Version: 13\r\n", "", "unsupported_ws_version", 426},
    };
    for (const auto& c : cases) {
        std::string input = good_request;
        const auto at = input.find(c.from);
        ASSERT_NE(at, std::string::npos) << c.from;
        input.replace(at, c.from.size(), c.to);
        std::array<header, 16> storage{};
        auto r = check_request(input, storage);
        ASSERT_FALSE(r) << c.error;
        EXPECT_EQ(r.error().code.name(), c.error);
        EXPECT_EQ(r.error().status, c.status) << c.error;
        EXPECT_FALSE(r.error().sentence.empty());
    }
}

TEST(write_switching_protocols, is_accepted_by_the_client_validator)
{
    std::array<char, 512> buf{};
    const std::array<header, 1> extra = {{{"Sec-WebSocket-Extensions", "permessage-deflate"}}};
    auto n = write_switching_protocols(buf, "dGhlIHNhbXBsZSBub25jZQ==", "chat", extra);
    ASSERT_TRUE(n);
    const std::string text(buf.data(), *n);
    EXPECT_EQ(text, "HTTP/1.1 101 Switching Protocols\r\n"
                    "Upgrade: websocket\r\n"
                    "Connection: Upgrade\r\n"
                    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
                    "Sec-WebSocket-Protocol: chat\r\n"
                    "Sec-WebSocket-Extensions: permessage-deflate\r\n"
                    "\r\n");
    const std::array<std::string_view, 1> protocols = {"chat"};
    const std::array<std::string_view, 1> extensions = {"permessage-deflate"};
    client_offer offer;
    offer.key = "dGhlIHNhbXBsZSBub25jZQ==";
    offer.subprotocols = protocols;
    offer.extensions = extensions;
    std::array<header, 8> storage{};
    auto v = check_upgrade_response(text, 0, storage, offer);
    ASSERT_TRUE(v);
    ASSERT_TRUE(v->has_value());
    EXPECT_EQ((*v)->subprotocol, "chat");
    EXPECT_EQ((*v)->head_length, text.size());
}

TEST(write_switching_protocols, errors)
{
    std::array<char, 64> small{};
    auto tiny = write_switching_protocols(small, "dGhlIHNhbXBsZSBub25jZQ==");
    ASSERT_FALSE(tiny);
    EXPECT_EQ(tiny.error().code.name(), "buffer_too_small");
    std::array<char, 512> buf{};
    EXPECT_EQ(write_switching_protocols(buf, "k", "a b").error().code.name(), "invalid_subprotocol");
    const std::array<header, 1> bad = {{{"X", "a\r\nb"}}};
    EXPECT_EQ(write_switching_protocols(buf, "k", {}, bad).error().code.name(), "invalid_header_value");
}

TEST(write_response, status_headers_and_body)
{
    std::array<char, 512> buf{};
    const std::array<header, 1> location = {{{"Location", "wss://other.example/"}}};
    auto n = write_response(buf, 302, "", location, "moved");
    ASSERT_TRUE(n);
    EXPECT_EQ(std::string(buf.data(), *n), "HTTP/1.1 302 Found\r\n"
                                           "Location: wss://other.example/\r\n"
                                           "Content-Length: 5\r\n"
                                           "\r\n"
                                           "moved");
    // A caller-supplied Content-Length (even a lying one) is kept and not doubled.
    const std::array<header, 1> length = {{{"content-length", "99"}}};
    n = write_response(buf, 599, "Odd", length);
    ASSERT_TRUE(n);
    EXPECT_EQ(std::string(buf.data(), *n), "HTTP/1.1 599 Odd\r\ncontent-length: 99\r\n\r\n");

    EXPECT_EQ(write_response(buf, 99, "", {}).error().code.name(), "invalid_status");
    EXPECT_EQ(write_response(buf, 1000, "", {}).error().code.name(), "invalid_status");
    EXPECT_EQ(write_response(buf, 200, "O\nK", {}).error().code.name(), "invalid_header_value");
    const std::array<header, 1> bad_name = {{{"Bad Name", "x"}}};
    EXPECT_EQ(write_response(buf, 200, "", bad_name).error().code.name(), "invalid_header_name");
    std::array<char, 10> small{};
    EXPECT_EQ(write_response(small, 200, "", {}).error().code.name(), "buffer_too_small");
}

TEST(write_response, round_trips_through_the_parser_and_the_status_sentences)
{
    std::array<char, 256> buf{};
    const std::array<header, 1> retry = {{{"Retry-After", "120"}}};
    auto n = write_response(buf, 429, "", retry);
    ASSERT_TRUE(n);
    client_offer offer;
    offer.key = "dGhlIHNhbXBsZSBub25jZQ==";
    std::array<header, 8> storage{};
    auto v = check_upgrade_response(std::string_view(buf.data(), *n), 0, storage, offer);
    ASSERT_FALSE(v);
    EXPECT_EQ(v.error().code.name(), "too_many_requests");
    EXPECT_NE(v.error().sentence.find("Retry-After: 120"), std::string::npos);
}

} // namespace
