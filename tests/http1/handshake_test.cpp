// Tests for http1/handshake.cpp: every validation failure with its code, class and the key words
// of its sentence; what a valid 101 negotiates; parse errors turned into sentences.
#include "http1/handshake.h"

#include <gtest/gtest.h>

#include <array>
#include <string>
#include <vector>

namespace {

using namespace wsp::http1;

constexpr std::string_view key = "dGhlIHNhbXBsZSBub25jZQ==";
constexpr std::string_view good_accept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

std::string response(std::string_view status_line, std::string_view extra_headers,
                     std::string_view accept_line = "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n")
{
    return std::string(status_line) + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
           std::string(accept_line) + std::string(extra_headers) + "\r\n";
}

// Parses and validates `input` with the offer, expecting a complete head.
result<negotiated> check(const std::string& input, const client_offer& offer)
{
    std::array<header, 32> storage{};
    auto r = check_upgrade_response(input, 0, storage, offer);
    if (!r) {
        return tl::unexpected(r.error());
    }
    EXPECT_TRUE(r->has_value()) << "head incomplete: " << input;
    if (!r->has_value()) {
        return tl::unexpected(make_failure(errc::ok));
    }
    return **r;
}

client_offer plain_offer()
{
    client_offer o;
    o.key = key;
    return o;
}

void expect_failure(const result<negotiated>& r, std::string_view code, wsp::failure_class cls,
                    std::initializer_list<std::string_view> words)
{
    ASSERT_FALSE(r) << "expected " << code;
    EXPECT_EQ(r.error().code.name(), code);
    EXPECT_EQ(r.error().code.cls(), cls) << code;
    for (std::string_view w : words) {
        EXPECT_NE(r.error().sentence.find(w), std::string::npos)
            << "'" << w << "' not in: " << r.error().sentence;
    }
}

using fc = wsp::failure_class;

TEST(validate_upgrade_response, minimal_valid_101)
{
    const std::string input = response("HTTP/1.1 101 Switching Protocols", "");
    auto r = check(input, plain_offer());
    ASSERT_TRUE(r) << r.error().sentence;
    EXPECT_EQ(r->head_length, input.size());
    EXPECT_EQ(r->subprotocol, "");
    EXPECT_TRUE(r->extensions().empty());
}

TEST(validate_upgrade_response, frame_bytes_after_the_head_are_counted_out)
{
    const std::string head = response("HTTP/1.1 101 Switching Protocols", "");
    const std::string input = head + "\x81\x02hi";
    auto r = check(input, plain_offer());
    ASSERT_TRUE(r);
    EXPECT_EQ(r->head_length, head.size());
    EXPECT_EQ(input.substr(r->head_length), "\x81\x02hi");
}

TEST(validate_upgrade_response, tokens_and_names_are_case_insensitive_and_lists_are_split)
{
    const std::string input = "HTTP/1.1 101 Switching Protocols\r\n"
                              "upgrade: WebSocket\r\n"
                              "CONNECTION: keep-alive, UPGRADE\r\n"
                              "sec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
    EXPECT_TRUE(check(input, plain_offer()));
    const std::string repeated = "HTTP/1.1 101 Switching Protocols\r\n"
                                 "Upgrade: websocket\r\n"
                                 "Connection: keep-alive\r\n"
                                 "Connection: ,upgrade,\r\n"
                                 "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
    EXPECT_TRUE(check(repeated, plain_offer()));
}

TEST(validate_upgrade_response, status_other_than_101)
{
    expect_failure(check("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", plain_offer()), "unexpected_status",
                   fc::handshake, {"Server returned 200; expected 101 Switching Protocols"});
    expect_failure(check("HTTP/1.1 404 Not Found\r\n\r\n", plain_offer()), "unexpected_status", fc::handshake,
                   {"404", "expected 101"});
    expect_failure(
        check("HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 8, 7\r\n\r\n", plain_offer()),
        "unexpected_status", fc::handshake, {"426", "Sec-WebSocket-Version 8, 7"});
}

TEST(validate_upgrade_response, redirects_say_where_and_are_not_followed)
{
    auto r = check("HTTP/1.1 301 Moved Permanently\r\nLocation: wss://new.example/ws\r\n\r\n", plain_offer());
    expect_failure(r, "redirect_not_followed", fc::handshake,
                   {"301", "wss://new.example/ws", "not followed"});
    EXPECT_EQ(r.error().received, "wss://new.example/ws");
    EXPECT_EQ(r.error().status, 301);
    expect_failure(check("HTTP/1.1 307 Temporary Redirect\r\n\r\n", plain_offer()), "redirect_not_followed",
                   fc::handshake, {"307", "without a Location", "not followed"});
}

TEST(validate_upgrade_response, auth_and_origin_refusals)
{
    expect_failure(check("HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer\r\n\r\n", plain_offer()),
                   "unauthorized", fc::handshake, {"401", "credentials", "Authorization"});
    expect_failure(check("HTTP/1.1 403 Forbidden\r\n\r\n", plain_offer()), "forbidden", fc::handshake,
                   {"403", "Origin"});
}

TEST(validate_upgrade_response, rate_limits_quote_retry_after)
{
    auto r = check("HTTP/1.1 429 Too Many Requests\r\nRetry-After: 30\r\n\r\n", plain_offer());
    expect_failure(r, "too_many_requests", fc::handshake, {"429", "Retry-After: 30"});
    EXPECT_EQ(r.error().received, "30");
    expect_failure(check("HTTP/1.1 429 Too Many Requests\r\n\r\n", plain_offer()), "too_many_requests",
                   fc::handshake, {"429", "no Retry-After"});
}

TEST(validate_upgrade_response, server_errors)
{
    for (int s : {500, 502, 503, 599}) {
        expect_failure(check("HTTP/1.1 " + std::to_string(s) + " Oops\r\n\r\n", plain_offer()),
                       "server_error", fc::handshake, {std::to_string(s), "server error"});
    }
}

TEST(validate_upgrade_response, upgrade_header_missing_or_wrong)
{
    const std::string accept = "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n";
    expect_failure(
        check("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n" + accept + "\r\n", plain_offer()),
        "missing_upgrade_header", fc::handshake, {"no Upgrade header", "websocket"});
    auto r =
        check("HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n" + accept + "\r\n",
              plain_offer());
    expect_failure(r, "bad_upgrade_token", fc::handshake, {"Upgrade: h2c", "websocket"});
    EXPECT_EQ(r.error().received, "h2c");
    expect_failure(
        check("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websockets\r\nConnection: Upgrade\r\n" + accept +
                  "\r\n",
              plain_offer()),
        "bad_upgrade_token", fc::handshake, {"websockets"});
}

TEST(validate_upgrade_response, connection_header_missing_or_wrong)
{
    const std::string accept = "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n";
    expect_failure(
        check("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n" + accept + "\r\n", plain_offer()),
        "missing_connection_header", fc::handshake, {"no Connection header", "upgrade"});
    expect_failure(check("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: close\r\n" +
                             accept + "\r\n",
                         plain_offer()),
                   "bad_connection_token", fc::handshake, {"Connection: close", "upgrade"});
    // "upgraded" is not the token "upgrade".
    expect_failure(
        check("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: upgraded\r\n" + accept +
                  "\r\n",
              plain_offer()),
        "bad_connection_token", fc::handshake, {"upgraded"});
}

TEST(validate_upgrade_response, accept_missing_repeated_or_wrong)
{
    auto missing = check(response("HTTP/1.1 101 Switching Protocols", "", ""), plain_offer());
    expect_failure(missing, "missing_accept", fc::handshake,
                   {"no Sec-WebSocket-Accept", std::string(good_accept)});
    EXPECT_EQ(missing.error().expected, good_accept);

    auto wrong = check(response("HTTP/1.1 101 Switching Protocols", "",
                                "Sec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n"),
                       plain_offer());
    expect_failure(
        wrong, "accept_mismatch", fc::handshake,
        {"AAAAAAAAAAAAAAAAAAAAAAAAAAA=", "expected s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", std::string(key)});
    EXPECT_EQ(wrong.error().expected, good_accept);
    EXPECT_EQ(wrong.error().received, "AAAAAAAAAAAAAAAAAAAAAAAAAAA=");

    // Base64 is case-sensitive: a lowered accept is wrong.
    expect_failure(check(response("HTTP/1.1 101 Switching Protocols", "",
                                  "Sec-WebSocket-Accept: s3pplmbitxaq9kygzzhzrbk+xoo=\r\n"),
                         plain_offer()),
                   "accept_mismatch", fc::handshake, {"expected"});

    // The accept for a different key (a proxy or a cache answering someone else).
    expect_failure(check(response("HTTP/1.1 101 Switching Protocols", "",
                                  "Sec-WebSocket-Accept: Kfh9QIsMVZcl6xEPYxPHzW8SZ8w=\r\n"),
                         plain_offer()),
                   "accept_mismatch", fc::handshake, {"different key"});

    expect_failure(
        check(response("HTTP/1.1 101 Switching Protocols", "Sec-WebSocket-Accept: x\r\n"), plain_offer()),
        "multiple_accept_headers", fc::handshake, {"2 Sec-WebSocket-Accept"});
}

TEST(validate_upgrade_response, negotiated_subprotocol_and_extensions)
{
    const std::array<std::string_view, 2> protocols = {"chat", "superchat"};
    const std::array<std::string_view, 2> extensions = {"permessage-deflate; client_max_window_bits",
                                                        "x-custom"};
    client_offer offer = plain_offer();
    offer.subprotocols = protocols;
    offer.extensions = extensions;
    offer.expect_subprotocol = "superchat";
    const std::string input =
        response("HTTP/1.1 101 Switching Protocols",
                 "Sec-WebSocket-Protocol: superchat\r\n"
                 "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover;"
                 " client_max_window_bits=10\r\n"
                 "Sec-WebSocket-Extensions: X-Custom\r\n");
    auto r = check(input, offer);
    ASSERT_TRUE(r) << r.error().sentence;
    EXPECT_EQ(r->subprotocol, "superchat");
    ASSERT_EQ(r->extensions().size(), 2u);
    EXPECT_EQ(r->extensions()[0].name, "permessage-deflate");
    EXPECT_EQ(r->extensions()[0].params, "server_no_context_takeover; client_max_window_bits=10");
    EXPECT_EQ(r->extensions()[1].name, "X-Custom");
    EXPECT_EQ(r->extensions()[1].params, "");
}

TEST(validate_upgrade_response, subprotocol_failures)
{
    const std::array<std::string_view, 2> protocols = {"chat", "superchat"};
    client_offer offer = plain_offer();
    offer.subprotocols = protocols;

    // None selected is fine unless required or asserted.
    EXPECT_TRUE(check(response("HTTP/1.1 101 Switching Protocols", ""), offer));
    offer.require_subprotocol = true;
    expect_failure(check(response("HTTP/1.1 101 Switching Protocols", ""), offer), "subprotocol_missing",
                   fc::handshake, {"no subprotocol", "chat, superchat"});
    offer.require_subprotocol = false;

    expect_failure(
        check(response("HTTP/1.1 101 Switching Protocols", "Sec-WebSocket-Protocol: mqtt\r\n"), offer),
        "subprotocol_not_offered", fc::handshake, {"mqtt", "not offered", "chat, superchat"});
    // Exact match: "Chat" was not offered.
    expect_failure(
        check(response("HTTP/1.1 101 Switching Protocols", "Sec-WebSocket-Protocol: Chat\r\n"), offer),
        "subprotocol_not_offered", fc::handshake, {"Chat"});
    expect_failure(
        check(response("HTTP/1.1 101 Switching Protocols", "Sec-WebSocket-Protocol: chat, superchat\r\n"),
              offer),
        "multiple_subprotocols", fc::handshake, {"2 subprotocols", "at most one"});
    expect_failure(check(response("HTTP/1.1 101 Switching Protocols",
                                  "Sec-WebSocket-Protocol: chat\r\nSec-WebSocket-Protocol: chat\r\n"),
                         offer),
                   "multiple_subprotocols", fc::handshake, {"2 subprotocols"});

    offer.expect_subprotocol = "superchat";
    auto mismatch =
        check(response("HTTP/1.1 101 Switching Protocols", "Sec-WebSocket-Protocol: chat\r\n"), offer);
    expect_failure(mismatch, "subprotocol_mismatch", fc::handshake, {"chat", "expected superchat"});
    EXPECT_EQ(mismatch.error().expected, "superchat");
    EXPECT_EQ(mismatch.error().received, "chat");
    expect_failure(check(response("HTTP/1.1 101 Switching Protocols", ""), offer), "subprotocol_missing",
                   fc::handshake, {"no subprotocol", "expected superchat"});

    client_offer none = plain_offer();
    expect_failure(
        check(response("HTTP/1.1 101 Switching Protocols", "Sec-WebSocket-Protocol: chat\r\n"), none),
        "subprotocol_not_offered", fc::handshake, {"no subprotocols were offered"});
}

TEST(validate_upgrade_response, extension_failures)
{
    const std::array<std::string_view, 1> extensions = {"permessage-deflate"};
    client_offer offer = plain_offer();
    expect_failure(check(response("HTTP/1.1 101 Switching Protocols",
                                  "Sec-WebSocket-Extensions: permessage-deflate\r\n"),
                         offer),
                   "extension_not_offered", fc::handshake,
                   {"permessage-deflate", "no extensions were offered"});
    offer.extensions = extensions;
    expect_failure(check(response("HTTP/1.1 101 Switching Protocols",
                                  "Sec-WebSocket-Extensions: permessage-deflate, x-webkit-deflate-frame\r\n"),
                         offer),
                   "extension_not_offered", fc::handshake,
                   {"x-webkit-deflate-frame", "offered: permessage-deflate"});
    expect_failure(
        check(response("HTTP/1.1 101 Switching Protocols", "Sec-WebSocket-Extensions: ; x=1\r\n"), offer),
        "malformed_extension", fc::handshake, {"; x=1"});
    std::string many;
    for (std::size_t i = 0; i <= max_extensions; ++i) {
        many += "Sec-WebSocket-Extensions: permessage-deflate\r\n";
    }
    expect_failure(check(response("HTTP/1.1 101 Switching Protocols", many), offer), "too_many_extensions",
                   fc::limit, {"more than 8"});
}

TEST(validate_upgrade_response, checks_run_in_rfc_order)
{
    // A 101 with everything wrong reports the Upgrade header first (RFC 6455 §4.1 item 2).
    expect_failure(
        check("HTTP/1.1 101 Switching Protocols\r\nSec-WebSocket-Protocol: x\r\n\r\n", plain_offer()),
        "missing_upgrade_header", fc::handshake, {});
}

TEST(check_upgrade_response, need_more_then_parse_errors_become_sentences)
{
    std::array<header, 8> storage{};
    auto partial = check_upgrade_response("HTTP/1.1 101 Switching", 0, storage, plain_offer());
    ASSERT_TRUE(partial);
    EXPECT_FALSE(partial->has_value());

    auto bad = check_upgrade_response("HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection : Upgrade\r\n\r\n",
                                      0, storage, plain_offer());
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code.name(), "whitespace_before_colon");
    EXPECT_EQ(bad.error().code.cls(), fc::protocol);
    EXPECT_NE(bad.error().sentence.find("line 3"), std::string::npos) << bad.error().sentence;
    EXPECT_NE(bad.error().sentence.find("Connection : Upgrade"), std::string::npos) << bad.error().sentence;

    auto ssh = check_upgrade_response("SSH-2.0-OpenSSH\r\n", 0, storage, plain_offer());
    ASSERT_FALSE(ssh);
    EXPECT_EQ(ssh.error().code.name(), "malformed_status_line");
    EXPECT_NE(ssh.error().sentence.find("SSH-2.0-OpenSSH"), std::string::npos) << ssh.error().sentence;

    auto nul = check_upgrade_response(std::string_view("HTTP/1.1 101 OK\r\nX: \0\r\n\r\n", 25), 0, storage,
                                      plain_offer());
    ASSERT_FALSE(nul);
    EXPECT_EQ(nul.error().code.name(), "invalid_field_value");
    EXPECT_NE(nul.error().sentence.find("\\x00"), std::string::npos) << nul.error().sentence;

    parse_limits small;
    small.max_head_size = 20;
    auto big =
        check_upgrade_response("HTTP/1.1 101 Switching Protocols\r\n", 0, storage, plain_offer(), small);
    ASSERT_FALSE(big);
    EXPECT_EQ(big.error().code.name(), "head_too_large");
    EXPECT_EQ(big.error().code.cls(), fc::limit);
}

} // namespace
