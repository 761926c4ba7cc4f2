// ws/error.cpp: every errc value has a distinct stable snake_case name, a description and the
// right failure class, in module "ws".
#include "ws/error.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace wsp::ws {
namespace {

constexpr int last = static_cast<int>(errc::buffer_too_small);

TEST(ws_errc, names_are_distinct_snake_case_and_described)
{
    std::set<std::string_view> names;
    for (int i = 1; i <= last; ++i) {
        const wsp::error e(static_cast<errc>(i));
        EXPECT_EQ(e.module(), "ws");
        const std::string_view n = e.name();
        EXPECT_NE(n, "unknown") << i;
        for (char c : n) {
            EXPECT_TRUE((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_') << n;
        }
        EXPECT_FALSE(e.describe().empty()) << n;
        names.insert(n);
    }
    EXPECT_EQ(names.size(), static_cast<std::size_t>(last));
}

TEST(ws_errc, classes)
{
    for (int i = 1; i <= last; ++i) {
        const auto e = static_cast<errc>(i);
        const bool is_limit = e == errc::message_too_large || e == errc::buffer_too_small;
        EXPECT_EQ(wsp::error(e).cls(), is_limit ? wsp::failure_class::limit : wsp::failure_class::protocol)
            << wsp::error(e).name();
    }
}

TEST(ws_errc, stable_values)
{
    // These numbers are append-only; a renumbering breaks stored results.
    EXPECT_EQ(static_cast<int>(errc::reserved_bits_set), 1);
    EXPECT_EQ(static_cast<int>(errc::message_too_large), 11);
    EXPECT_EQ(static_cast<int>(errc::invalid_utf8), 12);
    EXPECT_EQ(static_cast<int>(errc::close_reason_invalid_utf8), 15);
    EXPECT_EQ(wsp::error(errc::data_frame_inside_fragmented_message).name(),
              "data_frame_inside_fragmented_message");
}

} // namespace
} // namespace wsp::ws
