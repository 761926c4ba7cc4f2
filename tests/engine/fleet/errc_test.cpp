#include "engine/fleet/errc.h"

#include <gtest/gtest.h>

#include <set>

using wsp::fleet::errc;

TEST(fleet_errc, every_value_has_a_distinct_name_and_description)
{
    std::set<std::string_view> names;
    for (std::uint16_t c = 1; c <= static_cast<std::uint16_t>(errc::address_blocked); ++c) {
        const wsp::error e(static_cast<errc>(c));
        EXPECT_EQ(e.module(), "fleet");
        EXPECT_NE(e.name(), "unknown") << c;
        EXPECT_NE(e.describe(), "unknown error") << c;
        names.insert(e.name());
    }
    EXPECT_EQ(names.size(), static_cast<std::size_t>(errc::address_blocked));
}

TEST(fleet_errc, classes)
{
    EXPECT_EQ(wsp::error(errc::bad_duration).cls(), wsp::failure_class::config);
    EXPECT_EQ(wsp::error(errc::secret_tampered).cls(), wsp::failure_class::config);
    EXPECT_EQ(wsp::error(errc::crypto_failure).cls(), wsp::failure_class::internal);
    EXPECT_EQ(wsp::error(errc::address_blocked).cls(), wsp::failure_class::blocked);
}
