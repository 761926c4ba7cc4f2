// answer.h without sockets: what the lab decides and writes for a request head (RFC 6455 §4.2,
// RFC 7231 §6), the broken-101 and close-frame builders, and the subprotocol list reader.
#include "tools/lab/answer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "http1/error.h"

namespace wsp::lab {
namespace {

std::string text(const std::vector<std::uint8_t>& v)
{
    return std::string(v.begin(), v.end());
}

std::string request(std::string_view target, std::string_view extra = {})
{
    std::string r = "GET ";
    r += target;
    r += " HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";
    r += extra;
    r += "\r\n";
    return r;
}

TEST(lab_answer, echo_is_a_healthy_101_then_echo_mode)
{
    std::vector<std::uint8_t> out;
    const std::string head = request("/echo?x=secret");
    const answer a = answer_request(head, out, 1);
    EXPECT_EQ(a.status, 101);
    EXPECT_EQ(a.next, after_answer::websocket);
    EXPECT_EQ(a.mode, ws_mode::echo);
    EXPECT_EQ(a.method, "GET");
    EXPECT_EQ(a.path, "/echo"); // the query is not logged
    EXPECT_EQ(text(out), "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                         "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n");
}

TEST(lab_answer, scenarios_map_to_their_follow_up)
{
    std::vector<std::uint8_t> out;
    EXPECT_EQ(answer_request(request("/silent"), out, 0).mode, ws_mode::silent);
    EXPECT_EQ(answer_request(request("/blackhole"), out, 0).mode, ws_mode::discard);
    EXPECT_EQ(answer_request(request("/drop"), out, 0).mode, ws_mode::drop_on_first);
    EXPECT_EQ(answer_request(request("/close-after-upgrade"), out, 0).mode, ws_mode::await_close);
    EXPECT_EQ(answer_request(request("/slow-upgrade?ms=250"), out, 0).delay_before_ms, 250U);
    EXPECT_EQ(answer_request(request("/slow-echo?ms=40"), out, 0).reply_delay_ms, 40U);
    const answer kill = answer_request(request("/idle-kill?ms=0"), out, 0);
    EXPECT_TRUE(kill.kill);
    EXPECT_EQ(kill.kill_after_ms, 0U);
    EXPECT_FALSE(answer_request(request("/echo"), out, 0).kill);
    const answer reset = answer_request(request("/reset"), out, 0);
    EXPECT_EQ(reset.next, after_answer::reset);
    EXPECT_TRUE(out.empty());
    EXPECT_EQ(reset.status, 0);
}

TEST(lab_answer, frames_sent_with_the_101)
{
    std::vector<std::uint8_t> out;
    (void)answer_request(request("/welcome?text=hi"), out, 0);
    const std::string w = text(out);
    EXPECT_EQ(w.substr(w.size() - 4), std::string("\x81\x02hi", 4));

    (void)answer_request(request("/close-after-upgrade?code=4403&reason=no"), out, 0);
    const std::string c = text(out);
    EXPECT_EQ(c.substr(c.size() - 6), std::string("\x88\x04\x11\x33no", 6)); // 4403 = 0x1133

    (void)answer_request(request("/oversized-frame"), out, 0);
    const std::string o = text(out);
    EXPECT_EQ(o.substr(o.size() - 10), std::string("\x82\x7F\x40\0\0\0\0\0\0\0", 10));
}

TEST(lab_answer, garbage_varies_with_the_seed_and_is_never_http)
{
    std::vector<std::uint8_t> a;
    std::vector<std::uint8_t> b;
    (void)answer_request(request("/garbage"), a, 1);
    (void)answer_request(request("/garbage"), b, 2);
    EXPECT_EQ(text(a).rfind("SSH-2.0-", 0), 0U);
    EXPECT_NE(a, b);
    EXPECT_EQ(a.size(), b.size());
}

TEST(lab_answer, status_bodies_follow_rfc_7230_and_unknown_paths_are_404)
{
    std::vector<std::uint8_t> out;
    EXPECT_EQ(answer_request(request("/status/204"), out, 0).status, 204);
    EXPECT_NE(text(out).find("Content-Length: 0\r\n\r\n"), std::string::npos);
    EXPECT_EQ(text(out).substr(text(out).size() - 4), "\r\n\r\n"); // no body
    const answer nf = answer_request(request("/missing"), out, 0);
    EXPECT_EQ(nf.status, 404);
    EXPECT_FALSE(nf.routed);
    EXPECT_EQ(text(out).rfind("HTTP/1.1 404 Not Found\r\n", 0), 0U);
}

TEST(lab_answer, bad_query_values_are_refused_not_written)
{
    std::vector<std::uint8_t> out;
    EXPECT_EQ(answer_request(request("/subprotocol?select=a%0Db"), out, 0).status, 400);
    EXPECT_EQ(answer_request(request("/redirect?to=%0A"), out, 0).status, 400);
    // A first offered subprotocol that is not a token cannot be selected.
    EXPECT_EQ(answer_request(request("/echo?subprotocol=first", "Sec-WebSocket-Protocol: a/b\r\n"), out, 0).status,
              400);
}

TEST(lab_answer, parse_errors_are_400_and_limits_431)
{
    std::vector<std::uint8_t> out;
    const answer big = answer_parse_error(http1::errc::head_too_large, out);
    EXPECT_EQ(big.status, 431);
    EXPECT_EQ(text(out).rfind("HTTP/1.1 431 Request Header Fields Too Large\r\n", 0), 0U);
    const answer bad = answer_parse_error(http1::errc::malformed_request_line, out);
    EXPECT_EQ(bad.status, 400);
    EXPECT_NE(text(out).find("malformed_request_line"), std::string::npos);
    EXPECT_EQ(bad.method, "-");
    EXPECT_EQ(answer_request("GARBAGE\r\n\r\n", out, 0).status, 400);
}

TEST(lab_answer, switching_protocols_variants_are_written_as_asked)
{
    std::vector<std::uint8_t> out;
    append_switching_protocols(out, "abc", false, false, "Not A Token");
    EXPECT_EQ(text(out), "HTTP/1.1 101 Switching Protocols\r\nSec-WebSocket-Accept: abc\r\n"
                         "Sec-WebSocket-Protocol: Not A Token\r\n\r\n");
}

TEST(lab_answer, close_frames_truncate_the_reason_and_allow_invalid_codes)
{
    std::vector<std::uint8_t> out;
    append_close_frame(out, 1005, std::string(200, 'r'));
    ASSERT_EQ(out.size(), 2U + 125U); // §5.5: at most 125 bytes of payload
    EXPECT_EQ(out[0], 0x88);
    EXPECT_EQ(out[1], 125);
    EXPECT_EQ(out[2], 0x03);
    EXPECT_EQ(out[3], 0xED);
}

TEST(lab_answer, first_offered_subprotocol_reads_the_list)
{
    EXPECT_EQ(first_offered_subprotocol("graphql-transport-ws, graphql-ws"), "graphql-transport-ws");
    EXPECT_EQ(first_offered_subprotocol(" , \tmqtt ,x"), "mqtt");
    EXPECT_EQ(first_offered_subprotocol(""), "");
    EXPECT_EQ(first_offered_subprotocol(" , "), "");
    EXPECT_EQ(first_offered_subprotocol("solo"), "solo");
}

} // namespace
} // namespace wsp::lab
