// Tests for http1/error.cpp: every code has a distinct stable name, a class and a description.
#include "http1/error.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace {

using wsp::http1::errc;

TEST(http1_errc, names_are_distinct_snake_case_and_stable)
{
    std::set<std::string_view> names;
    const auto last = static_cast<std::uint16_t>(errc::invalid_status);
    for (std::uint16_t c = 1; c <= last; ++c) {
        const wsp::error e(wsp::http1::domain_of(errc::ok), c);
        EXPECT_EQ(e.module(), "http1");
        EXPECT_NE(e.name(), "unknown") << c;
        EXPECT_FALSE(e.describe().empty()) << c;
        EXPECT_NE(e.cls(), wsp::failure_class::none) << c;
        for (char ch : e.name()) {
            EXPECT_TRUE((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_') << e.name();
        }
        names.insert(e.name());
    }
    EXPECT_EQ(names.size(), last);
    // Values are a JSON contract: spot-check that they did not move.
    EXPECT_EQ(wsp::error(errc::unexpected_status).code(), 1);
    EXPECT_EQ(wsp::error(errc::buffer_too_small).code(), 24);
    EXPECT_EQ(wsp::error(errc::accept_mismatch).name(), "accept_mismatch");
    EXPECT_EQ(wsp::error(static_cast<errc>(last + 1)).name(), "unknown");
}

TEST(http1_errc, classes_follow_the_issue)
{
    using fc = wsp::failure_class;
    EXPECT_EQ(wsp::error(errc::unexpected_status).cls(), fc::handshake);
    EXPECT_EQ(wsp::error(errc::accept_mismatch).cls(), fc::handshake);
    EXPECT_EQ(wsp::error(errc::subprotocol_mismatch).cls(), fc::handshake);
    EXPECT_EQ(wsp::error(errc::malformed_status_line).cls(), fc::protocol);
    EXPECT_EQ(wsp::error(errc::obs_fold).cls(), fc::protocol);
    EXPECT_EQ(wsp::error(errc::head_too_large).cls(), fc::limit);
    EXPECT_EQ(wsp::error(errc::line_too_long).cls(), fc::limit);
    EXPECT_EQ(wsp::error(errc::invalid_header_name).cls(), fc::config);
    EXPECT_EQ(wsp::error(errc::duplicate_owned_header).cls(), fc::config);
}

TEST(http1_errc, make_failure_uses_the_description)
{
    const auto f = wsp::http1::make_failure(errc::missing_accept);
    EXPECT_TRUE(f.code == errc::missing_accept);
    EXPECT_EQ(f.sentence, f.code.describe());
}

} // namespace
