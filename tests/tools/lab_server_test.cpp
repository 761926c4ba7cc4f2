// The lab's healthy path on a real server over loopback: the RFC 6455 §4.2 handshake and its
// validation, §5 echo (masked input, fragments, pings), the §7 close handshake with the server
// closing TCP first, the failure closes 1002/1007/1009, plain HTTP answers, the head bounds, 1,000
// concurrent connections and a clean shutdown.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "http1/key.h"
#include "lab_test_client.h"

namespace wsp::lab::test {
namespace {

using namespace std::chrono_literals;
using lab_echo = lab_fixture;

TEST_F(lab_echo, upgrade_answers_101_with_the_rfc_accept_and_no_subprotocol)
{
    auto [c, head] = request("/echo", "Sec-WebSocket-Protocol: chat\r\n");
    EXPECT_EQ(head, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n");
}

TEST_F(lab_echo, accept_follows_the_client_key)
{
    constexpr std::string_view key = "x3JJHMbDL1EzLkh9GBhXDw==";
    auto c = std::make_unique<client>(port());
    ASSERT_TRUE(c->send(upgrade_request("/", {}, key)));
    const std::string head = c->read_head().value_or("");
    EXPECT_EQ(status_of(head), 101);
    EXPECT_EQ(header_value(head, "Sec-WebSocket-Accept"), std::string(http1::compute_accept(key).view()));
    EXPECT_EQ(header_value(head, "Sec-WebSocket-Accept"), "HSmrc0sMlYUkAGmm5OPpG2HaGWk=");
}

TEST_F(lab_echo, first_offered_subprotocol_on_request)
{
    auto [c, head] = request("/echo?subprotocol=first", "Sec-WebSocket-Protocol: graphql-transport-ws, graphql-ws\r\n");
    EXPECT_EQ(status_of(head), 101);
    EXPECT_EQ(header_value(head, "Sec-WebSocket-Protocol"), "graphql-transport-ws");
    auto [c2, head2] = request("/echo?subprotocol=first");
    EXPECT_EQ(status_of(head2), 101);
    EXPECT_FALSE(header_value(head2, "Sec-WebSocket-Protocol"));
}

TEST_F(lab_echo, echoes_masked_text_and_binary_messages)
{
    auto [c, head] = request("/echo");
    ASSERT_EQ(status_of(head), 101);
    ASSERT_TRUE(c->send(client_frame(0x1, "hello")));
    auto f = c->read_frame();
    ASSERT_TRUE(f);
    EXPECT_EQ(f->first, 0x81); // FIN + text, no RSV
    EXPECT_EQ(f->second, 5);   // unmasked (§5.1), length 5
    EXPECT_EQ(f->payload, "hello");
    std::string blob(70'000, '\0');
    for (std::size_t i = 0; i < blob.size(); ++i) {
        blob[i] = static_cast<char>(i * 7);
    }
    ASSERT_TRUE(c->send(client_frame(0x2, blob)));
    f = c->read_frame();
    ASSERT_TRUE(f);
    EXPECT_EQ(f->first, 0x82);
    EXPECT_EQ(f->second, 127); // 64-bit length form for 70,000 bytes
    EXPECT_EQ(f->payload, blob);
}

TEST_F(lab_echo, reassembles_fragments_and_answers_a_ping_between_them)
{
    auto [c, head] = request("/echo");
    ASSERT_EQ(status_of(head), 101);
    ASSERT_TRUE(c->send(client_frame(0x1, "frag", false) + client_frame(0x9, "p1") + client_frame(0x0, "men", false) +
                        client_frame(0x0, "ted", true)));
    auto pong = c->read_frame();
    ASSERT_TRUE(pong);
    EXPECT_EQ(pong->first, 0x8A);
    EXPECT_EQ(pong->payload, "p1");
    auto msg = c->read_frame();
    ASSERT_TRUE(msg);
    EXPECT_EQ(msg->first, 0x81);
    EXPECT_EQ(msg->payload, "fragmented");
}

TEST_F(lab_echo, frames_pipelined_behind_the_request_are_echoed)
{
    auto c = std::make_unique<client>(port());
    ASSERT_TRUE(c->send(upgrade_request("/echo") + client_frame(0x1, "early")));
    ASSERT_EQ(status_of(c->read_head().value_or("")), 101);
    auto f = c->read_frame();
    ASSERT_TRUE(f);
    EXPECT_EQ(f->payload, "early");
}

TEST_F(lab_echo, close_is_answered_with_the_same_code_and_the_server_closes_tcp_first)
{
    auto [c, head] = request("/echo");
    ASSERT_EQ(status_of(head), 101);
    ASSERT_TRUE(c->send(client_frame(0x8, close_payload(4000, "done"))));
    auto f = c->read_frame();
    ASSERT_TRUE(f);
    EXPECT_EQ(f->first, 0x88);
    EXPECT_EQ(f->close_code(), 4000);
    // The client has not closed: EOF here means the server sent its FIN first (§7.1.1).
    EXPECT_EQ(c->wait_end(), stream_end::eof);
    EXPECT_TRUE(c->buffered().empty());

    auto [c2, head2] = request("/echo");
    ASSERT_TRUE(c2->send(client_frame(0x8, "")));
    f = c2->read_frame();
    ASSERT_TRUE(f);
    EXPECT_EQ(f->first, 0x88);
    EXPECT_EQ(f->length, 0U); // an empty close (1005) is answered empty
    EXPECT_EQ(c2->wait_end(), stream_end::eof);
}

struct failing_frame {
    std::string bytes;
    std::uint16_t code;
};

TEST_F(lab_echo, protocol_errors_close_with_1002_1007_and_1009)
{
    const std::string too_big_header = [] {
        std::string h = "\x82\xFF";
        h += std::string("\x00\x00\x00\x00\x00\x20\x00\x00", 8); // 2 MiB announced
        h += "\x01\x02\x03\x04";
        return h;
    }();
    const std::vector<failing_frame> cases{
        {client_frame(0x1, "unmasked", true, false), 1002}, // §5.1
        {client_frame(0x3, "x"), 1002},                     // reserved opcode, §5.2
        {client_frame(0x1, "bad \xC3\x28 utf8"), 1007},     // §8.1
        {too_big_header, 1009},                             // above the 1 MiB limit
    };
    for (const failing_frame& fc : cases) {
        auto [c, head] = request("/echo");
        ASSERT_EQ(status_of(head), 101);
        ASSERT_TRUE(c->send(fc.bytes));
        auto f = c->read_frame();
        ASSERT_TRUE(f) << fc.code;
        EXPECT_EQ(f->first, 0x88);
        EXPECT_EQ(f->close_code(), fc.code);
        EXPECT_EQ(c->wait_end(), stream_end::eof) << fc.code;
    }
}

struct bad_request {
    std::string request;
    int status;
};

TEST_F(lab_echo, invalid_upgrade_requests_are_refused_like_a_real_server)
{
    const std::string key = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
    const std::vector<bad_request> cases{
        {"POST /echo HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" + key +
             "Sec-WebSocket-Version: 13\r\n\r\n",
         400},
        {"GET /echo HTTP/1.0\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" + key +
             "Sec-WebSocket-Version: 13\r\n\r\n",
         400},
        {"GET /echo HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\n" + key + "Sec-WebSocket-Version: 13\r\n\r\n", 400},
        {"GET /echo HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n" + key + "Sec-WebSocket-Version: 13\r\n\r\n", 400},
        {"GET /echo HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Key: short\r\nSec-WebSocket-Version: 13\r\n\r\n",
         400},
        {"GET /echo HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" + key +
             "Sec-WebSocket-Version: 8\r\n\r\n",
         426},
        {"GET / HTTP/1.1\r\nHost: h\r\n\r\n", 400}, // a plain GET
    };
    for (const bad_request& br : cases) {
        client c(port());
        ASSERT_TRUE(c.send(br.request));
        const std::string head = c.read_head().value_or("");
        EXPECT_EQ(status_of(head), br.status) << br.request;
        EXPECT_EQ(header_value(head, "Connection"), "close");
        if (br.status == 426) {
            EXPECT_EQ(header_value(head, "Sec-WebSocket-Version"), "13"); // §4.4
        }
        EXPECT_EQ(c.wait_end(), stream_end::eof);
        EXPECT_EQ(std::to_string(c.buffered().size()), header_value(head, "Content-Length")) << br.request;
    }
}

TEST_F(lab_echo, non_http_requests_get_400_oversized_heads_431_and_unknown_paths_404)
{
    client bad(port());
    ASSERT_TRUE(bad.send("\x16\x03\x01 hello\r\n\r\n")); // a TLS record header, then a line
    EXPECT_EQ(status_of(bad.read_head().value_or("")), 400);

    client big(port());
    ASSERT_TRUE(big.send("GET /echo HTTP/1.1\r\nHost: h\r\nX-Big: " + std::string(20'000, 'a') + "\r\n\r\n"));
    EXPECT_EQ(status_of(big.read_head().value_or("")), 431);

    auto [c, head] = request("/no/such/scenario");
    EXPECT_EQ(status_of(head), 404);
    EXPECT_EQ(c->wait_end(), stream_end::eof);
}

TEST_F(lab_echo, a_client_that_sends_no_request_is_closed_after_the_head_bound)
{
    client c(port());
    ASSERT_TRUE(c.connected());
    const auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(c.wait_end(), stream_end::eof); // fixture bound: 400 ms (default 10 s)
    EXPECT_GE(std::chrono::steady_clock::now() - start, 400ms);
    EXPECT_TRUE(c.buffered().empty());

    client partial(port());
    ASSERT_TRUE(partial.send("GET /echo HTTP/1.1\r\nHost: h\r\n")); // never finishes the head
    EXPECT_EQ(partial.wait_end(), stream_end::eof);
}

TEST(lab_server_config, defaults_match_the_documented_bounds)
{
    const session_limits l;
    EXPECT_EQ(l.head_timeout, 10s);
    EXPECT_EQ(l.close_timeout, 2s);
    EXPECT_EQ(l.max_message_size, 1U << 20);
}

// 1,000 connections upgraded and held at once, each echoing, then a shutdown while they are open:
// every client gets close 1001 and EOF, and the server ends with nothing active (ASan checks leaks).
TEST(lab_server_load, holds_and_echoes_1000_connections_then_shuts_down_cleanly)
{
    server_config cfg;
    cfg.threads = 2;
    std::string why;
    auto s = server::start(cfg, &why);
    if (!s && s.error() == rt::errc::io_uring_unavailable) {
        GTEST_SKIP() << "io_uring unavailable: " << why;
    }
    ASSERT_TRUE(s) << why;
    const std::uint16_t p = (*s)->local_addresses().front().port();
    constexpr int n = 1000;
    std::vector<client> clients;
    clients.reserve(n);
    for (int i = 0; i < n; ++i) {
        clients.emplace_back(p);
        ASSERT_TRUE(clients.back().connected()) << i;
        ASSERT_TRUE(clients.back().send(upgrade_request("/echo")));
    }
    for (int i = 0; i < n; ++i) {
        ASSERT_EQ(status_of(clients[i].read_head().value_or("")), 101) << i;
    }
    for (int i = 0; i < n; ++i) {
        ASSERT_TRUE(clients[i].send(client_frame(0x1, "n" + std::to_string(i))));
    }
    for (int i = 0; i < n; ++i) {
        auto f = clients[i].read_frame();
        ASSERT_TRUE(f) << i;
        EXPECT_EQ(f->payload, "n" + std::to_string(i));
    }
    const server_stats held = (*s)->stats();
    EXPECT_EQ(held.active, static_cast<std::uint64_t>(n));
    EXPECT_EQ(held.upgraded, static_cast<std::uint64_t>(n));
    EXPECT_EQ(held.messages, static_cast<std::uint64_t>(n));
    (*s)->stop();
    EXPECT_EQ((*s)->stats().active, 0U);
    for (int i = 0; i < n; ++i) {
        auto f = clients[i].read_frame();
        ASSERT_TRUE(f) << i;
        EXPECT_EQ(f->close_code(), 1001);
        EXPECT_EQ(clients[i].wait_end(), stream_end::eof) << i;
    }
    (*s)->stop(); // idempotent
}

TEST(lab_server_load, stops_with_connections_still_in_their_request_head)
{
    server_config cfg;
    std::string why;
    auto s = server::start(cfg, &why);
    if (!s && s.error() == rt::errc::io_uring_unavailable) {
        GTEST_SKIP() << "io_uring unavailable: " << why;
    }
    ASSERT_TRUE(s) << why;
    client idle((*s)->local_addresses().front().port());
    client partial((*s)->local_addresses().front().port());
    ASSERT_TRUE(partial.send("GET /slow-upgrade?ms=60000 HTTP/1.1\r\n"));
    client slow((*s)->local_addresses().front().port());
    ASSERT_TRUE(slow.send(upgrade_request("/slow-upgrade?ms=60000")));
    // Stop only once all three were accepted: one still in the kernel's accept queue would be
    // left there by the stop (the listener stays open) and time out instead of seeing EOF.
    for (int i = 0; i < 1000 && (*s)->stats().accepted < 3; ++i) {
        std::this_thread::sleep_for(5ms);
    }
    ASSERT_EQ((*s)->stats().accepted, 3U);
    std::this_thread::sleep_for(50ms); // let the server reach its waits (only orders events)
    (*s)->stop();
    EXPECT_EQ((*s)->stats().active, 0U);
    EXPECT_EQ(idle.wait_end(), stream_end::eof);
    EXPECT_EQ(partial.wait_end(), stream_end::eof);
    EXPECT_EQ(slow.wait_end(), stream_end::eof);
    // The 60 s pre-upgrade wait was cut by the shutdown, not served: no 101 ever went out.
    EXPECT_TRUE(slow.buffered().empty());
}

TEST(lab_server_load, stop_right_after_start_is_clean)
{
    // The stop message can overtake the shard's start on its reactor; every order must end cleanly.
    for (int i = 0; i < 20; ++i) {
        server_config cfg;
        cfg.threads = 2;
        std::string why;
        auto s = server::start(cfg, &why);
        if (!s && s.error() == rt::errc::io_uring_unavailable) {
            GTEST_SKIP() << "io_uring unavailable: " << why;
        }
        ASSERT_TRUE(s) << why;
        (*s)->stop();
        EXPECT_EQ((*s)->stats().active, 0U);
    }
}

} // namespace
} // namespace wsp::lab::test
