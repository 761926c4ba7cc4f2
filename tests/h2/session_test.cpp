// Client session against an in-process server session: RFC 8441 gate on
// SETTINGS_ENABLE_CONNECT_PROTOCOL, extended CONNECT answers, resets, GOAWAY.
#include "h2/session.h"

#include <gtest/gtest.h>

#include "tests/h2/pair.h"

namespace {

using namespace wsp::h2;
using wsp::h2::test::basic_request;
using wsp::h2::test::session_pair;

server_options with_setting(connect_protocol_setting s)
{
    server_options o;
    o.connect_protocol = s;
    return o;
}

TEST(h2_session, setting_on_extended_connect_succeeds_with_exact_pseudo_headers)
{
    session_pair p = session_pair::make(with_setting(connect_protocol_setting::enabled));
    p.pump();
    const event* settings = session_pair::find(p.client_events, event_kind::settings);
    ASSERT_NE(settings, nullptr);
    EXPECT_EQ(settings->enable_connect_protocol, 1U);
    EXPECT_TRUE(p.client.peer_settings_received());
    EXPECT_EQ(p.client.peer_connect_protocol(), 1U);

    connect_request req = basic_request();
    req.path = "/chat?room=7";
    req.subprotocols = {"chat", "superchat"};
    req.origin = "https://example.com";
    req.headers = {{"X-Probe", "wsprobe"}};
    const auto id = p.client.open_websocket(req);
    ASSERT_TRUE(id.has_value()) << id.error().name();
    EXPECT_EQ(*id, 1);
    p.pump();

    const event* request = session_pair::find(p.server_events, event_kind::headers, *id);
    ASSERT_NE(request, nullptr);
    const std::vector<std::pair<std::string, std::string>> expected{
        {":method", "CONNECT"},
        {":protocol", "websocket"},
        {":scheme", "https"},
        {":path", "/chat?room=7"},
        {":authority", "example.com:443"},
        {"sec-websocket-version", "13"},
        {"sec-websocket-protocol", "chat, superchat"},
        {"origin", "https://example.com"},
        {"x-probe", "wsprobe"},
    };
    ASSERT_EQ(request->headers.size(), expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) {
        EXPECT_EQ(request->headers[i].name, expected[i].first);
        EXPECT_EQ(request->headers[i].value, expected[i].second);
    }
    EXPECT_FALSE(find_header(*request, "sec-websocket-key").has_value());
    // The request leaves the stream open for DATA: no END_STREAM from the client.
    EXPECT_EQ(session_pair::find(p.server_events, event_kind::end_of_stream, *id), nullptr);

    ASSERT_TRUE(p.server.accept_websocket(*id, "chat").has_value());
    p.pump();
    const event* answer = session_pair::find(p.client_events, event_kind::headers, *id);
    ASSERT_NE(answer, nullptr);
    EXPECT_EQ(status_of(*answer), 200);
    const auto accepted = validate_connect_response(*answer, req, "chat");
    ASSERT_TRUE(accepted.has_value()) << accepted.error().message;
    EXPECT_EQ(accepted->subprotocol, "chat");
    EXPECT_EQ(session_pair::find(p.client_events, event_kind::end_of_stream, *id), nullptr);
    EXPECT_TRUE(p.client.is_alive());
}

void expect_refused(connect_protocol_setting setting, std::optional<std::uint32_t> carried)
{
    session_pair p = session_pair::make(with_setting(setting));
    p.pump();
    const event* settings = session_pair::find(p.client_events, event_kind::settings);
    ASSERT_NE(settings, nullptr);
    EXPECT_EQ(settings->enable_connect_protocol, carried);
    EXPECT_EQ(p.client.peer_connect_protocol(), 0U);

    const std::size_t sent_before = p.client_to_server;
    const auto id = p.client.open_websocket(basic_request());
    ASSERT_FALSE(id.has_value());
    EXPECT_TRUE(id.error() == errc::connect_protocol_not_enabled) << id.error().name();
    EXPECT_EQ(id.error().cls(), wsp::failure_class::handshake);
    p.pump();
    // Nothing was sent for it: the server saw no request and the client wrote no bytes.
    EXPECT_EQ(session_pair::count(p.server_events, event_kind::headers), 0U);
    EXPECT_EQ(p.client_to_server, sent_before);
}

TEST(h2_session, setting_zero_refuses_extended_connect)
{
    expect_refused(connect_protocol_setting::disabled, 0U);
}

TEST(h2_session, setting_absent_refuses_extended_connect)
{
    expect_refused(connect_protocol_setting::absent, std::nullopt);
}

TEST(h2_session, connect_before_peer_settings_is_refused)
{
    session_pair p = session_pair::make();
    const auto id = p.client.open_websocket(basic_request());
    ASSERT_FALSE(id.has_value());
    EXPECT_TRUE(id.error() == errc::settings_not_received);
    EXPECT_FALSE(p.client.peer_settings_received());
}

TEST(h2_session, non_2xx_status_is_reported)
{
    session_pair p = session_pair::make();
    p.pump();
    const connect_request req = basic_request();
    const auto id = p.client.open_websocket(req);
    ASSERT_TRUE(id.has_value());
    p.pump();
    const std::array<header_view, 1> extra{{{"Content-Type", "text/plain"}}};
    ASSERT_TRUE(p.server.respond(*id, 403, extra, true).has_value());
    p.pump();
    const event* answer = session_pair::find(p.client_events, event_kind::headers, *id);
    ASSERT_NE(answer, nullptr);
    EXPECT_EQ(find_header(*answer, "content-type"), "text/plain");
    const auto verdict = validate_connect_response(*answer, req);
    ASSERT_FALSE(verdict.has_value());
    EXPECT_TRUE(verdict.error().code == errc::unexpected_status);
    EXPECT_EQ(verdict.error().message, "Server answered the extended CONNECT with 403; expected 2xx");
    EXPECT_NE(session_pair::find(p.client_events, event_kind::end_of_stream, *id), nullptr);
}

TEST(h2_session, subprotocol_assertion_against_server_choice)
{
    session_pair p = session_pair::make();
    connect_request req = basic_request();
    req.subprotocols = {"chat", "superchat"};
    const std::int32_t id = p.open_accepted(req, "superchat");
    const event* answer = session_pair::find(p.client_events, event_kind::headers, id);
    ASSERT_NE(answer, nullptr);
    const auto mismatch = validate_connect_response(*answer, req, "chat");
    ASSERT_FALSE(mismatch.has_value());
    EXPECT_TRUE(mismatch.error().code == errc::subprotocol_mismatch);
    EXPECT_EQ(mismatch.error().message, "Server selected subprotocol \"superchat\"; expected \"chat\"");
    const auto chosen = validate_connect_response(*answer, req, "superchat");
    ASSERT_TRUE(chosen.has_value());
    EXPECT_EQ(chosen->subprotocol, "superchat");

    // The lab can also select what was never offered.
    const std::int32_t other = p.open_accepted(req, "mqtt");
    const auto not_offered =
        validate_connect_response(*session_pair::find(p.client_events, event_kind::headers, other), req);
    ASSERT_FALSE(not_offered.has_value());
    EXPECT_TRUE(not_offered.error().code == errc::subprotocol_not_offered);
}

TEST(h2_session, server_reset_reaches_the_client_with_its_code)
{
    session_pair p = session_pair::make();
    p.pump();
    const auto id = p.client.open_websocket(basic_request());
    ASSERT_TRUE(id.has_value());
    p.pump();
    ASSERT_TRUE(p.server.reset_stream(*id, refused_stream).has_value());
    p.pump();
    const event* reset = session_pair::find(p.client_events, event_kind::stream_reset, *id);
    ASSERT_NE(reset, nullptr);
    EXPECT_FALSE(reset->local);
    EXPECT_EQ(reset->error_code, refused_stream);
    EXPECT_EQ(error_code_name(reset->error_code), "REFUSED_STREAM");
    EXPECT_EQ(describe_reset(reset->error_code), "Server reset the stream with REFUSED_STREAM (0x7)");
    const event* closed = session_pair::find(p.client_events, event_kind::stream_closed, *id);
    ASSERT_NE(closed, nullptr);
    EXPECT_EQ(closed->error_code, refused_stream);
    // The server reports what it sent.
    const event* sent = session_pair::find(p.server_events, event_kind::stream_reset, *id);
    ASSERT_NE(sent, nullptr);
    EXPECT_TRUE(sent->local);
    // A reset stream takes no more data.
    const auto w = p.client.write(*id, wsp::h2::test::bytes_of("x"));
    ASSERT_FALSE(w.has_value());
    EXPECT_TRUE(w.error() == errc::unknown_stream || w.error() == errc::stream_closed) << w.error().name();
}

TEST(h2_session, client_cancel_reaches_the_server)
{
    session_pair p = session_pair::make();
    const std::int32_t id = p.open_accepted(basic_request());
    ASSERT_TRUE(p.client.reset_stream(id).has_value());
    p.pump();
    const event* reset = session_pair::find(p.server_events, event_kind::stream_reset, id);
    ASSERT_NE(reset, nullptr);
    EXPECT_EQ(reset->error_code, cancel);
    EXPECT_EQ(error_code_name(reset->error_code), "CANCEL");
    EXPECT_NE(session_pair::find(p.server_events, event_kind::stream_closed, id), nullptr);
    EXPECT_NE(session_pair::find(p.client_events, event_kind::stream_closed, id), nullptr);
}

TEST(h2_session, goaway_reaches_the_client_and_blocks_new_streams)
{
    session_pair p = session_pair::make();
    const std::int32_t id = p.open_accepted(basic_request());
    ASSERT_TRUE(p.server.send_goaway(enhance_your_calm, "slow down").has_value());
    p.pump();
    const event* g = session_pair::find(p.client_events, event_kind::goaway);
    ASSERT_NE(g, nullptr);
    EXPECT_FALSE(g->local);
    EXPECT_EQ(g->error_code, enhance_your_calm);
    EXPECT_EQ(error_code_name(g->error_code), "ENHANCE_YOUR_CALM");
    EXPECT_EQ(g->last_stream_id, id);
    EXPECT_EQ(g->debug_data, "slow down");
    EXPECT_EQ(describe_goaway(*g),
              "Server sent GOAWAY with ENHANCE_YOUR_CALM (0xb), last stream 1: slow down");

    const auto again = p.client.open_websocket(basic_request());
    ASSERT_FALSE(again.has_value());
    EXPECT_TRUE(again.error() == errc::goaway);
}

TEST(h2_session, peer_protocol_violation_is_answered_with_goaway)
{
    auto client = client_session::create();
    ASSERT_TRUE(client.has_value());
    std::vector<std::uint8_t> out;
    ASSERT_TRUE(client->drain_output(out).has_value());
    // RFC 9113 §3.4: the server preface must be a SETTINGS frame; this is a PING instead.
    const std::uint8_t ping[] = {0, 0, 8, 6, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8};
    ASSERT_TRUE(client->feed(ping).has_value());
    out.clear();
    ASSERT_TRUE(client->drain_output(out).has_value());
    EXPECT_FALSE(out.empty());
    std::optional<event> e;
    bool saw_goaway = false;
    while ((e = client->next_event())) {
        if (e->kind == event_kind::goaway) {
            saw_goaway = true;
            EXPECT_TRUE(e->local);
            EXPECT_EQ(e->error_code, protocol_error);
        }
    }
    EXPECT_TRUE(saw_goaway);
    EXPECT_FALSE(client->is_alive());
}

TEST(h2_session, request_overtaken_by_goaway_closes_as_refused)
{
    session_pair p = session_pair::make();
    p.pump();
    // The request is queued but not yet sent when the server's GOAWAY arrives.
    const auto id = p.client.open_websocket(basic_request());
    ASSERT_TRUE(id.has_value());
    ASSERT_TRUE(p.client.write(*id, wsp::h2::test::bytes_of("queued")).has_value());
    ASSERT_TRUE(p.server.send_goaway(no_error).has_value());
    std::vector<std::uint8_t> down;
    ASSERT_TRUE(p.server.drain_output(down).has_value());
    ASSERT_TRUE(p.client.feed(down).has_value());
    p.pump();
    // RFC 9113 §6.8: streams above the GOAWAY's last stream id were not processed.
    EXPECT_EQ(session_pair::count(p.server_events, event_kind::headers), 0U);
    const event* closed = session_pair::find(p.client_events, event_kind::stream_closed, *id);
    ASSERT_NE(closed, nullptr);
    EXPECT_EQ(closed->error_code, refused_stream);
    EXPECT_EQ(p.client.send_buffer_size(*id), 0U); // its state is gone with the closed event
}

TEST(h2_session, reset_before_the_request_left_cancels_it_silently)
{
    session_pair p = session_pair::make();
    p.pump();
    const std::size_t sent_before = p.client_to_server;
    const auto id = p.client.open_websocket(basic_request());
    ASSERT_TRUE(id.has_value());
    ASSERT_TRUE(p.client.reset_stream(*id).has_value());
    p.pump();
    EXPECT_EQ(p.client_to_server, sent_before);
    EXPECT_EQ(session_pair::count(p.server_events, event_kind::headers), 0U);
    const event* closed = session_pair::find(p.client_events, event_kind::stream_closed, *id);
    ASSERT_NE(closed, nullptr);
    EXPECT_EQ(closed->error_code, cancel);
}

void expect_server_rejects_protocol(connect_protocol_setting setting)
{
    // A client that believes the setting is on (a hand-made SETTINGS with
    // ENABLE_CONNECT_PROTOCOL=1) sends an extended CONNECT to a server that did not enable it.
    auto client = client_session::create();
    ASSERT_TRUE(client.has_value());
    const std::uint8_t settings_on[] = {0, 0, 6, 4, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0, 1};
    ASSERT_TRUE(client->feed(settings_on).has_value());
    ASSERT_TRUE(client->open_websocket(basic_request()).has_value());
    std::vector<std::uint8_t> up;
    ASSERT_TRUE(client->drain_output(up).has_value());

    server_options so;
    so.connect_protocol = setting;
    auto server = server_session::create(so);
    ASSERT_TRUE(server.has_value());
    ASSERT_TRUE(server->feed(up).has_value());
    std::vector<std::uint8_t> down;
    ASSERT_TRUE(server->drain_output(down).has_value());
    bool reset = false;
    while (auto e = server->next_event()) {
        // RFC 8441 §3: :protocol without the setting is malformed; no request reaches the owner.
        EXPECT_NE(e->kind, event_kind::headers);
        if (e->kind == event_kind::stream_reset && e->stream_id == 1) {
            reset = true;
            EXPECT_TRUE(e->local);
            EXPECT_EQ(e->error_code, protocol_error);
        }
    }
    EXPECT_TRUE(reset);
}

TEST(h2_session, server_without_the_setting_resets_extended_connect)
{
    expect_server_rejects_protocol(connect_protocol_setting::absent);
    expect_server_rejects_protocol(connect_protocol_setting::disabled);
}

TEST(h2_session, lab_server_reset_rate_limit_answers_rapid_resets_with_goaway)
{
    server_options so;
    so.reset_burst = 5;
    so.reset_rate = 0;
    session_pair p = session_pair::make(so);
    for (int i = 0; i < 5; ++i) {
        const std::int32_t id = p.open_accepted(basic_request());
        ASSERT_TRUE(p.client.reset_stream(id).has_value());
        p.pump();
    }
    EXPECT_EQ(session_pair::find(p.client_events, event_kind::goaway), nullptr);
    const std::int32_t sixth = p.open_accepted(basic_request());
    ASSERT_TRUE(p.client.reset_stream(sixth).has_value());
    p.pump();
    // The bucket is empty: nghttp2 tears the connection down (CVE-2023-44487 defence).
    const event* g = session_pair::find(p.client_events, event_kind::goaway);
    ASSERT_NE(g, nullptr);
    EXPECT_EQ(g->error_code, internal_error);
    EXPECT_FALSE(p.client.open_websocket(basic_request()).has_value());
}

TEST(h2_session, bad_client_magic_fails_the_server_session)
{
    auto server = server_session::create();
    ASSERT_TRUE(server.has_value());
    const auto r = server->feed(wsp::h2::test::bytes_of("GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
    ASSERT_FALSE(r.has_value());
    EXPECT_TRUE(r.error() == errc::session_error);
    EXPECT_FALSE(server->last_library_error().empty());
    EXPECT_FALSE(server->is_alive());
    const auto again = server->feed(wsp::h2::test::bytes_of("PRI"));
    ASSERT_FALSE(again.has_value());
    EXPECT_TRUE(again.error() == errc::session_error);
    EXPECT_FALSE(server->pending_output().has_value());
}

TEST(h2_session, server_respond_errors)
{
    session_pair p = session_pair::make();
    p.pump();
    const auto id = p.client.open_websocket(basic_request());
    ASSERT_TRUE(id.has_value());
    p.pump();
    const auto low = p.server.respond(*id, 101);
    ASSERT_FALSE(low.has_value());
    EXPECT_TRUE(low.error() == errc::invalid_status);
    EXPECT_FALSE(p.server.respond(*id, 600).has_value());
    const std::array<header_view, 1> bad{{{"connection", "close"}}};
    const auto conn = p.server.respond(*id, 200, bad);
    ASSERT_FALSE(conn.has_value());
    EXPECT_TRUE(conn.error() == errc::connection_specific_header);
    const auto unknown = p.server.respond(77, 200);
    ASSERT_FALSE(unknown.has_value());
    EXPECT_TRUE(unknown.error() == errc::unknown_stream);
    ASSERT_TRUE(p.server.respond(*id, 200).has_value());
    const auto twice = p.server.respond(*id, 200);
    ASSERT_FALSE(twice.has_value());
    EXPECT_TRUE(twice.error() == errc::already_responded);
}

TEST(h2_session, header_validation_failures_send_nothing)
{
    session_pair p = session_pair::make();
    p.pump();
    const std::size_t sent_before = p.client_to_server;
    connect_request key = basic_request();
    key.headers = {{"sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="}};
    connect_request conn = basic_request();
    conn.headers = {{"Connection", "Upgrade"}};
    connect_request crlf = basic_request();
    crlf.headers = {{"x-a", "1\r\nx-b: 2"}};
    connect_request scheme = basic_request();
    scheme.scheme = "wss";
    const std::pair<const connect_request*, errc> cases[] = {
        {&key, errc::reserved_header},
        {&conn, errc::connection_specific_header},
        {&crlf, errc::invalid_header},
        {&scheme, errc::invalid_scheme},
    };
    for (const auto& [req, code] : cases) {
        const auto id = p.client.open_websocket(*req);
        ASSERT_FALSE(id.has_value());
        EXPECT_TRUE(id.error() == code) << id.error().name();
    }
    p.pump();
    EXPECT_EQ(p.client_to_server, sent_before);
    EXPECT_EQ(session_pair::count(p.server_events, event_kind::headers), 0U);
    // The failures consumed no stream id.
    const auto good = p.client.open_websocket(basic_request());
    ASSERT_TRUE(good.has_value());
    EXPECT_EQ(*good, 1);
}

} // namespace
