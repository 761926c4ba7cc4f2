// tls/error.cpp: every errc has a distinct stable name, a class and a description.
#include "tls/error.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace wsp::tls {
namespace {

TEST(tls_errc, names_are_distinct_and_snake_case)
{
    std::set<std::string_view> names;
    for (std::uint16_t i = 1; i <= static_cast<std::uint16_t>(errc::file_write_failed); ++i) {
        const wsp::error e = wsp::error(domain_of(errc{}), i);
        EXPECT_EQ(e.module(), "tls");
        EXPECT_NE(e.name(), "unknown") << i;
        EXPECT_FALSE(e.describe().empty()) << i;
        EXPECT_NE(e.cls(), wsp::failure_class::none) << i;
        for (char ch : e.name()) {
            EXPECT_TRUE((ch >= 'a' && ch <= 'z') || ch == '_' || (ch >= '0' && ch <= '9')) << e.name();
        }
        names.insert(e.name());
    }
    EXPECT_EQ(names.size(), static_cast<std::size_t>(errc::file_write_failed));
    EXPECT_EQ(wsp::error(domain_of(errc{}), 999).name(), "unknown");
}

TEST(tls_errc, classes_group_failures)
{
    EXPECT_EQ(wsp::error(errc::certificate_expired).cls(), wsp::failure_class::tls);
    EXPECT_EQ(wsp::error(errc::truncated).cls(), wsp::failure_class::peer_closed);
    EXPECT_EQ(wsp::error(errc::peer_closed_during_handshake).cls(), wsp::failure_class::peer_closed);
    EXPECT_EQ(wsp::error(errc::ca_file_unusable).cls(), wsp::failure_class::config);
    EXPECT_EQ(wsp::error(errc::hostname_mismatch).name(), "hostname_mismatch");
}

} // namespace
} // namespace wsp::tls
