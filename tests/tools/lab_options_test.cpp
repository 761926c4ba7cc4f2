// wsprobe-lab's flags: defaults, both value forms, loopback-only unless --allow-remote, and one-line
// errors for everything else.
#include "tools/lab/options.h"

#include <gtest/gtest.h>

#include <string_view>
#include <vector>

namespace wsp::lab {
namespace {

tl::expected<lab_options, std::string> parse(std::vector<std::string_view> args)
{
    return parse_options(args);
}

TEST(lab_options, defaults)
{
    auto o = parse({});
    ASSERT_TRUE(o);
    EXPECT_TRUE(o->listen.empty());
    EXPECT_EQ(o->threads, 1U);
    EXPECT_FALSE(o->log);
    EXPECT_FALSE(o->list);
    EXPECT_FALSE(o->help);
}

TEST(lab_options, listen_threads_and_switches)
{
    auto o = parse({"--listen", "127.0.0.1:9001", "--listen=[::1]:0", "--threads=4", "--log", "--list", "-h"});
    ASSERT_TRUE(o) << o.error();
    ASSERT_EQ(o->listen.size(), 2U);
    EXPECT_EQ(o->listen[0].to_string(), "127.0.0.1:9001");
    EXPECT_EQ(o->listen[1].to_string(), "[::1]:0");
    EXPECT_EQ(o->threads, 4U);
    EXPECT_TRUE(o->log);
    EXPECT_TRUE(o->list);
    EXPECT_TRUE(o->help);
    auto l = parse({"--listen", "localhost:80"});
    ASSERT_TRUE(l);
    EXPECT_EQ(l->listen[0].to_string(), "127.0.0.1:80");
}

TEST(lab_options, remote_addresses_need_allow_remote)
{
    auto refused = parse({"--listen", "0.0.0.0:8080"});
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().find("--allow-remote"), std::string::npos);
    EXPECT_FALSE(parse({"--listen", "[::]:1"}));
    EXPECT_TRUE(parse({"--listen", "0.0.0.0:8080", "--allow-remote"}));
    EXPECT_TRUE(parse({"--allow-remote", "--listen", "10.1.2.3:1"}));
    EXPECT_TRUE(parse({"--listen", "127.9.9.9:1"}));
}

TEST(lab_options, errors_name_the_flag)
{
    const std::vector<std::vector<std::string_view>> bad{
        {"--listen"},      {"--listen", "127.0.0.1"}, {"--listen", "127.0.0.1:99999"}, {"--listen", "::1:80"},
        {"--listen", "example.com:80"}, {"--threads", "0"}, {"--threads", "x"}, {"--threads=300"},
        {"--log=yes"},     {"--verbose"},             {"listen"},
    };
    for (const auto& args : bad) {
        auto o = parse(args);
        EXPECT_FALSE(o) << args.front();
        if (!o) {
            EXPECT_EQ(o.error().find('\n'), std::string::npos);
        }
    }
    EXPECT_NE(parse({"--threads", "0"}).error().find("--threads"), std::string::npos);
    EXPECT_NE(parse({"--nope"}).error().find("--nope"), std::string::npos);
}

TEST(lab_options, loopback_detection)
{
    EXPECT_TRUE(is_loopback(rt::address::loopback_v4(1)));
    EXPECT_TRUE(is_loopback(rt::address::loopback_v6(1)));
    EXPECT_TRUE(is_loopback(*rt::address::parse("::ffff:127.0.0.1", 1)));
    EXPECT_FALSE(is_loopback(*rt::address::parse("128.0.0.1", 1)));
    EXPECT_FALSE(is_loopback(*rt::address::parse("::2", 1)));
    EXPECT_NE(usage().find("--listen"), std::string::npos);
}

} // namespace
} // namespace wsp::lab
