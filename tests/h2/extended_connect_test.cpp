// RFC 8441 §5 extended CONNECT request shape, header validation, and answer validation.
#include "h2/extended_connect.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using namespace wsp::h2;

connect_request request()
{
    connect_request r;
    r.scheme = "https";
    r.authority = "server.example.com";
    r.path = "/chat?room=1";
    return r;
}

event response(std::vector<header_field> headers)
{
    event e;
    e.kind = event_kind::headers;
    e.stream_id = 1;
    e.headers = std::move(headers);
    return e;
}

TEST(h2_extended_connect, rfc8441_section5_request_shape)
{
    connect_request r = request();
    r.subprotocols = {"chat", "superchat"};
    r.extensions = "permessage-deflate";
    r.origin = "http://www.example.com";
    const auto fields = build_connect_headers(r);
    ASSERT_TRUE(fields.has_value());
    const std::vector<std::pair<std::string, std::string>> expected{
        {":method", "CONNECT"},
        {":protocol", "websocket"},
        {":scheme", "https"},
        {":path", "/chat?room=1"},
        {":authority", "server.example.com"},
        {"sec-websocket-version", "13"},
        {"sec-websocket-protocol", "chat, superchat"},
        {"sec-websocket-extensions", "permessage-deflate"},
        {"origin", "http://www.example.com"},
    };
    ASSERT_EQ(fields->size(), expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) {
        EXPECT_EQ((*fields)[i].name, expected[i].first);
        EXPECT_EQ((*fields)[i].value, expected[i].second);
    }
}

TEST(h2_extended_connect, minimal_request_omits_optional_headers_and_never_has_a_key)
{
    const auto fields = build_connect_headers(request());
    ASSERT_TRUE(fields.has_value());
    EXPECT_EQ(fields->size(), 6U);
    for (const header_field& f : *fields) {
        EXPECT_NE(f.name, "sec-websocket-key");
        EXPECT_NE(f.name, "sec-websocket-accept");
        EXPECT_NE(f.name, "sec-websocket-protocol");
        EXPECT_NE(f.name, "origin");
    }
}

TEST(h2_extended_connect, custom_header_names_are_lowercased)
{
    connect_request r = request();
    r.headers = {{"X-Probe-Id", "Abc"}, {"authorization", "Bearer t"}};
    const auto fields = build_connect_headers(r);
    ASSERT_TRUE(fields.has_value());
    ASSERT_EQ(fields->size(), 8U);
    EXPECT_EQ((*fields)[6].name, "x-probe-id");
    EXPECT_EQ((*fields)[6].value, "Abc");
    EXPECT_EQ((*fields)[7].name, "authorization");
}

TEST(h2_extended_connect, http_scheme_is_allowed)
{
    connect_request r = request();
    r.scheme = "http";
    const auto fields = build_connect_headers(r);
    ASSERT_TRUE(fields.has_value());
    EXPECT_EQ((*fields)[2].value, "http");
}

struct bad_request_case {
    const char* label;
    void (*mutate)(connect_request&);
    errc expected;
};

TEST(h2_extended_connect, invalid_requests_fail_with_their_own_code)
{
    const bad_request_case cases[] = {
        {"wss scheme", [](connect_request& r) { r.scheme = "wss"; }, errc::invalid_scheme},
        {"empty scheme", [](connect_request& r) { r.scheme = ""; }, errc::invalid_scheme},
        {"relative path", [](connect_request& r) { r.path = "chat"; }, errc::invalid_path},
        {"empty path", [](connect_request& r) { r.path = ""; }, errc::invalid_path},
        {"path with space", [](connect_request& r) { r.path = "/a b"; }, errc::invalid_path},
        {"path with fragment", [](connect_request& r) { r.path = "/a#b"; }, errc::invalid_path},
        {"empty authority", [](connect_request& r) { r.authority = ""; }, errc::invalid_authority},
        {"userinfo", [](connect_request& r) { r.authority = "user@host"; }, errc::invalid_authority},
        {"slash in authority", [](connect_request& r) { r.authority = "host/x"; }, errc::invalid_authority},
        {"subprotocol with space", [](connect_request& r) { r.subprotocols = {"a b"}; },
         errc::invalid_subprotocol},
        {"empty subprotocol", [](connect_request& r) { r.subprotocols = {""}; }, errc::invalid_subprotocol},
        {"repeated subprotocol",
         [](connect_request& r) {
             r.subprotocols = {"chat", "x", "chat"};
         },
         errc::invalid_subprotocol},
        {"extensions with CRLF", [](connect_request& r) { r.extensions = "a\r\nb"; }, errc::invalid_header},
        {"origin with trailing space", [](connect_request& r) { r.origin = "http://a "; },
         errc::invalid_header},
        {"connection",
         [](connect_request& r) {
             r.headers = {{"Connection", "keep-alive"}};
         },
         errc::connection_specific_header},
        {"upgrade",
         [](connect_request& r) {
             r.headers = {{"upgrade", "websocket"}};
         },
         errc::connection_specific_header},
        {"keep-alive",
         [](connect_request& r) {
             r.headers = {{"keep-alive", "5"}};
         },
         errc::connection_specific_header},
        {"proxy-connection",
         [](connect_request& r) {
             r.headers = {{"proxy-connection", "x"}};
         },
         errc::connection_specific_header},
        {"transfer-encoding",
         [](connect_request& r) {
             r.headers = {{"Transfer-Encoding", "chunked"}};
         },
         errc::connection_specific_header},
        {"te other than trailers",
         [](connect_request& r) {
             r.headers = {{"te", "gzip"}};
         },
         errc::connection_specific_header},
        {"sec-websocket-key",
         [](connect_request& r) {
             r.headers = {{"Sec-WebSocket-Key", "dGhl"}};
         },
         errc::reserved_header},
        {"sec-websocket-accept",
         [](connect_request& r) {
             r.headers = {{"sec-websocket-accept", "x"}};
         },
         errc::reserved_header},
        {"duplicate version",
         [](connect_request& r) {
             r.headers = {{"sec-websocket-version", "8"}};
         },
         errc::reserved_header},
        {"host",
         [](connect_request& r) {
             r.headers = {{"host", "a"}};
         },
         errc::reserved_header},
        {"pseudo-header",
         [](connect_request& r) {
             r.headers = {{":protocol", "h3"}};
         },
         errc::reserved_header},
        {"empty name",
         [](connect_request& r) {
             r.headers = {{"", "x"}};
         },
         errc::invalid_header},
        {"name with space",
         [](connect_request& r) {
             r.headers = {{"x probe", "1"}};
         },
         errc::invalid_header},
        {"name with colon",
         [](connect_request& r) {
             r.headers = {{"x:probe", "1"}};
         },
         errc::invalid_header},
        {"value with LF",
         [](connect_request& r) {
             r.headers = {{"x-a", "1\nx-b: 2"}};
         },
         errc::invalid_header},
        {"value with NUL",
         [](connect_request& r) {
             r.headers = {{"x-a", std::string_view("a\0b", 3)}};
         },
         errc::invalid_header},
        {"value with leading tab",
         [](connect_request& r) {
             r.headers = {{"x-a", "\tv"}};
         },
         errc::invalid_header},
    };
    for (const bad_request_case& c : cases) {
        connect_request r = request();
        c.mutate(r);
        const auto fields = build_connect_headers(r);
        ASSERT_FALSE(fields.has_value()) << c.label;
        EXPECT_TRUE(fields.error() == c.expected) << c.label << ": got " << fields.error().name();
        EXPECT_EQ(fields.error().cls(), wsp::failure_class::config) << c.label;
    }
}

TEST(h2_extended_connect, te_trailers_is_allowed)
{
    connect_request r = request();
    r.headers = {{"te", "trailers"}};
    EXPECT_TRUE(build_connect_headers(r).has_value());
}

TEST(h2_connect_response, status_200_is_accepted)
{
    const auto ok = validate_connect_response(response({{":status", "200"}}), request());
    ASSERT_TRUE(ok.has_value());
    EXPECT_EQ(ok->status, 200);
    EXPECT_TRUE(ok->subprotocol.empty());
    EXPECT_TRUE(ok->extensions.empty());
}

TEST(h2_connect_response, any_2xx_is_accepted)
{
    EXPECT_TRUE(validate_connect_response(response({{":status", "204"}}), request()).has_value());
    EXPECT_TRUE(validate_connect_response(response({{":status", "299"}}), request()).has_value());
}

TEST(h2_connect_response, non_2xx_has_its_own_code_and_sentence)
{
    for (const char* status : {"101", "300", "403", "404", "500", "199"}) {
        const auto bad = validate_connect_response(response({{":status", status}}), request());
        ASSERT_FALSE(bad.has_value()) << status;
        EXPECT_TRUE(bad.error().code == errc::unexpected_status);
        EXPECT_EQ(bad.error().message,
                  std::string("Server answered the extended CONNECT with ") + status + "; expected 2xx");
    }
}

TEST(h2_connect_response, missing_or_malformed_status)
{
    for (const char* status : {"", "20", "2000", "abc", "099"}) {
        const auto bad = validate_connect_response(response({{":status", status}}), request());
        ASSERT_FALSE(bad.has_value()) << status;
        EXPECT_TRUE(bad.error().code == errc::missing_status) << status;
    }
    const auto none = validate_connect_response(response({{"server", "x"}}), request());
    ASSERT_FALSE(none.has_value());
    EXPECT_TRUE(none.error().code == errc::missing_status);
    event data;
    data.kind = event_kind::data;
    EXPECT_FALSE(validate_connect_response(data, request()).has_value());
}

TEST(h2_connect_response, subprotocol_rules)
{
    connect_request offered = request();
    offered.subprotocols = {"chat", "superchat"};
    struct row {
        std::vector<header_field> headers;
        const connect_request* req;
        std::string_view asserted;
        errc expected; // ok: accepted
        std::string_view message;
    };
    const connect_request none = request();
    const row rows[] = {
        {{{":status", "200"}, {"sec-websocket-protocol", "chat"}}, &offered, "chat", errc::ok, ""},
        {{{":status", "200"}, {"sec-websocket-protocol", "superchat"}}, &offered, "", errc::ok, ""},
        {{{":status", "200"}}, &offered, "", errc::ok, ""},
        {{{":status", "200"}, {"sec-websocket-protocol", "superchat"}},
         &offered,
         "chat",
         errc::subprotocol_mismatch,
         "Server selected subprotocol \"superchat\"; expected \"chat\""},
        {{{":status", "200"}},
         &offered,
         "chat",
         errc::subprotocol_missing,
         "Server selected no subprotocol; expected \"chat\""},
        {{{":status", "200"}, {"sec-websocket-protocol", "Chat"}},
         &offered,
         "",
         errc::subprotocol_not_offered,
         "Server selected subprotocol \"Chat\", which the client did not offer (offered: chat, superchat)"},
        {{{":status", "200"}, {"sec-websocket-protocol", "chat"}},
         &none,
         "",
         errc::subprotocol_unrequested,
         "Server selected subprotocol \"chat\" though the client offered none"},
        {{{":status", "200"}, {"sec-websocket-protocol", "chat, superchat"}},
         &offered,
         "",
         errc::subprotocol_multiple,
         "Server selected more than one subprotocol; expected at most one"},
        {{{":status", "200"}, {"sec-websocket-protocol", "chat"}, {"sec-websocket-protocol", "chat"}},
         &offered,
         "",
         errc::subprotocol_multiple,
         "Server selected more than one subprotocol; expected at most one"},
    };
    for (const row& r : rows) {
        const auto got = validate_connect_response(response(r.headers), *r.req, r.asserted);
        if (r.expected == errc::ok) {
            ASSERT_TRUE(got.has_value()) << got.error().message;
            continue;
        }
        ASSERT_FALSE(got.has_value()) << r.message;
        EXPECT_TRUE(got.error().code == r.expected) << got.error().code.name();
        EXPECT_EQ(got.error().message, r.message);
        EXPECT_EQ(got.error().code.cls(), wsp::failure_class::handshake);
    }
    const auto chosen = validate_connect_response(
        response({{":status", "200"}, {"sec-websocket-protocol", "superchat"}}), offered);
    ASSERT_TRUE(chosen.has_value());
    EXPECT_EQ(chosen->subprotocol, "superchat");
}

TEST(h2_connect_response, extensions_only_when_offered)
{
    const auto bad = validate_connect_response(
        response({{":status", "200"}, {"sec-websocket-extensions", "permessage-deflate"}}), request());
    ASSERT_FALSE(bad.has_value());
    EXPECT_TRUE(bad.error().code == errc::extension_unrequested);

    connect_request r = request();
    r.extensions = "permessage-deflate; client_max_window_bits";
    const auto ok = validate_connect_response(
        response({{":status", "200"}, {"sec-websocket-extensions", "permessage-deflate"}}), r);
    ASSERT_TRUE(ok.has_value());
    EXPECT_EQ(ok->extensions, "permessage-deflate");
}

TEST(h2_event, status_and_headers)
{
    const event e = response({{":status", "403"}, {"x-a", "1"}, {"x-a", "2"}});
    EXPECT_EQ(status_of(e), 403);
    EXPECT_EQ(find_header(e, "x-a"), "1");
    EXPECT_FALSE(find_header(e, "x-b").has_value());
    EXPECT_EQ(to_string(event_kind::goaway), "goaway");
}

TEST(h2_describe, reset_and_goaway_sentences)
{
    EXPECT_EQ(describe_reset(0x7), "Server reset the stream with REFUSED_STREAM (0x7)");
    EXPECT_EQ(describe_reset(0x42), "Server reset the stream with UNKNOWN_ERROR (0x42)");
    event g;
    g.kind = event_kind::goaway;
    g.error_code = 0xb;
    g.last_stream_id = 3;
    g.debug_data = std::string("slow\x01"
                               "down",
                               9);
    EXPECT_EQ(describe_goaway(g),
              "Server sent GOAWAY with ENHANCE_YOUR_CALM (0xb), last stream 3: slow?down");
}

} // namespace
