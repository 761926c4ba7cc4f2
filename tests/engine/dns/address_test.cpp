// Tests of engine/dns/address.cpp: literals, ports, text form, host-name syntax limits.
#include "engine/dns/address.h"

#include <gtest/gtest.h>

#include <netinet/in.h>

#include <string>

namespace wsp::dns {
namespace {

TEST(numeric_address, parses_ipv4_and_ipv6_literals)
{
    const auto v4 = parse_numeric_address("192.0.2.1");
    ASSERT_TRUE(v4);
    EXPECT_EQ(v4->family(), address_family::v4);
    EXPECT_EQ(v4->length, sizeof(sockaddr_in));
    EXPECT_EQ(v4->to_string(), "192.0.2.1");
    EXPECT_EQ(v4->port(), 0);

    const auto v6 = parse_numeric_address("2001:DB8:0:0::1");
    ASSERT_TRUE(v6);
    EXPECT_EQ(v6->family(), address_family::v6);
    EXPECT_EQ(v6->length, sizeof(sockaddr_in6));
    EXPECT_EQ(v6->to_string(), "2001:db8::1");

    const auto mapped = parse_numeric_address("::ffff:192.0.2.1");
    ASSERT_TRUE(mapped);
    EXPECT_EQ(mapped->family(), address_family::v6);
}

TEST(numeric_address, rejects_everything_else)
{
    const std::string nul("1.2.3.4\0", 8);
    const std::string too_long(64, '1');
    for (std::string_view text : {std::string_view(""), std::string_view("1.2.3"), std::string_view("1.2.3.256"),
                                  std::string_view("example.test"), std::string_view("[::1]"),
                                  std::string_view("::1%lo"), std::string_view(" 1.2.3.4"), std::string_view(nul),
                                  std::string_view(too_long)}) {
        EXPECT_FALSE(parse_numeric_address(text)) << text;
    }
}

TEST(resolved_address, with_port_sets_network_order_port_and_keeps_the_address)
{
    const auto v4 = parse_numeric_address("127.0.0.1")->with_port(8443);
    EXPECT_EQ(v4.port(), 8443);
    EXPECT_EQ(reinterpret_cast<const sockaddr_in*>(&v4.storage)->sin_port, htons(8443));
    EXPECT_EQ(v4.to_string(), "127.0.0.1");
    EXPECT_EQ(v4.data()->sa_family, AF_INET);

    const auto v6 = parse_numeric_address("::1")->with_port(65535);
    EXPECT_EQ(v6.port(), 65535);
    EXPECT_EQ(reinterpret_cast<const sockaddr_in6*>(&v6.storage)->sin6_port, htons(65535));
}

TEST(resolved_address, equality_covers_family_address_and_port)
{
    const auto a = *parse_numeric_address("192.0.2.1");
    EXPECT_EQ(a, *parse_numeric_address("192.0.2.1"));
    EXPECT_NE(a, *parse_numeric_address("192.0.2.2"));
    EXPECT_NE(a, a.with_port(1));
    EXPECT_NE(a, *parse_numeric_address("::ffff:192.0.2.1"));
    EXPECT_EQ(*parse_numeric_address("::1"), *parse_numeric_address("0::1"));
    EXPECT_NE(*parse_numeric_address("::1"), *parse_numeric_address("::2"));
}

TEST(resolved_address, from_sockaddr_checks_family_and_length)
{
    sockaddr_in in{};
    in.sin_family = AF_INET;
    in.sin_addr.s_addr = htonl(0xc0000201);
    const auto ok = from_sockaddr(reinterpret_cast<const sockaddr*>(&in), sizeof(in));
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->to_string(), "192.0.2.1");
    EXPECT_FALSE(from_sockaddr(reinterpret_cast<const sockaddr*>(&in), sizeof(in) - 1));
    EXPECT_FALSE(from_sockaddr(nullptr, sizeof(in)));
    sockaddr_in6 in6{};
    in6.sin6_family = AF_INET6;
    EXPECT_TRUE(from_sockaddr(reinterpret_cast<const sockaddr*>(&in6), sizeof(in6)));
    EXPECT_FALSE(from_sockaddr(reinterpret_cast<const sockaddr*>(&in6), sizeof(sockaddr_in)));
    in.sin_family = AF_UNIX;
    EXPECT_FALSE(from_sockaddr(reinterpret_cast<const sockaddr*>(&in), sizeof(in)));
}

TEST(host_name, accepts_ordinary_names)
{
    for (std::string_view name : {"localhost", "example.test", "example.test.", "a-b.c_d.test", "1.2.3",
                                  "xn--bcher-kva.example", "A.B.C"}) {
        EXPECT_TRUE(is_valid_host_name(name)) << name;
    }
}

TEST(host_name, enforces_rfc_1035_length_limits)
{
    const std::string label63(63, 'a');
    const std::string label64(64, 'a');
    EXPECT_TRUE(is_valid_host_name(label63 + ".test"));
    EXPECT_FALSE(is_valid_host_name(label64 + ".test"));

    // Four labels of 63 plus separators: 63*4 + 3 = 255 characters, too long; trim to 253.
    std::string name = label63 + "." + label63 + "." + label63 + "." + label63;
    ASSERT_EQ(name.size(), 255U);
    EXPECT_FALSE(is_valid_host_name(name));
    name.resize(253);
    EXPECT_TRUE(is_valid_host_name(name));
    EXPECT_TRUE(is_valid_host_name(name + "."));
    EXPECT_FALSE(is_valid_host_name(name + "a"));
}

TEST(host_name, rejects_malformed_names)
{
    const std::string nul("a\0b", 3);
    for (std::string_view name : {std::string_view(""), std::string_view("."), std::string_view(".."),
                                  std::string_view("a..b"), std::string_view(".a"), std::string_view("-a"),
                                  std::string_view("a-"), std::string_view("a b"), std::string_view("a/b"),
                                  std::string_view("a:b"), std::string_view("caf\xc3\xa9.test"),
                                  std::string_view(nul), std::string_view("a.b..")}) {
        EXPECT_FALSE(is_valid_host_name(name)) << name;
    }
}

} // namespace
} // namespace wsp::dns
