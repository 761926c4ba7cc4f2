// Tests for http1/parser.cpp: every vector runs whole, at every split and byte by byte against a
// guard page (feed.h), and must give the same outcome each way.
#include "http1/parser.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/http1/feed.h"

namespace {

using wsp::http1::parse_limits;
using wsp::http1::test::request_all_ways;
using wsp::http1::test::response_all_ways;
using headers = std::vector<std::pair<std::string, std::string>>;

const std::string upgrade_101 = "HTTP/1.1 101 Switching Protocols\r\n"
                                "Upgrade: websocket\r\n"
                                "Connection: Upgrade\r\n"
                                "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
                                "\r\n";

TEST(parse_response, typical_101)
{
    const auto o = response_all_ways(upgrade_101);
    ASSERT_EQ(o.error, "");
    ASSERT_TRUE(o.complete);
    EXPECT_EQ(o.head_length, upgrade_101.size());
    EXPECT_EQ(o.minor_version, 1);
    EXPECT_EQ(o.status, 101);
    EXPECT_EQ(o.reason, "Switching Protocols");
    EXPECT_EQ(o.headers, (headers{{"Upgrade", "websocket"},
                                  {"Connection", "Upgrade"},
                                  {"Sec-WebSocket-Accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="}}));
}

TEST(parse_response, trailing_frame_bytes_are_not_part_of_the_head)
{
    // A server frame "Hello" (RFC 6455 §5.7) that arrived in the same read as the 101.
    const std::string frame("\x81\x05Hello", 7);
    const std::string input = upgrade_101 + frame;
    const auto o = response_all_ways(input);
    ASSERT_TRUE(o.complete);
    EXPECT_EQ(o.head_length, upgrade_101.size());
    EXPECT_EQ(input.substr(o.head_length), frame);
}

TEST(parse_response, trailing_bytes_that_look_like_headers_are_left_alone)
{
    const std::string input = upgrade_101 + "Bad Header\r\n\r\n";
    const auto o = response_all_ways(input);
    ASSERT_TRUE(o.complete);
    EXPECT_EQ(o.head_length, upgrade_101.size());
}

TEST(parse_response, lf_only_and_mixed_line_ends_are_accepted)
{
    const std::string lf_only = "HTTP/1.1 101 Switching Protocols\nUpgrade: websocket\n\n";
    const auto lf = response_all_ways(lf_only + "\x81");
    ASSERT_TRUE(lf.complete);
    EXPECT_EQ(lf.head_length, lf_only.size());
    EXPECT_EQ(lf.reason, "Switching Protocols");
    EXPECT_EQ(lf.headers, (headers{{"Upgrade", "websocket"}}));

    const auto mixed = response_all_ways("HTTP/1.1 101 OK\r\nA: 1\nB: 2\r\n\n");
    ASSERT_TRUE(mixed.complete);
    EXPECT_EQ(mixed.head_length, 29u);
    EXPECT_EQ(mixed.headers, (headers{{"A", "1"}, {"B", "2"}}));
}

TEST(parse_response, http_1_0_and_empty_reasons)
{
    const auto ten = response_all_ways("HTTP/1.0 200 OK\r\n\r\n");
    ASSERT_TRUE(ten.complete);
    EXPECT_EQ(ten.minor_version, 0);
    EXPECT_EQ(ten.status, 200);

    const auto bare = response_all_ways("HTTP/1.1 101\r\n\r\n");
    ASSERT_TRUE(bare.complete);
    EXPECT_EQ(bare.status, 101);
    EXPECT_EQ(bare.reason, "");

    const auto spaced = response_all_ways("HTTP/1.1 999 \r\n\r\n");
    ASSERT_TRUE(spaced.complete);
    EXPECT_EQ(spaced.status, 999);
    EXPECT_EQ(spaced.reason, "");
}

TEST(parse_response, values_are_trimmed_and_may_be_empty_or_obs_text)
{
    const auto o = response_all_ways("HTTP/1.1 101 OK\r\n"
                                     "X-Empty:\r\n"
                                     "X-Spaces: \t a \t b \t \r\n"
                                     "X-Obs: caf\xc3\xa9\r\n"
                                     "x-lower:v\r\n"
                                     "\r\n");
    ASSERT_TRUE(o.complete);
    EXPECT_EQ(o.headers,
              (headers{{"X-Empty", ""}, {"X-Spaces", "a \t b"}, {"X-Obs", "caf\xc3\xa9"}, {"x-lower", "v"}}));
}

TEST(parse_response, incomplete_heads_need_more)
{
    for (const std::string input :
         {"", "H", "HTTP/1.1 101", "HTTP/1.1 101 OK\r\n", "HTTP/1.1 101 OK\r\nA: b\r\n",
          "HTTP/1.1 101 OK\r\nA: b\r\n\r", "HTTP/1.1 101 OK\r\nA: b\r"}) {
        const auto o = response_all_ways(input);
        EXPECT_EQ(o.error, "") << input;
        EXPECT_FALSE(o.complete) << input;
    }
}

struct bad_vector {
    std::string input;
    std::string error;
    std::size_t offset;
};

TEST(parse_response, malformed_heads_are_errors_at_the_offending_line)
{
    const std::vector<bad_vector> vectors = {
        {"SSH-2.0-OpenSSH_9.2p1\r\n", "malformed_status_line", 0},
        {"SSH-2.0", "malformed_status_line", 0}, // rejected before the line ends
        {"http/1.1 101 OK\r\n\r\n", "malformed_status_line", 0},
        {"HTTP/2 101\r\n\r\n", "malformed_status_line", 0},
        {"HTTP/1.2 101 OK\r\n\r\n", "malformed_status_line", 0},
        {"HTTP/1.1  101 OK\r\n\r\n", "malformed_status_line", 0},
        {"HTTP/1.1 10 OK\r\n\r\n", "malformed_status_line", 0},
        {"HTTP/1.1 1011 OK\r\n\r\n", "malformed_status_line", 0},
        {"HTTP/1.1 099 OK\r\n\r\n", "malformed_status_line", 0},
        {"HTTP/1.1 1x1 OK\r\n\r\n", "malformed_status_line", 0},
        {"HTTP/1.1 101 O\x01K\r\n\r\n", "malformed_status_line", 0},
        {"HTTP/1.1 101 O\rK\r\n\r\n", "bad_line_ending", 0},
        {"\r\nHTTP/1.1 101 OK\r\n\r\n", "malformed_status_line", 0},
        {"HTTP/1.1 101 OK\r\n folded: x\r\n\r\n", "obs_fold", 17},
        {"HTTP/1.1 101 OK\r\nA: b\r\n\tcontinued\r\n\r\n", "obs_fold", 23},
        {"HTTP/1.1 101 OK\r\nUpgrade : websocket\r\n\r\n", "whitespace_before_colon", 17},
        {"HTTP/1.1 101 OK\r\nUpgrade\t: websocket\r\n\r\n", "whitespace_before_colon", 17},
        {"HTTP/1.1 101 OK\r\nNo colon here\r\n\r\n", "invalid_field_name", 17},
        {"HTTP/1.1 101 OK\r\nNoColon\r\n\r\n", "malformed_header", 17},
        {"HTTP/1.1 101 OK\r\nTrailing \r\n\r\n", "malformed_header", 17},
        {"HTTP/1.1 101 OK\r\n: empty name\r\n\r\n", "malformed_header", 17},
        {"HTTP/1.1 101 OK\r\nX@Y: 1\r\n\r\n", "invalid_field_name", 17},
        {"HTTP/1.1 101 OK\r\nX\xc3\xa9: 1\r\n\r\n", "invalid_field_name", 17},
        {std::string("HTTP/1.1 101 OK\r\nX: a\0b\r\n\r\n", 27), "invalid_field_value", 17},
        {"HTTP/1.1 101 OK\r\nX: a\x7f\r\n\r\n", "invalid_field_value", 17},
        {"HTTP/1.1 101 OK\r\nX: a\x1b[31m\r\n\r\n", "invalid_field_value", 17},
        {"HTTP/1.1 101 OK\r\nX: a\rb\r\n\r\n", "bad_line_ending", 17},
        {"HTTP/1.1 101 OK\r\nX: a\r\r\n\r\n", "bad_line_ending", 17},
        {"HTTP/1.1 101 OK\r\nX\r: a\r\n\r\n", "bad_line_ending", 17},
        {"HTTP/1.1 101 OK\r\nA: 1\r\n\r\r\n", "bad_line_ending", 23},
        // The first fault in byte order wins, even when the head never completes.
        {"HTTP/1.1 101 OK\r\nA : 1\r\nB@: 2\r\n", "whitespace_before_colon", 17},
    };
    for (const auto& v : vectors) {
        const auto o = response_all_ways(v.input);
        EXPECT_EQ(o.error, v.error) << v.input;
        EXPECT_EQ(o.error_offset, v.offset) << v.input;
        EXPECT_FALSE(o.complete) << v.input;
    }
}

TEST(parse_response, line_limit_is_an_error_without_waiting_for_the_line_end)
{
    parse_limits limits;
    limits.max_line_length = 32;
    // The line length counts the bytes before the LF, the CR included.
    const std::string over = "HTTP/1.1 101 OK\r\nX: " + std::string(29, 'a') + "\r\n\r\n"; // 33 bytes
    EXPECT_EQ(response_all_ways(over, limits).error, "line_too_long");
    const std::string fits = "HTTP/1.1 101 OK\r\nX: " + std::string(28, 'a') + "\r\n\r\n"; // 32 bytes
    EXPECT_TRUE(response_all_ways(fits, limits).complete);
    const std::string endless = "HTTP/1.1 101 OK\r\nX: " + std::string(200, 'a');
    const auto o = response_all_ways(endless, limits);
    EXPECT_EQ(o.error, "line_too_long");
    EXPECT_EQ(o.error_offset, 17u);
}

TEST(parse_response, head_limit_is_an_error_without_waiting_for_the_end)
{
    parse_limits limits;
    limits.max_head_size = 64;
    const std::string exact =
        "HTTP/1.1 101 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\nE: 5\r\nF: 6\r\nGG: 777\r\n\r\n";
    ASSERT_EQ(exact.size(), 64u);
    EXPECT_TRUE(response_all_ways(exact, limits).complete);
    EXPECT_EQ(response_all_ways(exact.substr(0, 62) + "7\r\n\r\n", limits).error, "head_too_large");
    const std::string endless = "HTTP/1.1 101 OK\r\n" + std::string(100, 'A');
    EXPECT_EQ(response_all_ways(endless, limits).error, "head_too_large");
    std::string many_lines = "HTTP/1.1 101 OK\r\n";
    for (int i = 0; i < 20; ++i) {
        many_lines += "A: b\r\n";
    }
    EXPECT_EQ(response_all_ways(many_lines, limits).error, "head_too_large");
}

TEST(parse_response, line_and_head_limits_crossed_in_the_same_line_report_the_earlier_byte)
{
    parse_limits limits;
    limits.max_line_length = 20;
    limits.max_head_size = 40;
    // The header line starts at 17; its limit falls at byte 37, the head's at 40.
    EXPECT_EQ(response_all_ways("HTTP/1.1 101 OK\r\nX: " + std::string(60, 'a') + "\r\n\r\n", limits).error,
              "line_too_long");
    limits.max_head_size = 30;
    EXPECT_EQ(response_all_ways("HTTP/1.1 101 OK\r\nX: " + std::string(60, 'a') + "\r\n\r\n", limits).error,
              "head_too_large");
}

TEST(parse_response, header_count_limit_uses_the_smaller_of_limit_and_storage)
{
    std::string input = "HTTP/1.1 101 OK\r\n";
    for (int i = 0; i < 5; ++i) {
        input += "H" + std::to_string(i) + ": v\r\n";
    }
    input += "\r\n";
    parse_limits limits;
    limits.max_headers = 5;
    EXPECT_TRUE(response_all_ways(input, limits, 5).complete);
    EXPECT_EQ(response_all_ways(input, limits, 4).error, "too_many_headers");
    limits.max_headers = 4;
    const auto o = response_all_ways(input, limits, 64);
    EXPECT_EQ(o.error, "too_many_headers");
    // Reported when the head completes, so a later malformed line still comes first.
    EXPECT_EQ(response_all_ways(input.substr(0, input.size() - 2) + "Bad Line\r\n\r\n", limits).error,
              "invalid_field_name");
}

TEST(parse_response, prev_len_resumes_at_the_last_incomplete_line)
{
    // With a truthful prev_len, lines already accepted are not checked again until the head is
    // complete; a lying prev_len that skips a bad line shows it.
    const std::string input = "HTTP/1.1 101 OK\r\nBad Name: x\r\nFoo: b";
    std::vector<wsp::http1::header> storage(8);
    wsp::http1::response_head head;
    auto fresh = wsp::http1::parse_response(input, 0, storage, head);
    ASSERT_FALSE(fresh);
    EXPECT_EQ(fresh.error().name(), "invalid_field_name");
    auto resumed = wsp::http1::parse_response(input, input.size() - 2, storage, head);
    ASSERT_TRUE(resumed);
    EXPECT_FALSE(resumed->complete());
    // Once complete, one pass from the start fills the headers and finds the fault.
    const std::string done = input + "\r\n\r\n";
    auto final_pass = wsp::http1::parse_response(done, input.size(), storage, head);
    ASSERT_FALSE(final_pass);
    EXPECT_EQ(final_pass.error().name(), "invalid_field_name");
}

TEST(find_header, is_case_insensitive_and_counts_repeats)
{
    const std::vector<wsp::http1::header> hs = {{"Upgrade", "websocket"}, {"X", "1"}, {"x", "2"}};
    ASSERT_NE(wsp::http1::find_header(hs, "UPGRADE"), nullptr);
    EXPECT_EQ(wsp::http1::find_header(hs, "UPGRADE")->value, "websocket");
    EXPECT_EQ(wsp::http1::find_header(hs, "Upgrade-Insecure"), nullptr);
    EXPECT_EQ(wsp::http1::count_headers(hs, "X"), 2u);
}

TEST(parse_request, typical_upgrade_request)
{
    const std::string input = "GET /chat?room=1 HTTP/1.1\r\n"
                              "Host: server.example.com\r\n"
                              "Upgrade: websocket\r\n"
                              "Connection: Upgrade\r\n"
                              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                              "Sec-WebSocket-Version: 13\r\n"
                              "\r\n";
    const auto o = request_all_ways(input);
    ASSERT_EQ(o.error, "");
    ASSERT_TRUE(o.complete);
    EXPECT_EQ(o.head_length, input.size());
    EXPECT_EQ(o.method, "GET");
    EXPECT_EQ(o.target, "/chat?room=1");
    EXPECT_EQ(o.minor_version, 1);
    ASSERT_EQ(o.headers.size(), 5u);
    EXPECT_EQ(o.headers[4], (std::pair<std::string, std::string>{"Sec-WebSocket-Version", "13"}));
}

TEST(parse_request, malformed_request_lines_and_headers)
{
    const std::vector<bad_vector> vectors = {
        {"GET  /x HTTP/1.1\r\n\r\n", "malformed_request_line", 0},
        {"GET /x  HTTP/1.1\r\n\r\n", "malformed_request_line", 0},
        {"GET /x HTTP/1.2\r\n\r\n", "malformed_request_line", 0},
        {"GET /x HTTP/1.1 extra\r\n\r\n", "malformed_request_line", 0},
        {"GET /x\r\n\r\n", "malformed_request_line", 0},
        {"G@T /x HTTP/1.1\r\n\r\n", "malformed_request_line", 0},
        {"GET /\x7f HTTP/1.1\r\n\r\n", "malformed_request_line", 0},
        {"GET /a\rb HTTP/1.1\r\n\r\n", "bad_line_ending", 0},
        {"\r\nGET / HTTP/1.1\r\n\r\n", "malformed_request_line", 0},
        {"GET / HTTP/1.1\r\nHost : x\r\n\r\n", "whitespace_before_colon", 16},
        {"GET / HTTP/1.1\r\n Host: x\r\n\r\n", "obs_fold", 16},
    };
    for (const auto& v : vectors) {
        const auto o = request_all_ways(v.input);
        EXPECT_EQ(o.error, v.error) << v.input;
        EXPECT_EQ(o.error_offset, v.offset) << v.input;
    }
}

TEST(parse_request, body_bytes_after_the_head_are_not_consumed)
{
    const std::string input = "POST /x HTTP/1.0\nContent-Length: 3\n\nabc";
    const auto o = request_all_ways(input);
    ASSERT_TRUE(o.complete);
    EXPECT_EQ(o.minor_version, 0);
    EXPECT_EQ(input.substr(o.head_length), "abc");
}

} // namespace
