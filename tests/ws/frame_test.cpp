// ws/frame.cpp (RFC 6455 §5.2, §5.3, §5.5, §5.7): header encoding in minimal form, the RFC's
// example frames byte for byte, builder errors, and round trips through the decoder.
#include "ws/frame.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/ws/decode_harness.h"
#include "ws/decoder.h"

namespace wsp::ws::test {
namespace {

using buf = std::vector<std::uint8_t>;

template <class Build> buf built(Build&& b, std::size_t cap = 70000)
{
    buf out(cap);
    auto n = b(std::span<std::uint8_t>(out));
    EXPECT_TRUE(n.has_value()) << (n ? "" : n.error().name());
    out.resize(n.value_or(0));
    return out;
}

std::span<const std::uint8_t> sv(std::string_view s)
{
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

const mask_key rfc_key{0x37, 0xfa, 0x21, 0x3d};

TEST(frame_build, rfc_5_7_examples_byte_for_byte)
{
    EXPECT_EQ(built([](auto o) { return build_text(o, "Hello", std::nullopt); }),
              (buf{0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f}));
    EXPECT_EQ(built([](auto o) { return build_text(o, "Hello", rfc_key); }),
              (buf{0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}));
    EXPECT_EQ(built([](auto o) { return build_frame(o, opcode::text, sv("Hel"), std::nullopt, false); }),
              (buf{0x01, 0x03, 0x48, 0x65, 0x6c}));
    EXPECT_EQ(built([](auto o) { return build_frame(o, opcode::continuation, sv("lo"), std::nullopt); }),
              (buf{0x80, 0x02, 0x6c, 0x6f}));
    EXPECT_EQ(built([](auto o) { return build_ping(o, sv("Hello"), std::nullopt); }),
              (buf{0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f}));
    EXPECT_EQ(built([](auto o) { return build_pong(o, sv("Hello"), rfc_key); }),
              (buf{0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}));
    const buf b256(256, 0x42);
    const auto f256 = built([&](auto o) { return build_binary(o, b256, std::nullopt); });
    EXPECT_EQ(buf(f256.begin(), f256.begin() + 4), (buf{0x82, 0x7E, 0x01, 0x00}));
    EXPECT_EQ(f256.size(), 260U);
    const buf b64k(65536, 0x42);
    const auto f64k = built([&](auto o) { return build_binary(o, b64k, std::nullopt); });
    EXPECT_EQ(buf(f64k.begin(), f64k.begin() + 10), (buf{0x82, 0x7F, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00}));
    EXPECT_EQ(f64k.size(), 65546U);
}

TEST(frame_header, sizes_and_minimal_forms)
{
    EXPECT_EQ(header_size(0, false), 2U);
    EXPECT_EQ(header_size(125, false), 2U);
    EXPECT_EQ(header_size(126, false), 4U);
    EXPECT_EQ(header_size(65535, false), 4U);
    EXPECT_EQ(header_size(65536, false), 10U);
    EXPECT_EQ(header_size(65536, true), max_header_size);
    for (std::uint64_t len : {0ULL, 125ULL, 126ULL, 65535ULL, 65536ULL, (1ULL << 63) - 1}) {
        frame_header h;
        h.payload_length = len;
        h.masked = true;
        h.key = rfc_key;
        std::uint8_t out[max_header_size];
        auto n = encode_header(h, out);
        ASSERT_TRUE(n);
        EXPECT_EQ(*n, header_size(len, true)) << len;
        EXPECT_EQ(out[0], 0x82);
        EXPECT_EQ(out[1] & 0x80, 0x80);
        EXPECT_EQ(std::vector<std::uint8_t>(out + *n - 4, out + *n),
                  std::vector<std::uint8_t>(rfc_key.begin(), rfc_key.end()));
    }
    frame_header top;
    top.payload_length = (1ULL << 63) - 1;
    std::uint8_t out[max_header_size];
    ASSERT_TRUE(encode_header(top, out));
    EXPECT_EQ(buf(out, out + 10), (buf{0x82, 0x7F, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}));
    frame_header rsv;
    rsv.rsv1 = true;
    rsv.fin = false;
    rsv.op = opcode::text;
    ASSERT_TRUE(encode_header(rsv, out));
    EXPECT_EQ(out[0], 0x41);
}

TEST(frame_header, errors)
{
    std::uint8_t out[max_header_size];
    frame_header h;
    h.op = static_cast<opcode>(0x3);
    EXPECT_EQ(encode_header(h, out).error(), errc::unknown_opcode);
    h.op = opcode::ping;
    h.fin = false;
    EXPECT_EQ(encode_header(h, out).error(), errc::fragmented_control_frame);
    h.fin = true;
    h.payload_length = 126;
    EXPECT_EQ(encode_header(h, out).error(), errc::control_frame_too_long);
    h.op = opcode::binary;
    h.payload_length = 1ULL << 63;
    EXPECT_EQ(encode_header(h, out).error(), errc::length_top_bit_set);
    h.payload_length = 65536;
    h.masked = true;
    for (std::size_t cap = 0; cap < max_header_size; ++cap) {
        EXPECT_EQ(encode_header(h, std::span<std::uint8_t>(out, cap)).error(), errc::buffer_too_small) << cap;
    }
    EXPECT_TRUE(encode_header(h, std::span<std::uint8_t>(out, max_header_size)));
}

TEST(frame_build, buffer_too_small_at_every_size)
{
    std::uint8_t out[16];
    for (std::size_t cap = 0; cap < 11; ++cap) {
        auto n = build_text(std::span<std::uint8_t>(out, cap), "Hello", rfc_key);
        ASSERT_FALSE(n) << cap;
        EXPECT_EQ(n.error(), errc::buffer_too_small);
    }
    EXPECT_EQ(build_text(std::span<std::uint8_t>(out, 11), "Hello", rfc_key).value_or(0), 11U);
}

TEST(frame_build, control_payload_limits)
{
    const std::string p125(125, 'p');
    const std::string p126(126, 'p');
    EXPECT_TRUE(built([&](auto o) { return build_ping(o, sv(p125), std::nullopt); }).size() == 127);
    std::uint8_t out[300];
    EXPECT_EQ(build_ping(out, sv(p126), std::nullopt).error(), errc::control_frame_too_long);
    EXPECT_EQ(build_pong(out, sv(p126), rfc_key).error(), errc::control_frame_too_long);
}

TEST(frame_build, close_frames)
{
    EXPECT_EQ(built([](auto o) { return build_close(o, 1000, "", std::nullopt); }),
              (buf{0x88, 0x02, 0x03, 0xE8}));
    EXPECT_EQ(built([](auto o) { return build_close(o, 1005, "", std::nullopt); }), (buf{0x88, 0x00}));
    EXPECT_EQ(built([](auto o) { return build_close(o, 4000, "ok", std::nullopt); }),
              (buf{0x88, 0x04, 0x0F, 0xA0, 'o', 'k'}));
    std::uint8_t out[200];
    EXPECT_EQ(build_close(out, 1005, "why", std::nullopt).error(), errc::close_code_invalid);
    EXPECT_EQ(build_close(out, 1006, "", std::nullopt).error(), errc::close_code_invalid);
    EXPECT_EQ(build_close(out, 999, "", rfc_key).error(), errc::close_code_invalid);
    EXPECT_EQ(build_close(out, 5000, "", std::nullopt).error(), errc::close_code_invalid);
    EXPECT_EQ(build_close(out, 1000, std::string(124, 'r'), std::nullopt).error(),
              errc::control_frame_too_long);
    EXPECT_TRUE(build_close(out, 1000, std::string(123, 'r'), std::nullopt));
    EXPECT_EQ(build_close(out, 1000, "\xff", std::nullopt).error(), errc::close_reason_invalid_utf8);
}

TEST(frame_build, round_trip_through_the_decoder_both_roles)
{
    const mask_key k{0xDE, 0xAD, 0xBE, 0xEF};
    std::string stream_masked;
    std::string stream_plain;
    auto add = [&](auto build) {
        auto m = built([&](auto o) { return build(o, std::optional<mask_key>(k)); });
        auto p = built([&](auto o) { return build(o, std::optional<mask_key>()); });
        stream_masked.append(m.begin(), m.end());
        stream_plain.append(p.begin(), p.end());
    };
    const buf bin(300, 0x5A);
    add([](auto o, auto key) { return build_text(o, "h\xc3\xa9llo", key); });
    add([&](auto o, auto key) { return build_binary(o, bin, key); });
    add([](auto o, auto key) { return build_ping(o, sv("p"), key); });
    add([](auto o, auto key) { return build_pong(o, sv(""), key); });
    add([](auto o, auto key) { return build_close(o, 1001, "gone", key); });
    const event_log want{"header text fin=1 len=6",
                         "data x68c3a96c6c6f",
                         "end text len=6",
                         "header binary fin=1 len=300",
                         data_line(std::string(300, 'Z')),
                         "end binary len=300",
                         "ping 'p'",
                         "pong ''",
                         "close 1001 'gone'"};
    expect_events(server_opts(), stream_masked, want);
    expect_events(client_opts(), stream_plain, want);
}

TEST(frame, opcode_helpers)
{
    EXPECT_TRUE(is_control(opcode::close));
    EXPECT_TRUE(is_control(opcode::ping));
    EXPECT_FALSE(is_control(opcode::continuation));
    EXPECT_FALSE(is_control(opcode::binary));
    for (int v = 0; v < 16; ++v) {
        EXPECT_EQ(is_known_opcode(static_cast<std::uint8_t>(v)), v <= 2 || (v >= 8 && v <= 10)) << v;
    }
    EXPECT_EQ(to_string(opcode::pong), "pong");
    EXPECT_EQ(to_string(static_cast<opcode>(5)), "reserved");
}

} // namespace
} // namespace wsp::ws::test
