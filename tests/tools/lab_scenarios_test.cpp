// Every fault scenario of the lab, byte for byte on a real server over loopback: status answers,
// broken 101s (RFC 6455 §4.2.2), frames that break §5, closes, delays, drops and resets.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "http1/key.h"
#include "lab_test_client.h"

namespace wsp::lab::test {
namespace {

using namespace std::chrono_literals;
using lab_scenario = lab_fixture;
using clock_type = std::chrono::steady_clock;

struct status_case {
    int status;
    std::string_view header;
    std::string_view value;
};

TEST_F(lab_scenario, status_answers_carry_length_close_and_their_headers)
{
    const std::vector<status_case> cases{
        {200, "Content-Type", "text/plain; charset=utf-8"},
        {401, "WWW-Authenticate", "Bearer"},
        {403, "Connection", "close"},
        {429, "Retry-After", "30"},
        {500, "Connection", "close"},
        {503, "Connection", "close"},
    };
    for (const status_case& sc : cases) {
        auto [c, head] = request("/status/" + std::to_string(sc.status));
        EXPECT_EQ(status_of(head), sc.status);
        EXPECT_EQ(header_value(head, sc.header), std::string(sc.value)) << sc.status;
        EXPECT_EQ(header_value(head, "Connection"), "close");
        EXPECT_FALSE(header_value(head, "Sec-WebSocket-Accept"));
        EXPECT_EQ(c->wait_end(), stream_end::eof);
        const auto length = header_value(head, "Content-Length");
        ASSERT_TRUE(length);
        EXPECT_EQ(std::to_string(c->buffered().size()), *length);
        EXPECT_NE(c->buffered().find(std::to_string(sc.status)), std::string::npos);
    }
    auto [c, head] = request("/status/429");
    EXPECT_FALSE(header_value(head, "WWW-Authenticate"));
}

TEST_F(lab_scenario, redirect_sends_302_with_location)
{
    auto [c, head] = request("/redirect?to=%2Fnew%2Fplace");
    EXPECT_EQ(status_of(head), 302);
    EXPECT_EQ(header_value(head, "Location"), "/new/place");
    auto [c2, head2] = request("/redirect?to=%2Fa%0D%0AX-Injected:%201");
    EXPECT_EQ(status_of(head2), 400); // a decoded CR LF never reaches a header
    EXPECT_EQ(head2.find("X-Injected"), std::string::npos);
}

TEST_F(lab_scenario, bad_accept_is_the_accept_of_another_key)
{
    auto [c, head] = request("/bad-accept");
    EXPECT_EQ(status_of(head), 101);
    const auto accept = header_value(head, "Sec-WebSocket-Accept");
    ASSERT_TRUE(accept);
    EXPECT_NE(*accept, sample_accept);
    EXPECT_EQ(accept->size(), 28U); // well-formed base64 of a SHA-1, only wrong
    EXPECT_EQ(header_value(head, "Upgrade"), "websocket");
}

TEST_F(lab_scenario, missing_upgrade_or_connection_header)
{
    auto [c, head] = request("/no-upgrade");
    EXPECT_EQ(head, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n"
                    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n");
    auto [c2, head2] = request("/no-connection");
    EXPECT_EQ(head2, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                     "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n");
}

TEST_F(lab_scenario, subprotocol_is_selected_whatever_was_offered_then_echo)
{
    auto [c, head] = request("/subprotocol?select=GraphQL-WS", "Sec-WebSocket-Protocol: graphql-ws\r\n");
    EXPECT_EQ(status_of(head), 101);
    EXPECT_EQ(header_value(head, "Sec-WebSocket-Protocol"), "GraphQL-WS");
    ASSERT_TRUE(c->send(client_frame(0x1, "still echoes")));
    auto f = c->read_frame();
    ASSERT_TRUE(f);
    EXPECT_EQ(f->payload, "still echoes");
    auto [c2, head2] = request("/subprotocol?select=mqtt");
    EXPECT_EQ(header_value(head2, "Sec-WebSocket-Protocol"), "mqtt"); // never offered
}

TEST_F(lab_scenario, close_after_upgrade_sends_the_code_then_closes_on_the_clients_close)
{
    auto [c, head] = request("/close-after-upgrade?code=4401&reason=token%20scope");
    ASSERT_EQ(status_of(head), 101);
    auto f = c->read_frame();
    ASSERT_TRUE(f);
    EXPECT_EQ(f->first, 0x88);
    EXPECT_EQ(f->close_code(), 4401);
    EXPECT_EQ(f->payload.substr(2), "token scope");
    ASSERT_TRUE(c->send(client_frame(0x8, close_payload(4401))));
    EXPECT_EQ(c->wait_end(), stream_end::eof);
    EXPECT_TRUE(c->buffered().empty()); // no second close frame

    // A client that never answers the close is dropped after the bound (fixture: 500 ms).
    auto [c2, head2] = request("/close-after-upgrade");
    f = c2->read_frame();
    ASSERT_TRUE(f);
    EXPECT_EQ(f->close_code(), 4401);
    EXPECT_EQ(c2->wait_end(), stream_end::eof);
}

TEST_F(lab_scenario, welcome_text_comes_first_then_echo)
{
    auto [c, head] = request("/welcome?text=phx_reply%20ok");
    ASSERT_EQ(status_of(head), 101);
    auto f = c->read_frame();
    ASSERT_TRUE(f);
    EXPECT_EQ(f->first, 0x81);
    EXPECT_EQ(f->payload, "phx_reply ok");
    ASSERT_TRUE(c->send(client_frame(0x1, "join")));
    f = c->read_frame();
    ASSERT_TRUE(f);
    EXPECT_EQ(f->payload, "join");
}

TEST_F(lab_scenario, slow_upgrade_waits_at_least_the_delay)
{
    const auto start = clock_type::now();
    auto [c, head] = request("/slow-upgrade?ms=300");
    EXPECT_GE(clock_type::now() - start, 300ms);
    EXPECT_EQ(status_of(head), 101);
    ASSERT_TRUE(c->send(client_frame(0x1, "after")));
    auto f = c->read_frame();
    ASSERT_TRUE(f);
    EXPECT_EQ(f->payload, "after");
}

TEST_F(lab_scenario, slow_echo_delays_each_reply_and_pong)
{
    auto [c, head] = request("/slow-echo?ms=200");
    ASSERT_EQ(status_of(head), 101);
    auto start = clock_type::now();
    ASSERT_TRUE(c->send(client_frame(0x1, "tick")));
    auto f = c->read_frame();
    EXPECT_GE(clock_type::now() - start, 200ms);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->payload, "tick");
    start = clock_type::now();
    ASSERT_TRUE(c->send(client_frame(0x9, "p")));
    f = c->read_frame();
    EXPECT_GE(clock_type::now() - start, 200ms);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->first, 0x8A);
}

TEST_F(lab_scenario, idle_kill_closes_tcp_without_a_close_frame)
{
    const auto start = clock_type::now();
    auto [c, head] = request("/idle-kill?ms=1000"); // the echo below must fit before the kill
    ASSERT_EQ(status_of(head), 101);
    ASSERT_TRUE(c->send(client_frame(0x1, "alive")));
    auto f = c->read_frame(); // echoes until the kill
    ASSERT_TRUE(f);
    EXPECT_EQ(f->payload, "alive");
    EXPECT_EQ(c->wait_end(), stream_end::eof);
    EXPECT_GE(clock_type::now() - start, 1000ms);
    EXPECT_TRUE(c->buffered().empty()); // EOF and nothing else: no close frame
}

TEST_F(lab_scenario, garbage_is_not_http)
{
    client c(port());
    ASSERT_TRUE(c.send(upgrade_request("/garbage")));
    EXPECT_EQ(c.wait_end(), stream_end::eof);
    const std::string& got = c.buffered();
    EXPECT_EQ(got.rfind("SSH-2.0-OpenSSH_9.2\r\n", 0), 0U);
    EXPECT_GT(got.size(), 21U);
    EXPECT_EQ(got.find("HTTP/"), std::string::npos);
}

TEST_F(lab_scenario, oversized_frame_header_claims_two_to_the_62_bytes)
{
    auto [c, head] = request("/oversized-frame");
    ASSERT_EQ(status_of(head), 101);
    auto f = c->read_frame();
    ASSERT_TRUE(f);
    EXPECT_EQ(f->first, 0x82);
    EXPECT_EQ(f->second, 0x7F); // unmasked, 64-bit length follows
    EXPECT_EQ(f->length, std::uint64_t{1} << 62);
    ASSERT_TRUE(c->send(client_frame(0x8, close_payload(1009))));
    EXPECT_EQ(c->wait_end(), stream_end::eof);
}

TEST_F(lab_scenario, malformed_frame_has_reserved_bits_and_a_mask)
{
    auto [c, head] = request("/malformed-frame");
    ASSERT_EQ(status_of(head), 101);
    auto f = c->read_frame();
    ASSERT_TRUE(f);
    EXPECT_EQ(f->first & 0x70, 0x70); // RSV1-3 (§5.2)
    EXPECT_EQ(f->second & 0x80, 0x80); // masked by the server (§5.1)
    EXPECT_EQ(f->op(), 0x1);
    EXPECT_EQ(c->wait_end(), stream_end::eof); // the lab gives up waiting for a close (500 ms)
}

TEST_F(lab_scenario, reset_answers_the_request_with_rst)
{
    client c(port());
    ASSERT_TRUE(c.send(upgrade_request("/reset")));
    EXPECT_EQ(c.wait_end(), stream_end::reset);
    EXPECT_TRUE(c.buffered().empty());
}

TEST_F(lab_scenario, drop_closes_tcp_on_the_first_message_without_a_close_frame)
{
    auto [c, head] = request("/drop");
    ASSERT_EQ(status_of(head), 101);
    ASSERT_TRUE(c->send(client_frame(0x1, "first")));
    EXPECT_EQ(c->wait_end(), stream_end::eof);
    EXPECT_TRUE(c->buffered().empty());
}

TEST_F(lab_scenario, silent_sends_nothing_and_hangs_up_after_the_hold)
{
    auto [c, head] = request("/silent");
    ASSERT_EQ(status_of(head), 101);
    ASSERT_TRUE(c->send(client_frame(0x1, "anyone?") + client_frame(0x9, "ping")));
    EXPECT_EQ(c->wait_end(), stream_end::eof); // fixture hold: 800 ms
    EXPECT_TRUE(c->buffered().empty());       // no echo, no pong, no close frame
}

TEST_F(lab_scenario, blackhole_reads_everything_and_answers_nothing)
{
    auto [c, head] = request("/blackhole");
    ASSERT_EQ(status_of(head), 101);
    ASSERT_TRUE(c->send(client_frame(0x1, "hello") + client_frame(0x9, "ping") +
                        client_frame(0x8, close_payload(1000))));
    c->set_timeout(300);
    EXPECT_EQ(c->wait_end(), stream_end::timeout); // not even a close
    c->set_timeout(5000);
    c->shutdown_send();
    EXPECT_EQ(c->wait_end(), stream_end::eof); // the client's FIN is what ends it
    EXPECT_TRUE(c->buffered().empty());
}

TEST_F(lab_scenario, every_healthy_101_scenario_validates_the_request_first)
{
    for (std::string_view path : {"/bad-accept", "/no-upgrade", "/subprotocol?select=x", "/silent", "/drop",
                                  "/close-after-upgrade", "/oversized-frame", "/slow-upgrade?ms=1"}) {
        client c(port());
        ASSERT_TRUE(c.send(std::string("GET ") + std::string(path) + " HTTP/1.1\r\nHost: h\r\n\r\n"));
        EXPECT_EQ(status_of(c.read_head().value_or("")), 400) << path;
    }
}

} // namespace
} // namespace wsp::lab::test
