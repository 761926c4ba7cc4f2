// Tests of engine/dns/server_list.cpp: the accepted server address forms and their rejections.
#include "engine/dns/server_list.h"

#include <gtest/gtest.h>

namespace wsp::dns {
namespace {

TEST(parse_server, accepts_the_four_forms)
{
    const auto bare4 = parse_server("192.0.2.53");
    ASSERT_TRUE(bare4);
    EXPECT_EQ(bare4->to_string(), "192.0.2.53");
    EXPECT_EQ(bare4->port(), 53);

    const auto port4 = parse_server("127.0.0.1:5353");
    ASSERT_TRUE(port4);
    EXPECT_EQ(port4->to_string(), "127.0.0.1");
    EXPECT_EQ(port4->port(), 5353);

    const auto bare6 = parse_server("::1");
    ASSERT_TRUE(bare6);
    EXPECT_EQ(bare6->family(), address_family::v6);
    EXPECT_EQ(bare6->port(), 53);

    const auto bracket6 = parse_server("[2001:db8::53]");
    ASSERT_TRUE(bracket6);
    EXPECT_EQ(bracket6->to_string(), "2001:db8::53");
    EXPECT_EQ(bracket6->port(), 53);

    const auto port6 = parse_server("[::1]:65535");
    ASSERT_TRUE(port6);
    EXPECT_EQ(port6->port(), 65535);
}

TEST(parse_server, rejects_names_bad_ports_and_bad_brackets)
{
    for (std::string_view text : {"", "dns.example", "dns.example:53", "127.0.0.1:", "127.0.0.1:0",
                                  "127.0.0.1:65536", "127.0.0.1:+53", "127.0.0.1:053", "127.0.0.1:5x",
                                  "127.0.0.1: 53", "[::1", "[::1]53", "[::1]:", "[127.0.0.1]:53", "[]",
                                  "::1:53x", "1.2.3.4:5:6"}) {
        const auto r = parse_server(text);
        ASSERT_FALSE(r) << text;
        EXPECT_TRUE(r.error().is(errc::bad_server)) << text;
        EXPECT_EQ(r.error().cls(), wsp::failure_class::config);
    }
}

} // namespace
} // namespace wsp::dns
