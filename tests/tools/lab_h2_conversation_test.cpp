// The lab's HTTP/2 conversation (tools/lab/h2_conversation.h) against a real nghttp2 client
// session, back to back without sockets: SETTINGS on/off/absent (RFC 8441 §3), echo over DATA at
// every split (RFC 8441 §5), close, RST_STREAM, a non-2xx answer, GOAWAY, the stream timers, app
// servers, a client that does not read, shutdown and hostile bytes.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "h2/error.h"
#include "h2/session.h"
#include "lab_test_client.h"
#include "tools/lab/h2_conversation.h"

namespace wsp::lab::test {
namespace {

using namespace std::chrono_literals;

std::vector<std::uint8_t> bytes_of(std::string_view s)
{
    return {s.begin(), s.end()};
}

// A lab conversation and an nghttp2 client session wired back to back, with a fake clock.
struct h2_pair {
    explicit h2_pair(h2_limits limits = {})
        : server(h2_conversation::create(limits).value()), client(h2::client_session::create().value())
    {
    }

    // Moves bytes both ways until neither side has anything to say. The client's bytes reach the
    // lab in pieces of `chunk` bytes.
    void pump(std::size_t chunk = std::numeric_limits<std::size_t>::max())
    {
        for (int round = 0; round < 1000; ++round) {
            std::vector<std::uint8_t> up;
            std::vector<std::uint8_t> down;
            EXPECT_TRUE(client.drain_output(up));
            for (std::size_t at = 0; at < up.size(); at += chunk) {
                const std::size_t n = std::min(chunk, up.size() - at);
                fed_ok = server.feed(std::span(up).subspan(at, n), now).has_value() && fed_ok;
            }
            (void)server.drain_output(down);
            if (!down.empty()) {
                EXPECT_TRUE(client.feed(down));
            }
            while (auto e = client.next_event()) {
                events.push_back(std::move(*e));
            }
            if (up.empty() && down.empty()) {
                return;
            }
        }
        ADD_FAILURE() << "the sessions never went quiet";
    }

    std::int32_t open(std::string path, std::vector<std::string_view> offered = {})
    {
        pump();
        h2::connect_request r;
        r.scheme = "http";
        r.authority = "127.0.0.1";
        r.path = path;
        r.subprotocols = std::move(offered);
        auto id = client.open_websocket(r);
        EXPECT_TRUE(id) << (id ? "" : std::string(id.error().describe()));
        pump();
        return id.value_or(0);
    }

    void send(std::int32_t stream, std::string_view frames,
              std::size_t chunk = std::numeric_limits<std::size_t>::max())
    {
        const auto* b = reinterpret_cast<const std::uint8_t*>(frames.data());
        ASSERT_TRUE(client.write(stream, std::span(b, frames.size())));
        pump(chunk);
    }

    [[nodiscard]] const h2::event* find(h2::event_kind k, std::int32_t stream) const
    {
        for (const auto& e : events) {
            if (e.kind == k && e.stream_id == stream) {
                return &e;
            }
        }
        return nullptr;
    }

    // Every DATA byte the lab sent on `stream` so far.
    [[nodiscard]] std::string data(std::int32_t stream) const
    {
        std::string out;
        for (const auto& e : events) {
            if (e.kind == h2::event_kind::data && e.stream_id == stream) {
                out.append(e.data.begin(), e.data.end());
            }
        }
        return out;
    }

    h2_conversation server;
    h2::client_session client;
    std::int64_t now = 1'000'000'000;
    std::vector<h2::event> events;
    bool fed_ok = true;
};

std::string server_text(std::string_view s)
{
    std::string f;
    f += static_cast<char>(0x81);
    f += static_cast<char>(s.size());
    f += s;
    return f;
}

TEST(lab_h2_conversation, settings_say_enable_connect_protocol_as_configured)
{
    struct want {
        h2::connect_protocol_setting setting;
        std::optional<std::uint32_t> carried;
    };
    for (const want w :
         {want{h2::connect_protocol_setting::enabled, 1U}, want{h2::connect_protocol_setting::disabled, 0U},
          want{h2::connect_protocol_setting::absent, std::nullopt}}) {
        h2_limits l;
        l.connect_protocol = w.setting;
        h2_pair p(l);
        p.pump();
        const h2::event* s = p.find(h2::event_kind::settings, 0);
        ASSERT_NE(s, nullptr);
        EXPECT_EQ(s->enable_connect_protocol, w.carried);
        EXPECT_EQ(s->max_concurrent_streams, std::optional<std::uint32_t>(8));
        EXPECT_EQ(p.client.peer_connect_protocol(), w.carried.value_or(0));
        EXPECT_FALSE(p.server.finished());
    }
}

TEST(lab_h2_conversation, echo_answers_200_without_accept_and_echoes_frames)
{
    h2_pair p;
    const std::int32_t id = p.open("/echo");
    const h2::event* h = p.find(h2::event_kind::headers, id);
    ASSERT_NE(h, nullptr);
    EXPECT_EQ(h2::status_of(*h), 200);
    // RFC 8441 §5: no Sec-WebSocket-Accept on HTTP/2.
    EXPECT_FALSE(h2::find_header(*h, "sec-websocket-accept"));
    EXPECT_FALSE(h2::find_header(*h, "sec-websocket-protocol"));
    p.send(id, client_frame(0x1, "hello"));
    EXPECT_EQ(p.data(id), server_text("hello"));
    EXPECT_EQ(p.server.open_streams(), 1U);
}

TEST(lab_h2_conversation, echo_is_the_same_at_every_split_and_byte_by_byte)
{
    const std::string frames = client_frame(0x1, "frag", false) + client_frame(0x9, "p1") +
                               client_frame(0x0, "mented", true) + client_frame(0x2, std::string(300, 'x'));
    std::string expected;
    {
        h2_pair p;
        const std::int32_t id = p.open("/echo");
        p.send(id, frames);
        expected = p.data(id);
    }
    const std::string pong = "\x8A\x02p1";
    ASSERT_EQ(expected.substr(0, 4), pong);
    ASSERT_EQ(expected.substr(4, 12), server_text("fragmented"));
    ASSERT_EQ(expected.size(), 4 + 12 + 4 + 300U);
    // The client's DATA reaches the lab split anywhere: inside HTTP/2 frames and WebSocket frames.
    for (std::size_t chunk : {1U, 2U, 3U, 7U, 13U, 64U}) {
        h2_pair p;
        const std::int32_t id = p.open("/echo");
        p.send(id, frames, chunk);
        EXPECT_EQ(p.data(id), expected) << "chunk " << chunk;
    }
    // And as two DATA frames split at every position.
    for (std::size_t cut = 1; cut < frames.size(); ++cut) {
        h2_pair p;
        const std::int32_t id = p.open("/echo");
        p.send(id, std::string_view(frames).substr(0, cut));
        p.send(id, std::string_view(frames).substr(cut));
        EXPECT_EQ(p.data(id), expected) << "cut " << cut;
    }
}

TEST(lab_h2_conversation, close_is_answered_then_end_stream)
{
    h2_pair p;
    const std::int32_t id = p.open("/echo");
    p.send(id, client_frame(0x8, close_payload(1000, "bye")));
    EXPECT_EQ(p.data(id), std::string("\x88\x02\x03\xE8", 4));
    EXPECT_NE(p.find(h2::event_kind::end_of_stream, id), nullptr);
    EXPECT_EQ(p.server.open_streams(), 0U);
}

TEST(lab_h2_conversation, protocol_errors_close_with_1002_and_1009)
{
    h2_pair p;
    const std::int32_t id = p.open("/echo");
    p.send(id, client_frame(0x1, "unmasked", true, false)); // RFC 6455 §5.1: clients mask
    const std::string got = p.data(id);
    ASSERT_GE(got.size(), 4U);
    EXPECT_EQ(static_cast<std::uint8_t>(got[0]), 0x88);
    EXPECT_EQ(got.substr(2, 2), std::string("\x03\xEA", 2)); // 1002
    EXPECT_NE(p.find(h2::event_kind::end_of_stream, id), nullptr);

    h2_limits small;
    small.max_message_size = 100;
    h2_pair q(small);
    const std::int32_t id2 = q.open("/echo");
    q.send(id2, client_frame(0x2, std::string(101, 'y')));
    EXPECT_EQ(q.data(id2).substr(2, 2), std::string("\x03\xF1", 2)); // 1009
}

TEST(lab_h2_conversation, reset_sends_rst_stream_with_the_code)
{
    h2_pair p;
    const std::int32_t id = p.open("/h2/reset?code=8");
    const h2::event* r = p.find(h2::event_kind::stream_reset, id);
    ASSERT_NE(r, nullptr);
    EXPECT_FALSE(r->local);
    EXPECT_EQ(r->error_code, h2::cancel);
    EXPECT_EQ(p.find(h2::event_kind::headers, id), nullptr);
    EXPECT_FALSE(p.server.finished()); // the connection stays usable
    const std::int32_t next = p.open("/echo");
    EXPECT_EQ(h2::status_of(*p.find(h2::event_kind::headers, next)), 200);
}

TEST(lab_h2_conversation, non_2xx_is_a_final_answer_with_a_body)
{
    h2_pair p;
    const std::int32_t id = p.open("/status/403");
    const h2::event* h = p.find(h2::event_kind::headers, id);
    ASSERT_NE(h, nullptr);
    EXPECT_EQ(h2::status_of(*h), 403);
    EXPECT_NE(p.data(id).find("status 403"), std::string::npos);
    EXPECT_NE(p.find(h2::event_kind::end_of_stream, id), nullptr);
}

TEST(lab_h2_conversation, goaway_names_the_code_and_finishes_the_connection)
{
    h2_pair p;
    const std::int32_t id = p.open("/h2/goaway?code=11");
    const h2::event* g = p.find(h2::event_kind::goaway, 0);
    ASSERT_NE(g, nullptr);
    EXPECT_EQ(g->error_code, h2::enhance_your_calm);
    EXPECT_EQ(g->last_stream_id, id);
    EXPECT_EQ(g->debug_data, "wsprobe-lab scenario /h2/goaway");
    EXPECT_EQ(p.find(h2::event_kind::headers, id), nullptr);
    EXPECT_TRUE(p.server.finished());
}

TEST(lab_h2_conversation, welcome_and_subprotocol_over_h2)
{
    h2_pair p;
    const std::int32_t id = p.open("/welcome?text=hey");
    EXPECT_EQ(p.data(id), server_text("hey"));
    const std::int32_t sub = p.open("/echo?subprotocol=first", {"chat", "superchat"});
    EXPECT_EQ(h2::find_header(*p.find(h2::event_kind::headers, sub), "sec-websocket-protocol"),
              std::optional<std::string_view>("chat"));
}

TEST(lab_h2_conversation, close_after_upgrade_waits_for_the_close_then_ends)
{
    h2_pair p;
    const std::int32_t id = p.open("/close-after-upgrade?code=4401&reason=x");
    EXPECT_EQ(p.data(id), std::string("\x88\x03\x11\x31x", 5));
    EXPECT_EQ(p.find(h2::event_kind::end_of_stream, id), nullptr);
    p.send(id, client_frame(0x8, close_payload(4401)));
    EXPECT_NE(p.find(h2::event_kind::end_of_stream, id), nullptr);
    EXPECT_EQ(p.data(id).size(), 5U); // the client's close is not echoed a second time

    // A client that never answers: END_STREAM after close_timeout.
    h2_limits l;
    l.close_timeout = 500ms;
    h2_pair q(l);
    const std::int32_t id2 = q.open("/close-after-upgrade");
    EXPECT_EQ(q.server.next_deadline_ns(), q.now + 500'000'000);
    q.server.on_time(q.now + 499'000'000);
    q.pump();
    EXPECT_EQ(q.find(h2::event_kind::end_of_stream, id2), nullptr);
    q.server.on_time(q.now + 500'000'000);
    q.pump();
    EXPECT_NE(q.find(h2::event_kind::end_of_stream, id2), nullptr);
    EXPECT_EQ(q.server.next_deadline_ns(), h2_conversation::no_deadline);
}

TEST(lab_h2_conversation, slow_upgrade_answers_when_its_timer_is_due)
{
    h2_pair p;
    const std::int32_t id = p.open("/slow-upgrade?ms=300");
    EXPECT_EQ(p.find(h2::event_kind::headers, id), nullptr);
    EXPECT_EQ(p.server.next_deadline_ns(), p.now + 300'000'000);
    p.server.on_time(p.now + 299'999'999);
    p.pump();
    EXPECT_EQ(p.find(h2::event_kind::headers, id), nullptr);
    p.server.on_time(p.now + 300'000'000);
    p.pump();
    ASSERT_NE(p.find(h2::event_kind::headers, id), nullptr);
    p.send(id, client_frame(0x1, "late"));
    EXPECT_EQ(p.data(id), server_text("late"));
}

TEST(lab_h2_conversation, slow_echo_answers_each_message_and_ping_in_turn_then_the_close)
{
    h2_pair p;
    const std::int32_t id = p.open("/slow-echo?ms=300");
    ASSERT_NE(p.find(h2::event_kind::headers, id), nullptr) << "the 200 is not delayed";
    p.send(id, client_frame(0x1, "a"));
    p.send(id, client_frame(0x9, "p") + client_frame(0x1, "b"));
    EXPECT_EQ(p.data(id), "");
    // As the HTTP/1.1 lab: each answer 300 ms after the one before it.
    EXPECT_EQ(p.server.next_deadline_ns(), p.now + 300'000'000);
    p.server.on_time(p.now + 299'999'999);
    p.pump();
    EXPECT_EQ(p.data(id), "");
    p.server.on_time(p.now + 300'000'000);
    p.pump();
    EXPECT_EQ(p.data(id), server_text("a"));
    EXPECT_EQ(p.server.next_deadline_ns(), p.now + 600'000'000);
    // The client's close now: answered only after the replies before it, then END_STREAM.
    p.send(id, client_frame(0x8, close_payload(1000)));
    p.server.on_time(p.now + 600'000'000);
    p.pump();
    EXPECT_EQ(p.data(id), server_text("a") + std::string("\x8A\x01p", 3));
    EXPECT_EQ(p.find(h2::event_kind::end_of_stream, id), nullptr);
    p.server.on_time(p.now + 900'000'000);
    p.pump();
    EXPECT_EQ(p.data(id), server_text("a") + std::string("\x8A\x01p", 3) + server_text("b") +
                              std::string("\x88\x02\x03\xE8", 4));
    EXPECT_NE(p.find(h2::event_kind::end_of_stream, id), nullptr);
    EXPECT_EQ(p.server.open_streams(), 0U);
    EXPECT_EQ(p.server.next_deadline_ns(), h2_conversation::no_deadline);
}

// An unmasked server frame (payload under 64 KiB).
std::string server_frame(std::uint8_t op, std::string_view payload)
{
    std::string f(1, static_cast<char>(0x80 | op));
    if (payload.size() < 126) {
        f += static_cast<char>(payload.size());
    } else {
        f += static_cast<char>(126);
        f += static_cast<char>(payload.size() >> 8);
        f += static_cast<char>(payload.size() & 0xFF);
    }
    return f += payload;
}

TEST(lab_h2_conversation, slow_echo_keeps_order_at_random_timings_and_splits)
{
    std::mt19937 rng(11);
    for (int round = 0; round < 40; ++round) {
        h2_pair p;
        const std::int32_t id = p.open("/slow-echo?ms=20");
        std::string expect;
        const int k = 1 + static_cast<int>(rng() % 12);
        for (int i = 0; i < k; ++i) {
            const bool ping = rng() % 4 == 0;
            const std::string payload(rng() % (ping ? 126 : 300), static_cast<char>('a' + rng() % 26));
            p.send(id, client_frame(ping ? 0x9 : 0x1, payload), 1 + rng() % 40);
            expect += server_frame(ping ? 0xA : 0x1, payload);
            p.now += static_cast<std::int64_t>(rng() % 30'000'000);
            p.server.on_time(p.now);
            p.pump();
            const std::string got = p.data(id);
            ASSERT_EQ(expect.compare(0, got.size(), got), 0) << "round " << round << ": out of order";
        }
        p.server.on_time(p.now + 20'000'000LL * (k + 1));
        p.pump();
        EXPECT_EQ(p.data(id), expect) << "round " << round;
    }
}

TEST(lab_h2_conversation, slow_echo_bounds_the_replies_it_holds)
{
    h2_pair p;
    const std::int32_t id = p.open("/slow-echo?ms=1000");
    std::string burst;
    for (int i = 0; i < 257; ++i) {
        burst += client_frame(0x1, "x");
    }
    p.send(id, burst);
    const h2::event* rst = p.find(h2::event_kind::stream_reset, id);
    ASSERT_NE(rst, nullptr) << "the 257th waiting reply is one too many";
    EXPECT_EQ(rst->error_code, h2::enhance_your_calm);
    EXPECT_EQ(p.data(id), "");
}

TEST(lab_h2_conversation, idle_kill_ends_the_stream_without_a_close_frame)
{
    h2_pair p;
    const std::int32_t id = p.open("/idle-kill?ms=40");
    p.server.on_time(p.now + 40'000'000);
    p.pump();
    EXPECT_NE(p.find(h2::event_kind::end_of_stream, id), nullptr);
    EXPECT_EQ(p.data(id), "");
}

TEST(lab_h2_conversation, drop_resets_with_cancel_on_the_first_frame)
{
    h2_pair p;
    const std::int32_t id = p.open("/drop");
    EXPECT_NE(p.find(h2::event_kind::headers, id), nullptr);
    p.send(id, client_frame(0x1, "x"));
    const h2::event* r = p.find(h2::event_kind::stream_reset, id);
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(r->error_code, h2::cancel);
    EXPECT_EQ(p.data(id), "");
}

TEST(lab_h2_conversation, app_servers_answer_whole_messages_and_close_with_their_code)
{
    h2_pair p;
    const std::int32_t id = p.open("/app/graphql-transport-ws", {"graphql-transport-ws"});
    EXPECT_EQ(h2::find_header(*p.find(h2::event_kind::headers, id), "sec-websocket-protocol"),
              std::optional<std::string_view>("graphql-transport-ws"));
    const std::string init = R"({"type":"connection_init"})";
    // Fragmented: the app server sees the whole message once.
    p.send(id, client_frame(0x1, init.substr(0, 5), false) + client_frame(0x0, init.substr(5), true));
    EXPECT_NE(p.data(id).find(R"("connection_ack")"), std::string::npos) << p.data(id);
    EXPECT_EQ(static_cast<std::uint8_t>(p.data(id).front()), 0x81);

    h2_pair q;
    const std::int32_t id2 = q.open("/app/graphql-transport-ws?fault=4403", {"graphql-transport-ws"});
    q.send(id2, client_frame(0x1, init));
    const std::string got = q.data(id2);
    ASSERT_GE(got.size(), 4U);
    EXPECT_EQ(static_cast<std::uint8_t>(got[0]), 0x88);
    EXPECT_EQ(got.substr(2, 2), std::string("\x11\x33", 2)); // 4403
    // Then await_close: the client's close ends the stream, bounded by close_timeout otherwise.
    EXPECT_NE(q.server.next_deadline_ns(), h2_conversation::no_deadline);
    q.send(id2, client_frame(0x8, close_payload(4403)));
    EXPECT_NE(q.find(h2::event_kind::end_of_stream, id2), nullptr);
    EXPECT_EQ(q.data(id2), got);
}

TEST(lab_h2_conversation, blackhole_reads_and_never_answers)
{
    h2_pair p;
    const std::int32_t id = p.open("/blackhole");
    p.send(id, client_frame(0x1, "anyone?") + client_frame(0x9, "ping"));
    EXPECT_EQ(p.data(id), "");
    EXPECT_EQ(p.find(h2::event_kind::end_of_stream, id), nullptr);
}

TEST(lab_h2_conversation, a_client_that_does_not_read_gets_enhance_your_calm)
{
    h2_limits l;
    l.max_message_size = 1024;
    h2_pair p(l);
    const std::int32_t id = p.open("/echo");
    // The client takes no events, so it never returns DATA to its windows (no WINDOW_UPDATE):
    // nghttp2 sends DATA up to the client's windows, then the lab's per-stream send buffer
    // (max_message_size + 64 KiB) fills up.
    const std::string frame = client_frame(0x2, std::string(1000, 'z'));
    for (int i = 0; i < 400; ++i) {
        ASSERT_TRUE(
            p.client.write(id, std::span(reinterpret_cast<const std::uint8_t*>(frame.data()), frame.size())));
        std::vector<std::uint8_t> up;
        std::vector<std::uint8_t> down;
        ASSERT_TRUE(p.client.drain_output(up));
        (void)p.server.feed(up, p.now);
        (void)p.server.drain_output(down);
        ASSERT_TRUE(p.client.feed(down));
    }
    bool reset = false;
    while (auto e = p.client.next_event()) {
        reset = reset || (e->kind == h2::event_kind::stream_reset && e->stream_id == id &&
                          e->error_code == h2::enhance_your_calm);
    }
    EXPECT_TRUE(reset);
    EXPECT_EQ(p.server.open_streams(), 0U);
}

TEST(lab_h2_conversation, going_away_closes_echo_streams_with_1001_then_goaway)
{
    h2_pair p;
    const std::int32_t id = p.open("/echo");
    p.server.going_away();
    p.pump();
    EXPECT_EQ(p.data(id).substr(0, 4), std::string("\x88\x13\x03\xE9", 4)); // 1001, "lab shutting down"
    EXPECT_NE(p.find(h2::event_kind::end_of_stream, id), nullptr);
    const h2::event* g = p.find(h2::event_kind::goaway, 0);
    ASSERT_NE(g, nullptr);
    EXPECT_EQ(g->error_code, h2::no_error);
    EXPECT_TRUE(p.server.finished());
}

TEST(lab_h2_conversation, the_clients_goaway_and_end_stream_finish_the_connection)
{
    h2_pair p;
    const std::int32_t id = p.open("/echo");
    ASSERT_TRUE(p.client.end_stream(id));
    p.pump();
    EXPECT_NE(p.find(h2::event_kind::end_of_stream, id), nullptr);
    EXPECT_FALSE(p.server.finished());
    ASSERT_TRUE(p.client.send_goaway(h2::no_error));
    p.pump();
    EXPECT_TRUE(p.server.finished());
}

TEST(lab_h2_conversation, hostile_bytes_fail_the_session_without_crashing)
{
    {
        h2_pair p;
        p.pump();
        // A HEADERS frame on stream 0 is a connection error (RFC 9113 §6.2).
        const std::vector<std::uint8_t> bad{0, 0, 1, 0x1, 0x4, 0, 0, 0, 0, 0x82};
        (void)p.server.feed(bad, p.now);
        std::vector<std::uint8_t> out;
        (void)p.server.drain_output(out);
        EXPECT_TRUE(p.server.finished());
    }
    std::mt19937 rng(6);
    for (int round = 0; round < 300; ++round) {
        auto conv = h2_conversation::create({});
        ASSERT_TRUE(conv);
        std::vector<std::uint8_t> in = bytes_of(h2_client_preface);
        // An empty SETTINGS, then random frames; sometimes valid-looking headers.
        const std::vector<std::uint8_t> settings{0, 0, 0, 0x4, 0, 0, 0, 0, 0};
        in.insert(in.end(), settings.begin(), settings.end());
        const std::size_t n = rng() % 200;
        for (std::size_t i = 0; i < n; ++i) {
            in.push_back(static_cast<std::uint8_t>(rng()));
        }
        (void)conv->feed(in, 0);
        std::vector<std::uint8_t> out;
        (void)conv->drain_output(out);
        conv->on_time(std::numeric_limits<std::int64_t>::max() - 1);
        conv->going_away();
        (void)conv->drain_output(out);
        EXPECT_LE(conv->open_streams(), 8U);
    }
}

} // namespace
} // namespace wsp::lab::test
