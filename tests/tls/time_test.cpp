// tls/time.cpp: epoch, ISO-8601 text and days-left arithmetic.
#include "tls/time.h"

#include <gtest/gtest.h>

namespace wsp::tls {
namespace {

TEST(time, iso8601_of_known_instants)
{
    EXPECT_EQ(iso8601(0), "1970-01-01T00:00:00Z");
    EXPECT_EQ(iso8601(951782400), "2000-02-29T00:00:00Z");
    EXPECT_EQ(iso8601(2147483647), "2038-01-19T03:14:07Z");
    EXPECT_EQ(iso8601(-1), "1969-12-31T23:59:59Z");
    EXPECT_EQ(iso8601(4102444800), "2100-01-01T00:00:00Z");
}

TEST(time, civil_round_trip)
{
    EXPECT_EQ(epoch_from_civil(1970, 1, 1, 0, 0, 0), 0);
    EXPECT_EQ(epoch_from_civil(2000, 2, 29, 0, 0, 0), 951782400);
    EXPECT_EQ(epoch_from_civil(2038, 1, 19, 3, 14, 7), 2147483647);
    EXPECT_EQ(epoch_from_civil(1969, 12, 31, 23, 59, 59), -1);
}

TEST(time, days_left_rounds_toward_negative_infinity)
{
    constexpr std::int64_t d = 86400;
    static_assert(days_left(10 * d, 0) == 10);
    EXPECT_EQ(days_left(10 * d, 0), 10);
    EXPECT_EQ(days_left(10 * d - 1, 0), 9);
    EXPECT_EQ(days_left(0, 0), 0);
    EXPECT_EQ(days_left(0, 1), -1);
    EXPECT_EQ(days_left(0, d), -1);
    EXPECT_EQ(days_left(0, d + 1), -2);
}

} // namespace
} // namespace wsp::tls
