// ws/close.cpp (RFC 6455 §5.5.1, §7.4): close payload parsing, wire validity of every code, names.
#include "ws/close.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace wsp::ws {
namespace {

wsp::expected<close_info> parse(const std::string& s)
{
    return parse_close_payload({reinterpret_cast<const std::uint8_t*>(s.data()), s.size()});
}

TEST(close_payload, empty_is_no_status)
{
    auto r = parse("");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->code, 1005);
    EXPECT_TRUE(r->reason.empty());
}

TEST(close_payload, code_and_reason)
{
    const std::string p = std::string("\x03\xe8", 2) + "bye \xe2\x82\xac";
    auto r = parse(p);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->code, 1000);
    EXPECT_EQ(r->reason, "bye \xe2\x82\xac");
    EXPECT_EQ(r->reason.data(), p.data() + 2) << "reason views the payload";
    auto code_only = parse(std::string("\x0f\xa0", 2));
    ASSERT_TRUE(code_only);
    EXPECT_EQ(code_only->code, 4000);
    EXPECT_TRUE(code_only->reason.empty());
}

TEST(close_payload, errors)
{
    EXPECT_EQ(parse("\x03").error(), errc::close_payload_length_one);
    EXPECT_EQ(parse(std::string("\x03\xed", 2)).error(), errc::close_code_invalid);
    EXPECT_EQ(parse(std::string("\x00\x00", 2)).error(), errc::close_code_invalid);
    EXPECT_EQ(parse(std::string("\x03\xe8\xff", 3)).error(), errc::close_reason_invalid_utf8);
    EXPECT_EQ(parse(std::string("\x03\xe8\xed\xa0\x80", 5)).error(), errc::close_reason_invalid_utf8);
    EXPECT_EQ(parse(std::string("\x03\xe8\xe2\x82", 4)).error(), errc::close_reason_invalid_utf8);
}

TEST(close_code, wire_validity_of_every_value)
{
    for (int c = 0; c <= 0xFFFF; ++c) {
        const bool want = (c >= 1000 && c <= 1003) || (c >= 1007 && c <= 1014) || (c >= 3000 && c <= 4999);
        ASSERT_EQ(is_valid_wire_close_code(static_cast<std::uint16_t>(c)), want) << c;
        const std::string p{static_cast<char>(c >> 8), static_cast<char>(c & 0xFF)};
        ASSERT_EQ(parse(p).has_value(), want) << c;
    }
}

TEST(close_code, names_of_every_class)
{
    EXPECT_EQ(close_code_name(1000), "normal closure");
    EXPECT_EQ(close_code_name(1001), "going away");
    EXPECT_EQ(close_code_name(1002), "protocol error");
    EXPECT_EQ(close_code_name(1005), "no status received");
    EXPECT_EQ(close_code_name(1006), "abnormal closure");
    EXPECT_EQ(close_code_name(1009), "message too big");
    EXPECT_EQ(close_code_name(1011), "internal server error");
    EXPECT_EQ(close_code_name(1013), "try again later");
    EXPECT_EQ(close_code_name(1015), "TLS handshake failure");
    EXPECT_EQ(close_code_name(0), "invalid (below 1000)");
    EXPECT_EQ(close_code_name(999), "invalid (below 1000)");
    EXPECT_EQ(close_code_name(1016), "reserved for the protocol (1016-2999)");
    EXPECT_EQ(close_code_name(2999), "reserved for the protocol (1016-2999)");
    EXPECT_EQ(close_code_name(3000), "registered (3000-3999)");
    EXPECT_EQ(close_code_name(4000), "application-defined (4000-4999)");
    EXPECT_EQ(close_code_name(4999), "application-defined (4000-4999)");
    EXPECT_EQ(close_code_name(5000), "invalid (5000 and above)");
    EXPECT_EQ(close_code_name(65535), "invalid (5000 and above)");
    std::set<std::string_view> registered;
    for (int c = 1000; c <= 1015; ++c) {
        registered.insert(close_code_name(static_cast<std::uint16_t>(c)));
    }
    EXPECT_EQ(registered.size(), 16U) << "each registered code has its own name";
}

} // namespace
} // namespace wsp::ws
