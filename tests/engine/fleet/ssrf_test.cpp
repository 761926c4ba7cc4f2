#include "engine/fleet/ssrf.h"

#include <gtest/gtest.h>

#include <cstring>

#include <arpa/inet.h>
#include <netinet/in.h>

using namespace wsp::fleet;

namespace {

ip_address ip(std::string_view s)
{
    auto a = parse_ip(s);
    EXPECT_TRUE(a) << s;
    return a ? *a : ip_address{};
}

ssrf_decision judge(std::string_view addr, bool deny_private = false,
                    std::vector<std::string_view> allow = {})
{
    ssrf_policy p;
    p.deny_private = deny_private;
    for (auto a : allow) {
        p.allow.add(*parse_cidr(a));
    }
    return judge_address(p, ip(addr));
}

} // namespace

TEST(ip_address, parses_and_prints)
{
    EXPECT_TRUE(ip("192.0.2.1").is_v4());
    EXPECT_EQ(ip("192.0.2.1").text(), "192.0.2.1");
    EXPECT_FALSE(ip("2001:db8::1").is_v4());
    EXPECT_EQ(ip("2001:DB8:0:0::1").text(), "2001:db8::1");
    EXPECT_EQ(ip("::ffff:192.0.2.1"), ip("192.0.2.1")); // mapped IPv4 is the IPv4 address
    for (const char* bad :
         {"", "1.2.3", "1.2.3.256", "01.2.3.4x", "example.com", "[::1]", "fe80::1%eth0", "1.2.3.4/8"}) {
        auto a = parse_ip(bad);
        ASSERT_FALSE(a) << bad;
        EXPECT_EQ(a.error(), errc::bad_cidr);
    }
}

TEST(ip_address, from_sockaddr)
{
    sockaddr_in in{};
    in.sin_family = AF_INET;
    inet_pton(AF_INET, "169.254.169.254", &in.sin_addr);
    auto a = from_sockaddr(reinterpret_cast<const sockaddr*>(&in), sizeof(in));
    ASSERT_TRUE(a);
    EXPECT_EQ(a->text(), "169.254.169.254");

    sockaddr_in6 in6{};
    in6.sin6_family = AF_INET6;
    inet_pton(AF_INET6, "fd00:ec2::254", &in6.sin6_addr);
    auto b = from_sockaddr(reinterpret_cast<const sockaddr*>(&in6), sizeof(in6));
    ASSERT_TRUE(b);
    EXPECT_EQ(b->text(), "fd00:ec2::254");

    EXPECT_FALSE(from_sockaddr(reinterpret_cast<const sockaddr*>(&in6), sizeof(in6) - 1));
    sockaddr un{};
    un.sa_family = AF_UNIX;
    EXPECT_FALSE(from_sockaddr(&un, sizeof(un)));
    EXPECT_FALSE(from_sockaddr(nullptr, 0));
}

TEST(cidr, parses_blocks_and_single_addresses)
{
    auto b = parse_cidr("169.254.0.0/16");
    ASSERT_TRUE(b);
    EXPECT_EQ(b->prefix, 96u + 16);
    EXPECT_EQ(b->text(), "169.254.0.0/16");
    EXPECT_TRUE(b->contains(ip("169.254.169.254")));
    EXPECT_TRUE(b->contains(ip("::ffff:169.254.1.1")));
    EXPECT_FALSE(b->contains(ip("169.255.0.0")));

    auto v6 = parse_cidr("fe80::/10");
    ASSERT_TRUE(v6);
    EXPECT_EQ(v6->text(), "fe80::/10");
    EXPECT_TRUE(v6->contains(ip("febf:ffff::1")));
    EXPECT_FALSE(v6->contains(ip("fec0::1")));

    EXPECT_EQ(parse_cidr("10.1.2.3")->text(), "10.1.2.3");
    EXPECT_TRUE(parse_cidr("10.1.2.3")->contains(ip("10.1.2.3")));
    EXPECT_FALSE(parse_cidr("10.1.2.3")->contains(ip("10.1.2.4")));
    EXPECT_TRUE(parse_cidr("0.0.0.0/0")->contains(ip("203.0.113.9")));
    EXPECT_FALSE(parse_cidr("0.0.0.0/0")->contains(ip("2001:db8::1")));
    EXPECT_TRUE(parse_cidr("::/0")->contains(ip("2001:db8::1")));

    for (const char* bad : {"10.0.0.1/8", "10.0.0.0/33", "fe80::/129", "10.0.0.0/", "10.0.0.0/08",
                            "10.0.0.0/-1", "10.0.0.0/8/8", "/8", "host/8"}) {
        auto c = parse_cidr(bad);
        ASSERT_FALSE(c) << bad;
        EXPECT_EQ(c.error(), errc::bad_cidr);
    }
}

TEST(ssrf, refuses_metadata_and_link_local_by_default)
{
    const auto d = judge("169.254.169.254");
    EXPECT_FALSE(d.allowed);
    EXPECT_EQ(d.reason, ssrf_reason::cloud_metadata);
    EXPECT_EQ(d.sentence, "refused 169.254.169.254: cloud metadata address (SSRF guard)");
    EXPECT_EQ(judge("fd00:ec2::254").reason, ssrf_reason::cloud_metadata);
    EXPECT_EQ(judge("100.100.100.200").reason, ssrf_reason::cloud_metadata);
    EXPECT_EQ(judge("169.254.10.1").reason, ssrf_reason::link_local);
    EXPECT_EQ(judge("fe80::1").sentence, "refused fe80::1: link-local address (SSRF guard)");
    EXPECT_FALSE(judge("::ffff:169.254.169.254").allowed); // mapped IPv4 judged as IPv4
    EXPECT_FALSE(judge("64:ff9b::a9fe:a9fe").allowed);     // NAT64 of 169.254.169.254
}

TEST(ssrf, private_ranges_only_with_deny_private)
{
    for (const char* a : {"10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "127.0.0.1", "::1",
                          "fd12::1", "100.64.0.1", "0.0.0.0", "::", "::ffff:10.0.0.1"}) {
        EXPECT_TRUE(judge(a).allowed) << a;
        EXPECT_FALSE(judge(a, true).allowed) << a;
    }
    EXPECT_EQ(judge("10.1.2.3", true).sentence,
              "refused 10.1.2.3: private network address (RFC 1918) (SSRF guard)");
    EXPECT_EQ(judge("127.0.0.1", true).reason, ssrf_reason::loopback);
    EXPECT_EQ(judge("fd12::1", true).reason, ssrf_reason::unique_local);
    EXPECT_EQ(judge("100.64.0.1", true).reason, ssrf_reason::shared_address);
    for (const char* a : {"203.0.113.5", "172.32.0.1", "100.128.0.1", "2001:db8::1", "8.8.8.8"}) {
        const auto d = judge(a, true);
        EXPECT_TRUE(d.allowed) << a;
        EXPECT_EQ(d.sentence, "allowed " + std::string(a));
    }
}

TEST(ssrf, allow_exceptions_win)
{
    const auto d = judge("10.0.0.7", true, {"10.0.0.0/24"});
    EXPECT_TRUE(d.allowed);
    EXPECT_EQ(d.reason, ssrf_reason::allowed_by_exception);
    EXPECT_EQ(d.sentence,
              "allowed 10.0.0.7: private network address (RFC 1918) permitted by --allow 10.0.0.0/24");
    EXPECT_FALSE(judge("10.0.1.7", true, {"10.0.0.0/24"}).allowed);
    EXPECT_TRUE(judge("169.254.169.254", false, {"169.254.169.254"}).allowed);
    EXPECT_TRUE(judge("::1", true, {"::1"}).allowed);
    EXPECT_TRUE(judge("::ffff:127.0.0.1", true, {"127.0.0.0/8"}).allowed);
}
