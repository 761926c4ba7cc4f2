// Test support: an h2 client and server session wired back to back in memory, bytes pumped
// between them until both are quiet (RFC 9113 over a loss-free in-process "connection").
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "h2/session.h"

namespace wsp::h2::test {

inline std::span<const std::uint8_t> bytes_of(std::string_view s)
{
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

inline std::string text_of(const std::vector<std::uint8_t>& v) { return std::string(v.begin(), v.end()); }

// A deterministic payload of `n` bytes that differs at every offset modulo 251.
inline std::vector<std::uint8_t> pattern(std::size_t n, std::uint8_t seed = 0)
{
    std::vector<std::uint8_t> out(n);
    for (std::size_t i = 0; i < n; ++i) {
        out[i] = static_cast<std::uint8_t>((i + seed) % 251);
    }
    return out;
}

struct session_pair {
    client_session client;
    server_session server;
    std::vector<event> client_events; // everything the client reported, in order
    std::vector<event> server_events;
    std::size_t client_to_server = 0; // bytes moved so far
    std::size_t server_to_client = 0;
    bool drain_client_events = true; // false: leave client events queued (flow-control tests)

    static session_pair make(const server_options& so = {}, const session_options& co = {})
    {
        auto c = client_session::create(co);
        auto s = server_session::create(so);
        EXPECT_TRUE(c.has_value());
        EXPECT_TRUE(s.has_value());
        return session_pair{std::move(*c), std::move(*s), {}, {}, 0, 0, true};
    }

    // Moves bytes both ways and collects events until neither side has anything to send.
    void pump()
    {
        for (int round = 0; round < 100000; ++round) {
            std::vector<std::uint8_t> up;
            std::vector<std::uint8_t> down;
            ASSERT_TRUE(client.drain_output(up).has_value());
            if (!up.empty()) {
                ASSERT_TRUE(server.feed(up).has_value());
            }
            ASSERT_TRUE(server.drain_output(down).has_value());
            if (!down.empty()) {
                ASSERT_TRUE(client.feed(down).has_value());
            }
            client_to_server += up.size();
            server_to_client += down.size();
            collect();
            if (up.empty() && down.empty()) {
                return;
            }
        }
        FAIL() << "pump did not settle";
    }

    void collect()
    {
        while (auto e = server.next_event()) {
            server_events.push_back(std::move(*e));
        }
        if (drain_client_events) {
            while (auto e = client.next_event()) {
                client_events.push_back(std::move(*e));
            }
        }
    }

    // The first event of `kind` (on `stream_id` unless 0) seen by one side, nullptr when none.
    static const event* find(const std::vector<event>& events, event_kind kind, std::int32_t stream_id = 0)
    {
        for (const event& e : events) {
            if (e.kind == kind && (stream_id == 0 || e.stream_id == stream_id)) {
                return &e;
            }
        }
        return nullptr;
    }

    static std::size_t count(const std::vector<event>& events, event_kind kind)
    {
        std::size_t n = 0;
        for (const event& e : events) {
            n += e.kind == kind ? 1 : 0;
        }
        return n;
    }

    // All DATA bytes one side received on a stream, concatenated.
    static std::vector<std::uint8_t> data_on(const std::vector<event>& events, std::int32_t stream_id)
    {
        std::vector<std::uint8_t> out;
        for (const event& e : events) {
            if (e.kind == event_kind::data && e.stream_id == stream_id) {
                out.insert(out.end(), e.data.begin(), e.data.end());
            }
        }
        return out;
    }

    // Writes `payload` on a stream from one side, pumping whenever the send buffer is full.
    template <class Session>
    void write_all(Session& from, std::int32_t stream_id, const std::vector<std::uint8_t>& payload)
    {
        std::size_t off = 0;
        while (off < payload.size()) {
            const std::size_t room = from.send_buffer_space(stream_id);
            const std::size_t n = std::min(room, payload.size() - off);
            if (n != 0) {
                ASSERT_TRUE(from.write(stream_id, std::span(payload).subspan(off, n)).has_value());
                off += n;
            }
            pump();
        }
    }

    // Handshake helper: settings exchanged, one extended CONNECT opened and accepted.
    std::int32_t open_accepted(const connect_request& req, std::string_view subprotocol = {})
    {
        pump();
        auto id = client.open_websocket(req);
        EXPECT_TRUE(id.has_value()) << (id ? "" : id.error().name());
        pump();
        EXPECT_TRUE(server.accept_websocket(*id, subprotocol).has_value());
        pump();
        return *id;
    }
};

inline connect_request basic_request()
{
    connect_request r;
    r.scheme = "https";
    r.authority = "example.com:443";
    r.path = "/chat";
    return r;
}

} // namespace wsp::h2::test
