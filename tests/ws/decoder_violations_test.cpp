// Every RFC 6455 §5 violation ws/decoder.cpp rejects, each with its own error code, run whole, at
// every two-way split and one byte at a time; events before the error are part of the expectation.
#include <gtest/gtest.h>

#include <string>

#include "tests/ws/decode_harness.h"
#include "ws/decoder.h"
#include "ws/error.h"

namespace wsp::ws::test {
namespace {

decoder_options deflate_opts()
{
    decoder_options o = client_opts();
    o.permessage_deflate = true;
    return o;
}

TEST(decoder_violation, reserved_bits_set)
{
    expect_events(client_opts(), bytes({0xC1, 0x00}), {"error reserved_bits_set"});  // RSV1, no deflate
    expect_events(client_opts(), bytes({0xA2, 0x00}), {"error reserved_bits_set"});  // RSV2
    expect_events(client_opts(), bytes({0x92, 0x00}), {"error reserved_bits_set"});  // RSV3
    expect_events(deflate_opts(), bytes({0xA1, 0x00}), {"error reserved_bits_set"}); // RSV2 with deflate
    expect_events(deflate_opts(), bytes({0xC9, 0x00}), {"error reserved_bits_set"}); // RSV1 on ping
    // RSV1 on a continuation frame (RFC 7692 §6.1).
    expect_events(deflate_opts(), bytes({0x01, 0x01, 0x61, 0xC0, 0x00}),
                  {"header text fin=0 len=1", "data 'a'", "error reserved_bits_set"});
}

TEST(decoder_violation, unknown_opcode)
{
    for (int op : {0x3, 0x4, 0x5, 0x6, 0x7, 0xB, 0xC, 0xD, 0xE, 0xF}) {
        SCOPED_TRACE(op);
        expect_events(client_opts(), bytes({0x80 | op, 0x00}), {"error unknown_opcode"});
    }
}

TEST(decoder_violation, fragmented_control_frame)
{
    expect_events(client_opts(), bytes({0x09, 0x00}), {"error fragmented_control_frame"});
    expect_events(client_opts(), bytes({0x08, 0x00}), {"error fragmented_control_frame"});
}

TEST(decoder_violation, control_frame_too_long)
{
    expect_events(client_opts(), bytes({0x89, 0x7E, 0x00, 0x7E}), {"error control_frame_too_long"});
    expect_events(client_opts(), bytes({0x88, 0x7F, 0, 0, 0, 0, 0, 0, 0, 0x7E}),
                  {"error control_frame_too_long"});
    expect_events(server_opts(), bytes({0x8A, 0xFE, 0x00, 0x7E, 1, 2, 3, 4}),
                  {"error control_frame_too_long"});
}

TEST(decoder_violation, non_minimal_length)
{
    expect_events(client_opts(), bytes({0x82, 0x7E, 0x00, 0x7D}), {"error non_minimal_length"});
    expect_events(client_opts(), bytes({0x82, 0x7E, 0x00, 0x00}), {"error non_minimal_length"});
    expect_events(client_opts(), bytes({0x82, 0x7F, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF}),
                  {"error non_minimal_length"});
    expect_events(client_opts(), bytes({0x82, 0x7F, 0, 0, 0, 0, 0, 0, 0, 0x05}),
                  {"error non_minimal_length"});
}

TEST(decoder_violation, length_top_bit_set)
{
    expect_events(client_opts(), bytes({0x82, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 0}),
                  {"error length_top_bit_set"});
    expect_events(client_opts(), bytes({0x82, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}),
                  {"error length_top_bit_set"});
}

TEST(decoder_violation, masked_server_frame)
{
    expect_events(client_opts(), bytes({0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}),
                  {"error masked_server_frame"});
    expect_events(client_opts(), bytes({0x89, 0x80, 1, 2, 3, 4}), {"error masked_server_frame"});
}

TEST(decoder_violation, unmasked_client_frame)
{
    expect_events(server_opts(), bytes({0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f}),
                  {"error unmasked_client_frame"});
    expect_events(server_opts(), bytes({0x88, 0x00}), {"error unmasked_client_frame"});
}

TEST(decoder_violation, continuation_without_start)
{
    expect_events(client_opts(), bytes({0x80, 0x00}), {"error continuation_without_start"});
    // After a complete message, a continuation has nothing to continue.
    expect_events(
        client_opts(), bytes({0x82, 0x01, 0x61, 0x00, 0x01, 0x62}),
        {"header binary fin=1 len=1", "data 'a'", "end binary len=1", "error continuation_without_start"});
}

TEST(decoder_violation, data_frame_inside_fragmented_message)
{
    expect_events(client_opts(), bytes({0x01, 0x01, 0x61, 0x81, 0x01, 0x62}),
                  {"header text fin=0 len=1", "data 'a'", "error data_frame_inside_fragmented_message"});
    // A control frame in between does not end the message.
    expect_events(client_opts(), bytes({0x02, 0x00, 0x89, 0x00, 0x82, 0x00}),
                  {"header binary fin=0 len=0", "ping ''", "error data_frame_inside_fragmented_message"});
}

TEST(decoder_violation, message_too_large_from_header_before_payload)
{
    decoder_options o = client_opts();
    o.max_message_size = 10;
    expect_events(o, bytes({0x82, 0x0A}) + std::string(10, 'x'),
                  {"header binary fin=1 len=10", data_line(std::string(10, 'x')), "end binary len=10"});
    // Only the header is sent: the limit is enforced before any payload arrives.
    expect_events(o, bytes({0x82, 0x0B}), {"error message_too_large"});
    expect_events(o, bytes({0x82, 0x7F, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}),
                  {"error message_too_large"});
    // Fragments add up: 6 + 5 > 10.
    expect_events(o, bytes({0x02, 0x06}) + "abcdef" + bytes({0x80, 0x05}),
                  {"header binary fin=0 len=6", "data 'abcdef'", "error message_too_large"});
    EXPECT_EQ(wsp::error(errc::message_too_large).cls(), wsp::failure_class::limit);
}

TEST(decoder_violation, invalid_utf8_delivers_the_valid_prefix_then_fails)
{
    expect_events(client_opts(), bytes({0x81, 0x02, 0xC0, 0x80}),
                  {"header text fin=1 len=2", "error invalid_utf8"});
    expect_events(client_opts(), bytes({0x81, 0x03, 0x61, 0x62, 0xFF}),
                  {"header text fin=1 len=3", "data 'ab'", "error invalid_utf8"});
    // Overlong three-byte form of '/': E0 80 AF fails at its second byte.
    expect_events(client_opts(), bytes({0x81, 0x04, 0x61, 0xE0, 0x80, 0xAF}),
                  {"header text fin=1 len=4", "data x61e0", "error invalid_utf8"});
    // Surrogate U+D800.
    expect_events(client_opts(), bytes({0x81, 0x03, 0xED, 0xA0, 0x80}),
                  {"header text fin=1 len=3", "data xed", "error invalid_utf8"});
    // Above U+10FFFF.
    expect_events(client_opts(), bytes({0x81, 0x04, 0xF4, 0x90, 0x80, 0x80}),
                  {"header text fin=1 len=4", "data xf4", "error invalid_utf8"});
}

TEST(decoder_violation, invalid_utf8_truncated_at_message_end)
{
    expect_events(client_opts(), bytes({0x81, 0x02, 0x61, 0xE2}),
                  {"header text fin=1 len=2", "data x61e2", "error invalid_utf8"});
    expect_events(client_opts(), bytes({0x01, 0x01, 0xE2, 0x80, 0x01, 0x82}),
                  {"header text fin=0 len=1", "data xe2", "header continuation fin=1 len=1", "data x82",
                   "error invalid_utf8"});
}

TEST(decoder_violation, invalid_utf8_in_a_long_masked_message)
{
    // 100 ASCII bytes then a stray continuation byte: the simdjson path must agree on the offset.
    std::string text(100, 'a');
    text += static_cast<char>(0x80);
    const mask_key k{0x11, 0x22, 0x33, 0x44};
    std::string in(text.size() + max_header_size, '\0');
    auto n = build_text({reinterpret_cast<std::uint8_t*>(in.data()), in.size()}, text, k);
    ASSERT_TRUE(n);
    in.resize(*n);
    expect_events(server_opts(), in,
                  {"header text fin=1 len=101", data_line(std::string(100, 'a')), "error invalid_utf8"});
}

TEST(decoder_violation, close_payload_length_one)
{
    expect_events(client_opts(), bytes({0x88, 0x01, 0x03}), {"error close_payload_length_one"});
}

TEST(decoder_violation, close_code_invalid)
{
    expect_events(client_opts(), bytes({0x88, 0x02, 0x03, 0xED}), {"error close_code_invalid"});
}

TEST(decoder_violation, close_reason_invalid_utf8)
{
    expect_events(client_opts(), bytes({0x88, 0x05, 0x03, 0xE8, 0x61, 0xFF, 0xFE}),
                  {"error close_reason_invalid_utf8"});
    expect_events(client_opts(), bytes({0x88, 0x03, 0x03, 0xE8, 0xC3}), {"error close_reason_invalid_utf8"});
}

TEST(decoder_violation, frame_after_close)
{
    expect_events(client_opts(), bytes({0x88, 0x02, 0x03, 0xE8, 0x81, 0x00}),
                  {"close 1000 ''", "error frame_after_close"});
}

TEST(decoder_violation, checks_run_in_a_fixed_order)
{
    // Unknown opcode and RSV2 and masked: the opcode is checked first.
    expect_events(client_opts(), bytes({0xA3, 0x80}), {"error unknown_opcode"});
    // Fragmented ping that is also masked: byte 0 problems come before byte 1 problems.
    expect_events(client_opts(), bytes({0x09, 0x80}), {"error fragmented_control_frame"});
    // Masked server frame with a non-minimal length: the mask bit (byte 1) comes first.
    expect_events(client_opts(), bytes({0x82, 0xFE, 0x00, 0x01}), {"error masked_server_frame"});
}

TEST(decoder_violation, a_failed_decoder_stays_failed)
{
    decoder dec(client_opts());
    std::string bad = bytes({0x83, 0x00});
    auto r = dec.next({reinterpret_cast<std::uint8_t*>(bad.data()), bad.size()});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), errc::unknown_opcode);
    std::string good = bytes({0x81, 0x01, 0x61});
    auto again = dec.next({reinterpret_cast<std::uint8_t*>(good.data()), good.size()});
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error(), errc::unknown_opcode);
    EXPECT_EQ(dec.last_error(), errc::unknown_opcode);
}

} // namespace
} // namespace wsp::ws::test
