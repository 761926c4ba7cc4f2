// The lab's HTTP/2 side: RFC 9113 §3.4 preface detection, the RFC 8441 §4-§5 request checks and
// scenario plans (h2_routes), the --h2-connect-protocol flag, and h2c on a real lab server (echo,
// partial and false prefaces, garbage, the idle GOAWAY, shutdown). The conversation itself is
// tested in lab_h2_conversation_test.cpp.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "h2/error.h"
#include "h2/session.h"
#include "lab_test_client.h"
#include "tools/lab/h2_routes.h"
#include "tools/lab/options.h"
#include "tools/lab/scenario.h"

namespace wsp::lab::test {
namespace {

using namespace std::chrono_literals;

std::vector<std::uint8_t> bytes_of(std::string_view s)
{
    return {s.begin(), s.end()};
}

// ---- preface ----

TEST(lab_h2_preface, whole_preface_at_every_length)
{
    const auto p = bytes_of(h2_client_preface);
    for (std::size_t n = 0; n < p.size(); ++n) {
        EXPECT_EQ(match_h2_preface(std::span(p).first(n)), preface_match::partial) << n;
    }
    EXPECT_EQ(match_h2_preface(p), preface_match::full);
    auto more = p;
    more.push_back(0x00); // the client's SETTINGS frame follows at once
    EXPECT_EQ(match_h2_preface(more), preface_match::full);
}

TEST(lab_h2_preface, http1_and_near_misses_are_not_the_preface)
{
    EXPECT_EQ(match_h2_preface(bytes_of("GET /echo HTTP/1.1\r\n")), preface_match::no);
    EXPECT_EQ(match_h2_preface(bytes_of("PRI * HTTP/1.1\r\n\r\n")), preface_match::no);
    EXPECT_EQ(match_h2_preface(bytes_of("PRI * HTTP/2.0\r\n\r\nXX")), preface_match::no);
    EXPECT_EQ(match_h2_preface(bytes_of("P")), preface_match::partial);
    EXPECT_EQ(match_h2_preface(bytes_of("p")), preface_match::no);
}

// ---- plans ----

h2::event request(std::string_view path, std::string_view method = "CONNECT", bool with_protocol = true,
                  std::string_view version = "13", std::string_view offered = {})
{
    h2::event e;
    e.kind = h2::event_kind::headers;
    e.stream_id = 1;
    e.headers.push_back({":method", std::string(method)});
    if (with_protocol) {
        e.headers.push_back({":protocol", "websocket"});
    }
    e.headers.push_back({":scheme", "http"});
    e.headers.push_back({":path", std::string(path)});
    e.headers.push_back({":authority", "127.0.0.1"});
    if (!version.empty()) {
        e.headers.push_back({"sec-websocket-version", std::string(version)});
    }
    if (!offered.empty()) {
        e.headers.push_back({"sec-websocket-protocol", std::string(offered)});
    }
    return e;
}

std::string header_of(const h2_plan& p, std::string_view name)
{
    for (const auto& h : p.headers) {
        if (h.name == name) {
            return h.value;
        }
    }
    return "<none>";
}

TEST(lab_h2_plan, echo_accepts_an_extended_connect_with_200)
{
    const h2_plan p = plan_h2_request(request("/echo"));
    EXPECT_EQ(p.action, h2_action::accept);
    EXPECT_EQ(p.status, 200);
    EXPECT_EQ(p.mode, ws_mode::echo);
    EXPECT_TRUE(p.first_bytes.empty());
    EXPECT_TRUE(p.subprotocol.empty());
    EXPECT_EQ(p.scenario_name, "echo");
    EXPECT_EQ(p.method, "CONNECT");
    EXPECT_EQ(p.path, "/echo");
}

TEST(lab_h2_plan, requests_that_are_not_websocket_connects_are_refused)
{
    const h2_plan get = plan_h2_request(request("/echo", "GET", false));
    EXPECT_EQ(get.action, h2_action::respond);
    EXPECT_EQ(get.status, 400);
    EXPECT_NE(get.body.find("RFC 8441"), std::string::npos);
    EXPECT_EQ(plan_h2_request(request("/echo", "CONNECT", false)).status, 400);
    EXPECT_EQ(plan_h2_request(request("/echo", "CONNECT", true, "")).status, 400);
    const h2_plan v8 = plan_h2_request(request("/echo", "CONNECT", true, "8"));
    EXPECT_EQ(v8.status, 426);
    EXPECT_EQ(header_of(v8, "sec-websocket-version"), "13");
}

TEST(lab_h2_plan, status_redirect_and_unknown_paths_answer_on_the_stream)
{
    const h2_plan s403 = plan_h2_request(request("/status/403"));
    EXPECT_EQ(s403.action, h2_action::respond);
    EXPECT_EQ(s403.status, 403);
    EXPECT_NE(s403.body.find("403"), std::string::npos);
    EXPECT_EQ(header_of(plan_h2_request(request("/status/429")), "retry-after"), "30");
    EXPECT_EQ(header_of(plan_h2_request(request("/status/401")), "www-authenticate"), "Bearer");
    EXPECT_TRUE(plan_h2_request(request("/status/204")).body.empty());
    EXPECT_EQ(plan_h2_request(request("/status/100")).status, 501);
    const h2_plan r = plan_h2_request(request("/redirect?to=/elsewhere"));
    EXPECT_EQ(r.status, 302);
    EXPECT_EQ(header_of(r, "location"), "/elsewhere");
    EXPECT_EQ(plan_h2_request(request("/redirect?to=%0d%0aX:1")).status, 400);
    EXPECT_EQ(plan_h2_request(request("/no-such-path")).status, 404);
    EXPECT_FALSE(plan_h2_request(request("/no-such-path")).routed);
    for (const char* p : {"/bad-accept", "/no-upgrade", "/no-connection", "/garbage"}) {
        EXPECT_EQ(plan_h2_request(request(p)).status, 501) << p;
    }
    // /slow-echo exists over h2 too: accepted, with its delay.
    const h2_plan slow = plan_h2_request(request("/slow-echo?ms=250"));
    EXPECT_EQ(slow.action, h2_action::accept);
    EXPECT_EQ(slow.reply_delay_ms, 250U);
}

TEST(lab_h2_plan, reset_and_goaway_take_their_code_from_the_query)
{
    const h2_plan def = plan_h2_request(request("/h2/reset"));
    EXPECT_EQ(def.action, h2_action::reset);
    EXPECT_EQ(def.error_code, h2::refused_stream);
    EXPECT_EQ(def.scenario_name, "h2_reset");
    EXPECT_EQ(plan_h2_request(request("/h2/reset?code=8")).error_code, h2::cancel);
    EXPECT_EQ(plan_h2_request(request("/h2/reset?x=1&code=0xb")).error_code, h2::enhance_your_calm);
    EXPECT_EQ(plan_h2_request(request("/h2/reset?code=4294967295")).error_code, 0xffffffffU);
    EXPECT_EQ(plan_h2_request(request("/h2/reset?code=4294967296")).error_code, h2::refused_stream);
    EXPECT_EQ(plan_h2_request(request("/h2/reset?code=0x")).error_code, h2::refused_stream);
    EXPECT_EQ(plan_h2_request(request("/reset")).action, h2_action::reset);
    const h2_plan g = plan_h2_request(request("/h2/goaway?code=0"));
    EXPECT_EQ(g.action, h2_action::goaway);
    EXPECT_EQ(g.error_code, h2::no_error);
    EXPECT_EQ(plan_h2_request(request("/h2/goaway")).error_code, h2::internal_error);
    // No WebSocket is opened, so these need no valid extended CONNECT.
    EXPECT_EQ(plan_h2_request(request("/h2/reset", "GET", false)).action, h2_action::reset);
}

TEST(lab_h2_plan, websocket_scenarios_keep_their_meaning)
{
    const h2_plan w = plan_h2_request(request("/welcome?text=hi"));
    EXPECT_EQ(w.first_bytes, (std::vector<std::uint8_t>{0x81, 0x02, 'h', 'i'}));
    const h2_plan c = plan_h2_request(request("/close-after-upgrade?code=4403&reason=no"));
    EXPECT_EQ(c.first_bytes, (std::vector<std::uint8_t>{0x88, 0x04, 0x11, 0x33, 'n', 'o'}));
    EXPECT_EQ(c.mode, ws_mode::await_close);
    EXPECT_EQ(plan_h2_request(request("/oversized-frame")).first_bytes.size(), 10U);
    EXPECT_EQ(plan_h2_request(request("/malformed-frame")).first_bytes.front(), 0xF1);
    EXPECT_EQ(plan_h2_request(request("/silent")).mode, ws_mode::discard);
    EXPECT_EQ(plan_h2_request(request("/blackhole")).mode, ws_mode::discard);
    EXPECT_EQ(plan_h2_request(request("/drop")).mode, ws_mode::drop_on_first);
    EXPECT_EQ(plan_h2_request(request("/slow-upgrade?ms=250")).delay_before_ms, 250U);
    const h2_plan k = plan_h2_request(request("/idle-kill?ms=40"));
    EXPECT_TRUE(k.kill);
    EXPECT_EQ(k.kill_after_ms, 40U);
    EXPECT_EQ(plan_h2_request(request("/subprotocol?select=Chat")).subprotocol, "Chat");
    EXPECT_EQ(plan_h2_request(request("/subprotocol?select=a%01")).status, 400);
    EXPECT_EQ(
        plan_h2_request(request("/echo?subprotocol=first", "CONNECT", true, "13", " a , b")).subprotocol,
        "a");
    EXPECT_EQ(plan_h2_request(request("/echo?subprotocol=first")).subprotocol, "");
}

TEST(lab_h2_plan, app_paths_get_their_app_server_and_subprotocol)
{
    const h2_plan g = plan_h2_request(
        request("/app/graphql-transport-ws?fault=4403", "CONNECT", true, "13", "graphql-transport-ws"));
    EXPECT_EQ(g.action, h2_action::accept);
    EXPECT_EQ(g.mode, ws_mode::app);
    EXPECT_EQ(g.subprotocol, "graphql-transport-ws");
    ASSERT_TRUE(g.app);
    EXPECT_EQ(g.app->protocol, app_protocol::graphql_transport_ws);
    EXPECT_EQ(g.app->fault, "4403");
    // Not offered: nothing selected, as over HTTP/1.1.
    EXPECT_EQ(plan_h2_request(request("/app/graphql-transport-ws")).subprotocol, "");
    EXPECT_EQ(plan_h2_request(request("/app/no-such-protocol")).status, 404);
}

TEST(lab_h2_plan, list_names_the_h2_paths_and_the_flag)
{
    const std::string list = describe_routes();
    EXPECT_NE(list.find("/h2/reset?code=N"), std::string::npos);
    EXPECT_NE(list.find("/h2/goaway?code=N"), std::string::npos);
    EXPECT_NE(list.find("--h2-connect-protocol"), std::string::npos);
    EXPECT_NE(list.find("/echo "), std::string::npos); // the HTTP/1.1 table is still there
}

std::string server_text(std::string_view s)
{
    std::string f;
    f += static_cast<char>(0x81);
    f += static_cast<char>(s.size());
    f += s;
    return f;
}

// ---- flag ----

tl::expected<lab_options, std::string> parse(std::vector<std::string_view> args)
{
    return parse_options(args);
}

TEST(lab_h2_options, connect_protocol_flag)
{
    EXPECT_EQ(parse({})->h2_connect_protocol, h2::connect_protocol_setting::enabled);
    EXPECT_EQ(parse({"--h2-connect-protocol", "on"})->h2_connect_protocol,
              h2::connect_protocol_setting::enabled);
    EXPECT_EQ(parse({"--h2-connect-protocol=off"})->h2_connect_protocol,
              h2::connect_protocol_setting::disabled);
    EXPECT_EQ(parse({"--h2-connect-protocol", "absent"})->h2_connect_protocol,
              h2::connect_protocol_setting::absent);
    const auto bad = parse({"--h2-connect-protocol", "1"});
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().find("--h2-connect-protocol"), std::string::npos);
    EXPECT_FALSE(parse({"--h2-connect-protocol"}));
    EXPECT_NE(usage().find("--h2-connect-protocol on|off|absent"), std::string::npos);
}

// ---- a real lab server ----

// Speaks h2c with prior knowledge to a lab server over a blocking loopback socket.
class h2c_client {
public:
    explicit h2c_client(std::uint16_t port) : sock_(port), session_(h2::client_session::create().value()) {}

    [[nodiscard]] bool connected() const { return sock_.connected(); }

    // Sends pending output, then reads and feeds until `done` or the socket times out or closes.
    template <class Done> bool exchange(Done done)
    {
        for (int round = 0; round < 200; ++round) {
            std::vector<std::uint8_t> up;
            if (!session_.drain_output(up)) {
                return false;
            }
            if (!up.empty() &&
                !sock_.send(std::string_view(reinterpret_cast<const char*>(up.data()), up.size()))) {
                return false;
            }
            while (auto e = session_.next_event()) {
                events_.push_back(std::move(*e));
            }
            if (done()) {
                return true;
            }
            const std::string got = sock_.take_available();
            if (got.empty()) {
                return false;
            }
            if (!session_.feed(std::span(reinterpret_cast<const std::uint8_t*>(got.data()), got.size()))) {
                return false;
            }
        }
        return false;
    }

    [[nodiscard]] bool has(h2::event_kind k, std::int32_t stream) const
    {
        return std::any_of(events_.begin(), events_.end(),
                           [&](const h2::event& e) { return e.kind == k && e.stream_id == stream; });
    }

    h2::client_session& session() { return session_; }
    const std::vector<h2::event>& events() const { return events_; }
    client& socket() { return sock_; }

private:
    client sock_;
    h2::client_session session_;
    std::vector<h2::event> events_;
};

using lab_h2_server = lab_fixture;

TEST_F(lab_h2_server, h2c_prior_knowledge_echoes_on_the_ws_port)
{
    h2c_client c(port());
    ASSERT_TRUE(c.connected());
    ASSERT_TRUE(c.exchange([&] { return c.session().peer_settings_received(); }));
    EXPECT_EQ(c.session().peer_connect_protocol(), 1U);
    h2::connect_request r;
    r.scheme = "http";
    r.authority = "127.0.0.1";
    r.path = "/echo";
    const auto id = c.session().open_websocket(r);
    ASSERT_TRUE(id);
    ASSERT_TRUE(c.exchange([&] { return c.has(h2::event_kind::headers, *id); }));
    const std::string frame = client_frame(0x1, "over h2c");
    ASSERT_TRUE(
        c.session().write(*id, std::span(reinterpret_cast<const std::uint8_t*>(frame.data()), frame.size())));
    ASSERT_TRUE(c.exchange([&] { return c.has(h2::event_kind::data, *id); }));
    std::string echoed;
    for (const auto& e : c.events()) {
        if (e.kind == h2::event_kind::data && e.stream_id == *id) {
            echoed.append(e.data.begin(), e.data.end());
        }
    }
    EXPECT_EQ(echoed, server_text("over h2c"));
    // Then a clean close: close frame answered, END_STREAM, and after our GOAWAY the lab's FIN.
    const std::string close = client_frame(0x8, close_payload(1000));
    ASSERT_TRUE(
        c.session().write(*id, std::span(reinterpret_cast<const std::uint8_t*>(close.data()), close.size())));
    ASSERT_TRUE(c.exchange([&] { return c.has(h2::event_kind::end_of_stream, *id); }));
    ASSERT_TRUE(c.session().send_goaway(h2::no_error));
    (void)c.exchange([] { return false; });
    EXPECT_EQ(c.socket().wait_end(), stream_end::eof);
}

TEST_F(lab_h2_server, a_request_line_that_only_starts_like_the_preface_is_http1)
{
    client c(port());
    ASSERT_TRUE(c.send("PRI * HTTP/1.1\r\nHost: x\r\n\r\n"));
    const std::string head = c.read_head().value_or("");
    EXPECT_EQ(status_of(head), 404) << head;
}

TEST_F(lab_h2_server, a_partial_preface_is_held_to_the_head_bound)
{
    client c(port());
    ASSERT_TRUE(c.send(h2_client_preface.substr(0, 10)));
    EXPECT_EQ(c.wait_end(), stream_end::eof); // head_timeout is 400 ms in the fixture
    EXPECT_EQ(c.buffered(), "");
}

TEST_F(lab_h2_server, garbage_after_the_preface_closes_the_connection)
{
    client c(port());
    std::string junk(h2_client_preface);
    junk += std::string(64, '\xff');
    ASSERT_TRUE(c.send(junk));
    const stream_end end = c.wait_end();
    EXPECT_TRUE(end == stream_end::eof || end == stream_end::reset) << static_cast<int>(end);
    // The lab is still serving HTTP/1.1.
    auto [c2, head] = request("/echo");
    EXPECT_EQ(status_of(head), 101);
}

TEST_F(lab_h2_server, an_idle_connection_gets_goaway_then_fin_after_the_hold_bound)
{
    h2c_client c(port());
    ASSERT_TRUE(c.exchange([&] { return c.session().peer_settings_received(); }));
    // No stream and no byte for hold_timeout (800 ms in the fixture): GOAWAY(NO_ERROR), then FIN.
    (void)c.exchange([] { return false; });
    const auto g = std::find_if(c.events().begin(), c.events().end(),
                                [](const h2::event& e) { return e.kind == h2::event_kind::goaway; });
    ASSERT_NE(g, c.events().end());
    EXPECT_EQ(g->error_code, h2::no_error);
    EXPECT_EQ(c.socket().wait_end(), stream_end::eof);
}

TEST(lab_h2_server_stop, stop_closes_h2_echo_streams_with_1001_and_goaway)
{
    server_config cfg;
    std::string why;
    auto s = server::start(cfg, &why);
    if (!s && s.error() == rt::errc::io_uring_unavailable) {
        GTEST_SKIP() << "io_uring unavailable: " << why;
    }
    ASSERT_TRUE(s) << why;
    h2c_client c((*s)->local_addresses().front().port());
    ASSERT_TRUE(c.exchange([&] { return c.session().peer_settings_received(); }));
    h2::connect_request r;
    r.scheme = "http";
    r.authority = "127.0.0.1";
    r.path = "/echo";
    const auto id = c.session().open_websocket(r);
    ASSERT_TRUE(id);
    ASSERT_TRUE(c.exchange([&] { return c.has(h2::event_kind::headers, *id); }));
    std::thread stopper([&] { (*s)->stop(); });
    (void)c.exchange([&] { return c.has(h2::event_kind::goaway, 0); });
    stopper.join();
    std::string got;
    for (const auto& e : c.events()) {
        if (e.kind == h2::event_kind::data && e.stream_id == *id) {
            got.append(e.data.begin(), e.data.end());
        }
    }
    EXPECT_EQ(got.substr(0, 4), std::string("\x88\x13\x03\xE9", 4)) << "close 1001";
    EXPECT_TRUE(c.has(h2::event_kind::end_of_stream, *id));
    EXPECT_TRUE(c.has(h2::event_kind::goaway, 0));
}

TEST(lab_h2_server_setting, absent_setting_on_a_real_server)
{
    server_config cfg;
    cfg.limits.h2_connect_protocol = h2::connect_protocol_setting::absent;
    std::string why;
    auto s = server::start(cfg, &why);
    if (!s && s.error() == rt::errc::io_uring_unavailable) {
        GTEST_SKIP() << "io_uring unavailable: " << why;
    }
    ASSERT_TRUE(s) << why;
    h2c_client c((*s)->local_addresses().front().port());
    ASSERT_TRUE(c.exchange([&] { return c.session().peer_settings_received(); }));
    const auto settings = std::find_if(c.events().begin(), c.events().end(),
                                       [](const h2::event& e) { return e.kind == h2::event_kind::settings; });
    ASSERT_NE(settings, c.events().end());
    EXPECT_FALSE(settings->enable_connect_protocol);
    h2::connect_request r;
    r.authority = "127.0.0.1";
    EXPECT_EQ(c.session().open_websocket(r).error(), h2::errc::connect_protocol_not_enabled);
}

} // namespace
} // namespace wsp::lab::test
