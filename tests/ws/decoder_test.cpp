// Golden vectors for ws/decoder.cpp: RFC 6455 §5.7 examples, length boundaries, fragmentation with
// interleaved control frames and every close-code class. Each runs whole, at every two-way split
// and one byte at a time against a guard page, with equal event sequences.
#include "ws/decoder.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/ws/decode_harness.h"
#include "ws/frame.h"

namespace wsp::ws::test {
namespace {

const std::string hello_masked_body = bytes({0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58});

TEST(decoder_rfc_5_7, single_frame_unmasked_text)
{
    expect_events(client_opts(), bytes({0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f}),
                  {"header text fin=1 len=5", "data 'Hello'", "end text len=5"});
}

TEST(decoder_rfc_5_7, single_frame_masked_text)
{
    expect_events(server_opts(), bytes({0x81, 0x85}) + hello_masked_body,
                  {"header text fin=1 len=5", "data 'Hello'", "end text len=5"});
}

TEST(decoder_rfc_5_7, fragmented_unmasked_text)
{
    expect_events(client_opts(), bytes({0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f}),
                  {"header text fin=0 len=3", "data 'Hel'", "header continuation fin=1 len=2", "data 'lo'",
                   "end text len=5"});
}

TEST(decoder_rfc_5_7, unmasked_ping)
{
    expect_events(client_opts(), bytes({0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f}), {"ping 'Hello'"});
}

TEST(decoder_rfc_5_7, masked_ping_response)
{
    expect_events(server_opts(), bytes({0x8a, 0x85}) + hello_masked_body, {"pong 'Hello'"});
}

std::string pattern(std::size_t n)
{
    std::string s(n, '\0');
    for (std::size_t i = 0; i < n; ++i) {
        s[i] = static_cast<char>((i * 7 + 3) & 0xFF);
    }
    return s;
}

TEST(decoder_rfc_5_7, binary_256_bytes_16_bit_length)
{
    const std::string body = pattern(256);
    expect_events(client_opts(), bytes({0x82, 0x7E, 0x01, 0x00}) + body,
                  {"header binary fin=1 len=256", data_line(body), "end binary len=256"});
}

TEST(decoder_rfc_5_7, binary_64k_64_bit_length)
{
    const std::string body = pattern(65536);
    expect_events(client_opts(), bytes({0x82, 0x7F, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00}) + body,
                  {"header binary fin=1 len=65536", data_line(body), "end binary len=65536"});
}

// A frame built by our encoder, for the lengths around each length-form boundary.
std::string frame(opcode op, const std::string& body, std::optional<mask_key> key, bool fin = true)
{
    std::string out(body.size() + max_header_size, '\0');
    auto n = build_frame({reinterpret_cast<std::uint8_t*>(out.data()), out.size()}, op,
                         {reinterpret_cast<const std::uint8_t*>(body.data()), body.size()}, key, fin);
    EXPECT_TRUE(n.has_value());
    out.resize(n.value_or(0));
    return out;
}

class decoder_lengths : public ::testing::TestWithParam<std::size_t> {};

TEST_P(decoder_lengths, binary_both_roles)
{
    const std::size_t len = GetParam();
    const std::string body = pattern(len);
    const event_log want = len == 0 ? event_log{"header binary fin=1 len=0", "end binary len=0"}
                                    : event_log{"header binary fin=1 len=" + std::to_string(len),
                                                data_line(body), "end binary len=" + std::to_string(len)};
    const std::string server_frame = frame(opcode::binary, body, std::nullopt);
    EXPECT_EQ(server_frame.size(), len + header_size(len, false));
    expect_events(client_opts(), server_frame, want);
    const std::string client_frame = frame(opcode::binary, body, mask_key{0xA1, 0x02, 0xC3, 0x44});
    EXPECT_EQ(client_frame.size(), len + header_size(len, true));
    expect_events(server_opts(), client_frame, want);
}

INSTANTIATE_TEST_SUITE_P(boundaries, decoder_lengths, ::testing::Values(0, 1, 125, 126, 127, 65535, 65536));

TEST(decoder_lengths, wire_forms_at_boundaries)
{
    EXPECT_EQ(static_cast<unsigned char>(frame(opcode::binary, pattern(125), std::nullopt)[1]), 125);
    EXPECT_EQ(frame(opcode::binary, pattern(126), std::nullopt).substr(1, 3), bytes({0x7E, 0x00, 0x7E}));
    EXPECT_EQ(frame(opcode::binary, pattern(65535), std::nullopt).substr(1, 3), bytes({0x7E, 0xFF, 0xFF}));
    EXPECT_EQ(frame(opcode::binary, pattern(65536), std::nullopt).substr(1, 9),
              bytes({0x7F, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00}));
}

TEST(decoder_fragments, control_frames_interleaved_in_a_fragmented_message)
{
    const std::string in =
        frame(opcode::text, "Hel", std::nullopt, false) + frame(opcode::ping, "p1", std::nullopt) +
        frame(opcode::continuation, "", std::nullopt, false) + frame(opcode::pong, "", std::nullopt) +
        frame(opcode::continuation, "lo", std::nullopt);
    expect_events(client_opts(), in,
                  {"header text fin=0 len=3", "data 'Hel'", "ping 'p1'", "header continuation fin=0 len=0",
                   "pong ''", "header continuation fin=1 len=2", "data 'lo'", "end text len=5"});
}

TEST(decoder_fragments, masked_fragments_and_messages_back_to_back)
{
    const mask_key k{1, 2, 3, 4};
    const std::string in = frame(opcode::binary, "abcde", k, false) + frame(opcode::continuation, "fgh", k) +
                           frame(opcode::text, "", k) + frame(opcode::text, "xyz", k);
    expect_events(server_opts(), in,
                  {"header binary fin=0 len=5", "data 'abcde'", "header continuation fin=1 len=3",
                   "data 'fgh'", "end binary len=8", "header text fin=1 len=0", "end text len=0",
                   "header text fin=1 len=3", "data 'xyz'", "end text len=3"});
}

TEST(decoder_fragments, utf8_code_points_split_across_fragments)
{
    // "€" = E2 82 AC split over three frames, and "𝄞" = F0 9D 84 9E split 1/3.
    const std::string in = frame(opcode::text, bytes({0xE2}), std::nullopt, false) +
                           frame(opcode::continuation, bytes({0x82}), std::nullopt, false) +
                           frame(opcode::continuation, bytes({0xAC, 0xF0}), std::nullopt, false) +
                           frame(opcode::continuation, bytes({0x9D, 0x84, 0x9E}), std::nullopt);
    expect_events(client_opts(), in,
                  {"header text fin=0 len=1", "data xe2", "header continuation fin=0 len=1", "data x82",
                   "header continuation fin=0 len=2", "data xacf0", "header continuation fin=1 len=3",
                   "data x9d849e", "end text len=7"});
}

TEST(decoder_deflate, rsv1_on_first_frame_is_reported_as_compressed)
{
    decoder_options o = client_opts();
    o.permessage_deflate = true;
    // RSV1 text frame, then a continuation without RSV1; payload is opaque (not UTF-8 checked).
    const std::string in = bytes({0x41, 0x02, 0xF2, 0x48, 0x80, 0x01, 0xFF});
    expect_events(o, in,
                  {"header text fin=0 z len=2", "data xf248", "header continuation fin=1 z len=1", "data xff",
                   "end text z len=3"});
}

TEST(decoder_text, validation_can_be_turned_off)
{
    decoder_options o = client_opts();
    o.validate_text = false;
    expect_events(o, bytes({0x81, 0x02, 0xC0, 0x80}),
                  {"header text fin=1 len=2", "data xc080", "end text len=2"});
}

TEST(decoder_text, binary_messages_are_not_utf8_checked)
{
    expect_events(client_opts(), bytes({0x82, 0x02, 0xC0, 0x80}),
                  {"header binary fin=1 len=2", "data xc080", "end binary len=2"});
}

TEST(decoder_text, long_valid_multibyte_message_whole_and_chunked)
{
    std::string text;
    for (int i = 0; i < 40; ++i) {
        text += "aé€𝄞";
    }
    expect_events(client_opts(), frame(opcode::text, text, std::nullopt),
                  {"header text fin=1 len=" + std::to_string(text.size()), data_line(text),
                   "end text len=" + std::to_string(text.size())});
}

std::string close_frame(int code, const std::string& reason)
{
    return bytes({0x88, static_cast<int>(2 + reason.size()), code >> 8, code & 0xFF}) + reason;
}

TEST(decoder_close, empty_payload_means_no_status)
{
    expect_events(client_opts(), bytes({0x88, 0x00}), {"close 1005 ''"});
}

TEST(decoder_close, every_valid_code_class)
{
    for (int code :
         {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999}) {
        SCOPED_TRACE(code);
        expect_events(client_opts(), close_frame(code, "bye"), {"close " + std::to_string(code) + " 'bye'"});
    }
}

TEST(decoder_close, every_invalid_code_class)
{
    for (int code : {0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535}) {
        SCOPED_TRACE(code);
        expect_events(client_opts(), close_frame(code, ""), {"error close_code_invalid"});
    }
}

TEST(decoder_close, masked_close_from_client_with_longest_reason)
{
    const std::string reason(123, 'r');
    std::string body = bytes({0x03, 0xE8}) + reason;
    expect_events(server_opts(), frame(opcode::close, body, mask_key{9, 8, 7, 6}),
                  {"close 1000 " + render_bytes(reason)});
}

TEST(decoder_close, close_then_nothing_more_is_fine_and_state_is_reported)
{
    decoder dec(client_opts());
    std::string in = close_frame(1001, "");
    auto r = dec.next({reinterpret_cast<std::uint8_t*>(in.data()), in.size()});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->ev.kind, event_kind::control);
    EXPECT_EQ(r->ev.close_code, 1001);
    EXPECT_TRUE(dec.close_received());
    auto more = dec.next({});
    ASSERT_TRUE(more);
    EXPECT_EQ(more->ev.kind, event_kind::need_more);
}

TEST(decoder_state, message_end_comes_with_empty_input)
{
    decoder dec(client_opts());
    std::string in = bytes({0x82, 0x01, 0x7A});
    std::span<std::uint8_t> s{reinterpret_cast<std::uint8_t*>(in.data()), in.size()};
    auto h = dec.next(s);
    ASSERT_TRUE(h);
    EXPECT_EQ(h->ev.kind, event_kind::frame_header);
    EXPECT_EQ(h->consumed, 2U);
    EXPECT_TRUE(dec.in_message());
    auto p = dec.next(s.subspan(2));
    ASSERT_TRUE(p);
    EXPECT_EQ(p->ev.kind, event_kind::payload);
    EXPECT_EQ(p->consumed, 1U);
    EXPECT_EQ(p->ev.payload.data(), s.data() + 2) << "payload is a view into the caller's buffer";
    auto e = dec.next({});
    ASSERT_TRUE(e);
    EXPECT_EQ(e->ev.kind, event_kind::message_end);
    EXPECT_EQ(e->consumed, 0U);
    EXPECT_FALSE(dec.in_message());
    auto n = dec.next({});
    ASSERT_TRUE(n);
    EXPECT_EQ(n->ev.kind, event_kind::need_more);
}

TEST(decoder_state, reset_clears_failure_and_keeps_options)
{
    decoder_options o = server_opts();
    o.max_message_size = 3;
    decoder dec(o);
    std::string bad = bytes({0x80, 0x80});
    EXPECT_FALSE(dec.next({reinterpret_cast<std::uint8_t*>(bad.data()), bad.size()}));
    EXPECT_EQ(dec.last_error(), errc::continuation_without_start);
    dec.reset();
    EXPECT_FALSE(dec.failed());
    EXPECT_EQ(dec.options().max_message_size, 3U);
    EXPECT_EQ(dec.options().local, role::server);
}

TEST(decoder_state, per_connection_state_is_small)
{
    EXPECT_LE(sizeof(decoder), 192U) << "the load driver holds 200k of these";
}

} // namespace
} // namespace wsp::ws::test
