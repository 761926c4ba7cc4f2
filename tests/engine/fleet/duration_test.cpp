#include "engine/fleet/duration.h"

#include <gtest/gtest.h>

using wsp::fleet::errc;
using wsp::fleet::format_duration;
using wsp::fleet::millis;
using wsp::fleet::parse_duration;

TEST(duration, units)
{
    EXPECT_EQ(*parse_duration("500ms"), millis(500));
    EXPECT_EQ(*parse_duration("2s"), millis(2000));
    EXPECT_EQ(*parse_duration("1.5s"), millis(1500));
    EXPECT_EQ(*parse_duration("0.25s"), millis(250));
    EXPECT_EQ(*parse_duration("5m"), millis(300'000));
    EXPECT_EQ(*parse_duration("1h"), millis(3'600'000));
    EXPECT_EQ(*parse_duration("0ms"), millis(0));
}

TEST(duration, refuses_what_is_not_a_duration)
{
    for (const char* bad : {"", "5x", "5", "s", "-1s", "1.s", ".5s", "1.5ms", "0.0001s", "1 s", "1S", "2d",
                            "721h", "99999999999999999999ms"}) {
        auto d = parse_duration(bad);
        ASSERT_FALSE(d) << bad;
        EXPECT_EQ(d.error(), errc::bad_duration) << bad;
    }
}

TEST(duration, formats_shortest_exact)
{
    EXPECT_EQ(format_duration(millis(250)), "250ms");
    EXPECT_EQ(format_duration(millis(2000)), "2s");
    EXPECT_EQ(format_duration(millis(90'000)), "90s");
    EXPECT_EQ(format_duration(millis(300'000)), "5m");
    EXPECT_EQ(format_duration(millis(7'200'000)), "2h");
    EXPECT_EQ(format_duration(millis(0)), "0ms");
    for (const char* s : {"250ms", "2s", "90s", "5m", "2h"}) {
        EXPECT_EQ(format_duration(*parse_duration(s)), s);
    }
}
