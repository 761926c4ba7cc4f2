// ws::decoder::at_rest() (ws/decoder.h): true exactly where a fresh decoder with the same options
// would go on identically, which lets an idle held connection drop its decoder state between
// frames (RFC 6455 §5.4 fragments and §5.5 control frames in between keep it in use).
#include "ws/decoder.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace wsp::ws {
namespace {

std::vector<std::uint8_t> wire(std::initializer_list<int> v)
{
    std::vector<std::uint8_t> out;
    for (const int b : v) {
        out.push_back(static_cast<std::uint8_t>(b));
    }
    return out;
}

// Unmasked server frames: a text message in two fragments with a ping between them, a pong,
// a whole binary message, then a close with 1000.
const std::vector<std::uint8_t> stream = wire({0x01, 0x02, 'h',  'e',  0x89, 0x01, 'p',  0x80, 0x01, 'y',
                                               0x8a, 0x00, 0x82, 0x02, 0x01, 0x02, 0x88, 0x02, 0x03, 0xe8});

decoder_options client()
{
    decoder_options o;
    o.local = role::client;
    return o;
}

// Decodes `in` one byte at a time; after each byte's events, records at_rest(). When `restart`,
// a decoder at rest is replaced by a fresh one before the next byte. Returns the event kinds,
// opcodes and lengths as text.
std::string decode_bytewise(const std::vector<std::uint8_t>& in, bool restart, std::vector<bool>* rest)
{
    std::string events;
    decoder d(client());
    std::vector<std::uint8_t> buf(in);
    for (std::size_t i = 0; i < buf.size(); ++i) {
        std::span<std::uint8_t> left(buf.data() + i, 1);
        for (;;) {
            auto r = d.next(left);
            if (!r) {
                events += "error;";
                break;
            }
            left = left.subspan(r->consumed);
            if (r->ev.kind == event_kind::need_more) {
                break;
            }
            events += std::to_string(static_cast<int>(r->ev.kind)) + "/" +
                      std::to_string(static_cast<int>(r->ev.op)) + "/" + std::to_string(r->ev.length) + ";";
        }
        rest->push_back(d.at_rest());
        if (restart && d.at_rest()) {
            d = decoder(client());
        }
    }
    return events;
}

TEST(DecoderAtRest, FreshDecoderIsAtRest)
{
    EXPECT_TRUE(decoder(client()).at_rest());
}

TEST(DecoderAtRest, OnlyBetweenFramesOutsideMessages)
{
    std::vector<bool> rest;
    (void)decode_bytewise(stream, false, &rest);
    ASSERT_EQ(rest.size(), stream.size());
    // Inside the fragmented text message (bytes 0..9, the ping included) never at rest.
    for (std::size_t i = 0; i < 9; ++i) {
        EXPECT_FALSE(rest[i]) << "byte " << i;
    }
    EXPECT_TRUE(rest[9]);   // the second fragment's last byte ends the message
    EXPECT_FALSE(rest[10]); // the pong's first header byte
    EXPECT_TRUE(rest[11]);  // the pong is whole
    EXPECT_FALSE(rest[13]); // binary header read, payload pending
    EXPECT_TRUE(rest[15]);  // binary message whole
    EXPECT_FALSE(rest[19]); // after a close frame nothing may follow: not a fresh state
}

TEST(DecoderAtRest, RestartingAtRestChangesNoEvent)
{
    std::vector<bool> rest_a;
    std::vector<bool> rest_b;
    const std::string kept = decode_bytewise(stream, false, &rest_a);
    const std::string restarted = decode_bytewise(stream, true, &rest_b);
    EXPECT_EQ(kept, restarted);
    EXPECT_EQ(rest_a, rest_b);
    EXPECT_NE(kept.find("3/1/3;"), std::string::npos) << kept; // text message of 3 bytes
}

TEST(DecoderAtRest, FailedDecoderIsNotAtRest)
{
    decoder d(client());
    std::vector<std::uint8_t> bad = wire({0x83, 0x00}); // RFC 6455 §5.2: opcode 3 is reserved
    auto r = d.next(bad);
    EXPECT_FALSE(r.has_value());
    EXPECT_TRUE(d.failed());
    EXPECT_FALSE(d.at_rest());
}

} // namespace
} // namespace wsp::ws
