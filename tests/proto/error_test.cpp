#include "proto/error.h"

#include <gtest/gtest.h>

#include <set>

namespace demo {
enum class errc : std::uint16_t { ok = 0, too_long = 1, timed_out = 2 };
std::string_view name(std::uint16_t c) noexcept
{
    return c == 1 ? "too_long" : c == 2 ? "timed_out" : "unknown";
}
wsp::failure_class cls(std::uint16_t c) noexcept
{
    return c == 1 ? wsp::failure_class::limit : wsp::failure_class::timeout;
}
std::string_view describe(std::uint16_t c) noexcept { return c == 1 ? "input too long" : "timed out"; }
constexpr wsp::error_domain domain{"demo", &name, &cls, &describe};
const wsp::error_domain& domain_of(errc) noexcept { return domain; }

wsp::expected<int> parse(int v)
{
    if (v > 10) {
        return wsp::fail(errc::too_long);
    }
    return v * 2;
}
} // namespace demo

TEST(error, carries_name_class_and_module)
{
    wsp::error e = demo::errc::timed_out;
    EXPECT_TRUE(e);
    EXPECT_EQ(e.name(), "timed_out");
    EXPECT_EQ(e.module(), "demo");
    EXPECT_EQ(e.cls(), wsp::failure_class::timeout);
    EXPECT_EQ(wsp::to_string(e.cls()), "timeout");
    EXPECT_TRUE(e == demo::errc::timed_out);
    EXPECT_FALSE(e == demo::errc::too_long);
}

TEST(error, default_is_ok)
{
    wsp::error e;
    EXPECT_FALSE(e);
    EXPECT_EQ(e.name(), "ok");
    EXPECT_EQ(e.cls(), wsp::failure_class::none);
}

TEST(error, expected_propagates)
{
    auto good = demo::parse(3);
    ASSERT_TRUE(good);
    EXPECT_EQ(*good, 6);
    auto bad = demo::parse(30);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().name(), "too_long");
    EXPECT_EQ(bad.error().cls(), wsp::failure_class::limit);
}

TEST(failure_class, every_value_has_a_distinct_name)
{
    std::set<std::string_view> seen;
    for (int i = 0; i <= static_cast<int>(wsp::failure_class::blocked); ++i) {
        seen.insert(wsp::to_string(static_cast<wsp::failure_class>(i)));
    }
    EXPECT_EQ(seen.size(), static_cast<std::size_t>(wsp::failure_class::blocked) + 1);
}
