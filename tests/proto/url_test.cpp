#include "proto/url.h"

#include <gtest/gtest.h>

using wsp::proto::errc;
using wsp::proto::host_kind;
using wsp::proto::parse_ws_url;

TEST(url, plain_ws_defaults)
{
    auto u = parse_ws_url("ws://Example.COM");
    ASSERT_TRUE(u) << u.error().name();
    EXPECT_FALSE(u->secure);
    EXPECT_EQ(u->host, "example.com");
    EXPECT_EQ(u->port, 80);
    EXPECT_EQ(u->target, "/");
    EXPECT_EQ(u->kind, host_kind::name);
    EXPECT_EQ(u->authority(), "example.com");
    EXPECT_EQ(u->text(), "ws://example.com/");
}

TEST(url, wss_with_port_path_and_query_keeps_target_case)
{
    auto u = parse_ws_url("WSS://api.example.com:8443/GraphQL?Token=AbC");
    ASSERT_TRUE(u);
    EXPECT_TRUE(u->secure);
    EXPECT_EQ(u->port, 8443);
    EXPECT_EQ(u->target, "/GraphQL?Token=AbC");
    EXPECT_EQ(u->authority(), "api.example.com:8443");
}

TEST(url, default_port_written_explicitly_is_omitted_from_authority)
{
    auto u = parse_ws_url("wss://h:443/x");
    ASSERT_TRUE(u);
    EXPECT_TRUE(u->explicit_port);
    EXPECT_EQ(u->authority(), "h");
}

TEST(url, query_without_path_gets_a_slash)
{
    auto u = parse_ws_url("ws://h?x=1");
    ASSERT_TRUE(u);
    EXPECT_EQ(u->target, "/?x=1");
}

TEST(url, ipv4_and_ipv6_literals)
{
    auto v4 = parse_ws_url("ws://127.0.0.1:9000/echo");
    ASSERT_TRUE(v4);
    EXPECT_EQ(v4->kind, host_kind::ipv4);
    EXPECT_EQ(v4->host, "127.0.0.1");
    auto v6 = parse_ws_url("ws://[::1]:9000/echo");
    ASSERT_TRUE(v6);
    EXPECT_EQ(v6->kind, host_kind::ipv6);
    EXPECT_EQ(v6->host, "::1");
    EXPECT_EQ(v6->authority(), "[::1]:9000");
    auto full = parse_ws_url("wss://[2001:db8:0:0:1:0:0:1]/");
    ASSERT_TRUE(full);
    EXPECT_EQ(full->authority(), "[2001:db8:0:0:1:0:0:1]");
    auto mapped = parse_ws_url("ws://[::ffff:192.0.2.1]/");
    ASSERT_TRUE(mapped);
    // A name that looks numeric but is not a dotted quad stays a name.
    auto name = parse_ws_url("ws://1.2.3/");
    ASSERT_TRUE(name);
    EXPECT_EQ(name->kind, host_kind::name);
}

struct bad_case {
    const char* input;
    errc expected;
};

class url_rejects : public ::testing::TestWithParam<bad_case> {};

TEST_P(url_rejects, with_its_own_code)
{
    auto u = parse_ws_url(GetParam().input);
    ASSERT_FALSE(u) << GetParam().input;
    EXPECT_TRUE(u.error() == GetParam().expected) << GetParam().input << " gave " << u.error().name();
    EXPECT_EQ(u.error().cls(), wsp::failure_class::config);
}

INSTANTIATE_TEST_SUITE_P(
    bad, url_rejects,
    ::testing::Values(bad_case{"http://h/", errc::bad_scheme}, bad_case{"h:80/x", errc::bad_scheme},
                      bad_case{"", errc::bad_scheme}, bad_case{"ws://", errc::empty_host},
                      bad_case{"ws:///path", errc::empty_host}, bad_case{"ws://:80/", errc::empty_host},
                      bad_case{"ws://h:0/", errc::bad_port}, bad_case{"ws://h:65536/", errc::bad_port},
                      bad_case{"ws://h:/", errc::bad_port}, bad_case{"ws://h:8x/", errc::bad_port},
                      bad_case{"ws://h:-1/", errc::bad_port}, bad_case{"ws://u:p@h/", errc::userinfo_in_url},
                      bad_case{"ws://h/#frag", errc::fragment_in_url},
                      bad_case{"ws://[::1/", errc::bad_ipv6_literal},
                      bad_case{"ws://[1:2:3:4:5:6:7:8:9]/", errc::bad_ipv6_literal},
                      bad_case{"ws://[1::2::3]/", errc::bad_ipv6_literal},
                      bad_case{"ws://[::1]x/", errc::bad_url}, bad_case{"ws://h/a b", errc::bad_url},
                      bad_case{"ws://h/a\r\nX: y", errc::bad_url}, bad_case{"ws://h st/", errc::bad_url}));

TEST(url, error_description_names_the_input)
{
    auto u = parse_ws_url("http://x");
    ASSERT_FALSE(u);
    const auto msg = wsp::proto::describe_url_error(u.error(), "http://x");
    EXPECT_NE(msg.find("http://x"), std::string::npos);
    EXPECT_NE(msg.find("ws:// or wss://"), std::string::npos);
}
