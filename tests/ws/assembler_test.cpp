// ws/assembler.cpp (RFC 6455 §5.4): fragmented messages reassembled through the decoder at every
// chunking; the caller's buffer bounds the message and is checked before payload is copied.
#include "ws/assembler.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/ws/decode_harness.h"
#include "ws/decoder.h"

namespace wsp::ws::test {
namespace {

struct outcome {
    std::vector<std::string> messages; // "text:<bytes>" / "binary:<bytes>"
    std::string error;
    std::size_t payload_bytes_copied_before_error = 0;
    bool operator==(const outcome&) const = default;
};

outcome assemble(const std::string& input, std::size_t capacity, std::size_t chunk)
{
    std::vector<std::uint8_t> storage(capacity);
    message_assembler assembler(storage);
    decoder dec(client_opts());
    outcome out;
    for (std::size_t pos = 0; pos < input.size(); pos += chunk) {
        std::string piece = input.substr(pos, chunk);
        std::span<std::uint8_t> in{reinterpret_cast<std::uint8_t*>(piece.data()), piece.size()};
        for (;;) {
            auto r = dec.next(in);
            if (!r) {
                out.error = std::string(r.error().name());
                return out;
            }
            in = in.subspan(r->consumed);
            if (r->ev.kind == event_kind::need_more) {
                break;
            }
            auto done = assembler.feed(r->ev);
            if (!done) {
                out.error = std::string(done.error().name());
                return out;
            }
            if (*done) {
                const auto m = assembler.message();
                out.messages.push_back(std::string(to_string(assembler.message_opcode())) + ":" +
                                       std::string(reinterpret_cast<const char*>(m.data()), m.size()));
            }
        }
    }
    return out;
}

const std::string stream = bytes({0x01, 0x03}) + "Hel" + bytes({0x89, 0x01}) + "p" + bytes({0x00, 0x00}) +
                           bytes({0x80, 0x02}) + "lo" + bytes({0x82, 0x03}) + "xyz" + bytes({0x81, 0x00});

TEST(message_assembler, reassembles_fragments_at_every_chunk_size)
{
    const outcome want{{"text:Hello", "binary:xyz", "text:"}, "", 0};
    for (std::size_t chunk = 1; chunk <= stream.size(); ++chunk) {
        EXPECT_EQ(assemble(stream, 5, chunk), want) << "chunk " << chunk;
    }
}

TEST(message_assembler, buffer_bound_is_checked_at_the_header)
{
    // 4 bytes of storage: "Hel" fits, the continuation "lo" (3 + 2 > 4) does not.
    for (std::size_t chunk = 1; chunk <= stream.size(); ++chunk) {
        const outcome got = assemble(stream, 4, chunk);
        EXPECT_EQ(got.error, "message_too_large") << chunk;
        EXPECT_TRUE(got.messages.empty()) << chunk;
    }
}

TEST(message_assembler, stays_failed_and_ignores_control_events)
{
    std::vector<std::uint8_t> storage(2);
    message_assembler a(storage);
    event ping;
    ping.kind = event_kind::control;
    ping.op = opcode::ping;
    EXPECT_EQ(a.feed(ping).value_or(true), false);
    event big;
    big.kind = event_kind::frame_header;
    big.op = opcode::binary;
    big.length = 3;
    EXPECT_EQ(a.feed(big).error(), errc::message_too_large);
    big.length = 1;
    EXPECT_FALSE(a.feed(big).has_value()) << "a failed assembler stays failed";
    EXPECT_EQ(a.capacity(), 2U);
}

} // namespace
} // namespace wsp::ws::test
