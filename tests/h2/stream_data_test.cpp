// DATA on extended CONNECT streams (RFC 9113 §6.1, §5.2 flow control; RFC 8441 §5): round trips,
// windows, back-pressure, END_STREAM, many streams on one session, and chunking of input.
#include "h2/session.h"

#include <gtest/gtest.h>

#include <map>

#include "tests/h2/pair.h"
#include "tests/support/guarded.h"

namespace {

using namespace wsp::h2;
using wsp::h2::test::basic_request;
using wsp::h2::test::bytes_of;
using wsp::h2::test::pattern;
using wsp::h2::test::session_pair;

TEST(h2_data, small_round_trip_both_directions)
{
    session_pair p = session_pair::make();
    const std::int32_t id = p.open_accepted(basic_request());
    ASSERT_TRUE(p.client.write(id, bytes_of("hello from client")).has_value());
    ASSERT_TRUE(p.server.write(id, bytes_of("hello from server")).has_value());
    p.pump();
    EXPECT_EQ(wsp::h2::test::text_of(session_pair::data_on(p.server_events, id)), "hello from client");
    EXPECT_EQ(wsp::h2::test::text_of(session_pair::data_on(p.client_events, id)), "hello from server");
    EXPECT_EQ(p.client.send_buffer_size(id), 0U);
    EXPECT_EQ(p.server.send_buffer_size(id), 0U);
}

void large_round_trip(const session_options& windows, std::size_t size)
{
    server_options so;
    static_cast<session_options&>(so) = windows;
    session_pair p = session_pair::make(so, windows);
    const std::int32_t id = p.open_accepted(basic_request());
    const auto up = pattern(size, 1);
    const auto down = pattern(size, 7);
    p.write_all(p.client, id, up);
    p.write_all(p.server, id, down);
    ASSERT_TRUE(p.client.end_stream(id).has_value());
    ASSERT_TRUE(p.server.end_stream(id).has_value());
    p.pump();
    EXPECT_EQ(session_pair::data_on(p.server_events, id), up);
    EXPECT_EQ(session_pair::data_on(p.client_events, id), down);
    // END_STREAM both ways closes the stream cleanly on both sides.
    EXPECT_NE(session_pair::find(p.server_events, event_kind::end_of_stream, id), nullptr);
    EXPECT_NE(session_pair::find(p.client_events, event_kind::end_of_stream, id), nullptr);
    const event* closed = session_pair::find(p.client_events, event_kind::stream_closed, id);
    ASSERT_NE(closed, nullptr);
    EXPECT_EQ(closed->error_code, no_error);
    EXPECT_NE(session_pair::find(p.server_events, event_kind::stream_closed, id), nullptr);
}

TEST(h2_data, round_trip_beyond_default_windows)
{
    // RFC 9113 §6.9.2: the default windows are 65535; with those, > 64 KiB needs WINDOW_UPDATEs.
    session_options small;
    small.initial_window_size = 65535;
    small.connection_window_size = 65535;
    small.send_buffer_limit = 16 * 1024;
    large_round_trip(small, 300 * 1000 + 17);
}

TEST(h2_data, round_trip_with_default_options) { large_round_trip(session_options{}, 3 * 1024 * 1024 + 5); }

TEST(h2_data, undrained_data_is_bounded_by_the_window)
{
    session_options client_windows;
    client_windows.initial_window_size = 65535;
    client_windows.connection_window_size = 65535;
    session_pair p = session_pair::make(server_options{}, client_windows);
    const std::int32_t id = p.open_accepted(basic_request());
    const std::size_t before = session_pair::data_on(p.client_events, id).size();
    ASSERT_EQ(before, 0U);

    p.drain_client_events = false;
    const auto payload = pattern(200 * 1000, 3);
    ASSERT_TRUE(p.server.write(id, payload).has_value());
    p.pump();
    // Without the owner taking data events, no WINDOW_UPDATE is sent: the server stops at 65535.
    std::size_t queued = 0;
    std::vector<event> held;
    while (auto e = p.client.next_event()) {
        if (e->kind == event_kind::data) {
            queued += e->data.size();
        }
        held.push_back(std::move(*e));
    }
    EXPECT_EQ(queued, 65535U);
    EXPECT_EQ(p.server.send_buffer_size(id), payload.size() - 65535U);
    // Taking the events (done above) released the window; the rest now flows.
    p.drain_client_events = true;
    p.client_events = std::move(held);
    p.pump();
    EXPECT_EQ(session_pair::data_on(p.client_events, id), payload);
}

TEST(h2_data, write_errors)
{
    session_options o;
    o.send_buffer_limit = 1000;
    server_options so;
    static_cast<session_options&>(so) = o;
    session_pair p = session_pair::make(so, o);
    const std::int32_t id = p.open_accepted(basic_request());

    const auto unknown = p.client.write(99, bytes_of("x"));
    ASSERT_FALSE(unknown.has_value());
    EXPECT_TRUE(unknown.error() == errc::unknown_stream);

    const auto big = pattern(1001);
    const auto full = p.client.write(id, big);
    ASSERT_FALSE(full.has_value());
    EXPECT_TRUE(full.error() == errc::send_buffer_full);
    EXPECT_EQ(full.error().cls(), wsp::failure_class::limit);
    EXPECT_EQ(p.client.send_buffer_size(id), 0U); // all or nothing
    ASSERT_TRUE(p.client.write(id, std::span(big).first(1000)).has_value());
    EXPECT_EQ(p.client.send_buffer_space(id), 0U);
    EXPECT_FALSE(p.client.write(id, bytes_of("y")).has_value());
    p.pump();
    EXPECT_EQ(p.client.send_buffer_space(id), 1000U);

    ASSERT_TRUE(p.client.end_stream(id).has_value());
    const auto after_end = p.client.write(id, bytes_of("late"));
    ASSERT_FALSE(after_end.has_value());
    EXPECT_TRUE(after_end.error() == errc::stream_closed);
    EXPECT_FALSE(p.client.end_stream(id).has_value());
    p.pump();
    EXPECT_NE(session_pair::find(p.server_events, event_kind::end_of_stream, id), nullptr);
    EXPECT_EQ(session_pair::data_on(p.server_events, id).size(), 1000U);
}

TEST(h2_data, server_ends_stream_after_response_without_body)
{
    session_pair p = session_pair::make();
    p.pump();
    const auto id = p.client.open_websocket(basic_request());
    ASSERT_TRUE(id.has_value());
    p.pump();
    ASSERT_TRUE(p.server.respond(*id, 404, {}, true).has_value());
    const auto w = p.server.write(*id, bytes_of("x"));
    ASSERT_FALSE(w.has_value());
    EXPECT_TRUE(w.error() == errc::stream_closed);
    p.pump();
    EXPECT_NE(session_pair::find(p.client_events, event_kind::end_of_stream, *id), nullptr);
}

TEST(h2_data, hundred_concurrent_streams_on_one_session)
{
    session_pair p = session_pair::make();
    p.pump();
    std::vector<std::int32_t> ids;
    for (int i = 0; i < 100; ++i) {
        const auto id = p.client.open_websocket(basic_request());
        ASSERT_TRUE(id.has_value()) << i << ": " << id.error().name();
        ids.push_back(*id);
    }
    p.pump();
    ASSERT_EQ(session_pair::count(p.server_events, event_kind::headers), 100U);
    for (std::int32_t id : ids) {
        EXPECT_EQ(id % 2, 1); // RFC 9113 §5.1.1: client streams are odd
        ASSERT_TRUE(p.server.accept_websocket(id).has_value());
    }
    p.pump();
    ASSERT_EQ(session_pair::count(p.client_events, event_kind::headers), 100U);
    // Every stream carries its own payload both ways, interleaved on the one connection.
    for (std::int32_t id : ids) {
        const std::string msg = "ping " + std::to_string(id);
        ASSERT_TRUE(p.client.write(id, bytes_of(msg)).has_value());
        ASSERT_TRUE(p.server.write(id, pattern(5000, static_cast<std::uint8_t>(id))).has_value());
    }
    p.pump();
    for (std::int32_t id : ids) {
        EXPECT_EQ(wsp::h2::test::text_of(session_pair::data_on(p.server_events, id)),
                  "ping " + std::to_string(id));
        EXPECT_EQ(session_pair::data_on(p.client_events, id), pattern(5000, static_cast<std::uint8_t>(id)));
        ASSERT_TRUE(p.client.end_stream(id).has_value());
        ASSERT_TRUE(p.server.end_stream(id).has_value());
    }
    p.pump();
    EXPECT_EQ(session_pair::count(p.client_events, event_kind::stream_closed), 100U);
    EXPECT_EQ(session_pair::count(p.server_events, event_kind::stream_closed), 100U);
}

// Everything the client reports for one input, with DATA chunks merged per stream (how nghttp2
// splits DATA into callbacks depends on how the input was chunked; the bytes must not).
std::string transcript(client_session& c)
{
    std::string out;
    std::map<std::int32_t, std::string> data;
    while (auto e = c.next_event()) {
        if (e->kind == event_kind::data) {
            data[e->stream_id] += wsp::h2::test::text_of(e->data);
            continue;
        }
        out += std::string(to_string(e->kind)) + " " + std::to_string(e->stream_id) + " " +
               std::to_string(e->error_code);
        for (const header_field& h : e->headers) {
            out += " " + h.name + "=" + h.value;
        }
        out += "\n";
    }
    for (const auto& [id, bytes] : data) {
        out += "data " + std::to_string(id) + " " + bytes + "\n";
    }
    return out;
}

TEST(h2_data, server_bytes_give_the_same_events_whole_split_and_bytewise)
{
    // Record one conversation: the server's SETTINGS, then its answer, DATA and END_STREAM.
    session_pair p = session_pair::make();
    std::vector<std::uint8_t> preface;
    ASSERT_TRUE(p.server.drain_output(preface).has_value());
    std::vector<std::uint8_t> hello;
    ASSERT_TRUE(p.client.drain_output(hello).has_value());
    ASSERT_TRUE(p.server.feed(hello).has_value());
    ASSERT_TRUE(p.client.feed(preface).has_value());
    auto id = p.client.open_websocket(basic_request());
    ASSERT_TRUE(id.has_value());
    std::vector<std::uint8_t> request;
    ASSERT_TRUE(p.client.drain_output(request).has_value());
    ASSERT_TRUE(p.server.feed(request).has_value());
    while (p.server.next_event()) {
    }
    ASSERT_TRUE(p.server.accept_websocket(*id, "").has_value());
    ASSERT_TRUE(p.server.write(*id, bytes_of("server says hi, twice: server says hi")).has_value());
    ASSERT_TRUE(p.server.end_stream(*id).has_value());
    std::vector<std::uint8_t> answer;
    ASSERT_TRUE(p.server.drain_output(answer).has_value());
    ASSERT_GT(answer.size(), 20U);

    auto run = [&](const std::vector<std::size_t>& cuts) {
        auto c = client_session::create();
        EXPECT_TRUE(c.has_value());
        std::vector<std::uint8_t> sink;
        EXPECT_TRUE(c->drain_output(sink).has_value());
        EXPECT_TRUE(c->feed(preface).has_value());
        EXPECT_TRUE(c->open_websocket(basic_request()).has_value());
        EXPECT_TRUE(c->drain_output(sink).has_value());
        std::size_t from = 0;
        for (std::size_t to : cuts) {
            wsp::test::guarded_buffer chunk(answer.data() + from, to - from);
            EXPECT_TRUE(c->feed(chunk.span()).has_value());
            from = to;
        }
        return transcript(*c);
    };
    const std::string whole = run({answer.size()});
    EXPECT_NE(whole.find("headers 1 0 :status=200"), std::string::npos) << whole;
    EXPECT_NE(whole.find("data 1 server says hi, twice: server says hi"), std::string::npos) << whole;
    EXPECT_NE(whole.find("end_of_stream 1"), std::string::npos) << whole;
    for (std::size_t cut = 1; cut < answer.size(); ++cut) {
        EXPECT_EQ(run({cut, answer.size()}), whole) << "split at " << cut;
    }
    std::vector<std::size_t> bytewise;
    for (std::size_t i = 1; i <= answer.size(); ++i) {
        bytewise.push_back(i);
    }
    EXPECT_EQ(run(bytewise), whole);
}

} // namespace
