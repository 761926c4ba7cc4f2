// Tests of engine/dns/error.cpp: stable names and classes, c-ares status mapping, sentences.
#include "engine/dns/error.h"

#include <gtest/gtest.h>

#include <ares.h>

#include <set>
#include <string>

namespace wsp::dns {
namespace {

constexpr std::uint16_t last_code = static_cast<std::uint16_t>(errc::resolver_error);

TEST(dns_errc, names_are_distinct_snake_case_and_stable)
{
    std::set<std::string_view> seen;
    for (std::uint16_t c = 0; c <= last_code; ++c) {
        const wsp::error e(domain_of(errc::ok), c);
        const std::string_view name = e.name();
        EXPECT_TRUE(seen.insert(name).second) << name;
        for (char ch : name) {
            EXPECT_TRUE((ch >= 'a' && ch <= 'z') || ch == '_') << name;
        }
        EXPECT_FALSE(e.describe().empty());
    }
    // Names are part of the JSON contract: pin a few.
    EXPECT_EQ(wsp::error(errc::not_found).name(), "not_found");
    EXPECT_EQ(wsp::error(errc::no_data).name(), "no_data");
    EXPECT_EQ(wsp::error(errc::server_failure).name(), "server_failure");
    EXPECT_EQ(wsp::error(errc::timeout).name(), "timeout");
    EXPECT_EQ(wsp::error(errc::connection_refused).name(), "connection_refused");
    EXPECT_EQ(wsp::error(errc::resolver_error).name(), "resolver_error");
    EXPECT_EQ(wsp::error(errc::not_found).module(), "dns");
}

TEST(dns_errc, classes)
{
    EXPECT_EQ(wsp::error(errc::not_found).cls(), wsp::failure_class::dns);
    EXPECT_EQ(wsp::error(errc::no_data).cls(), wsp::failure_class::dns);
    EXPECT_EQ(wsp::error(errc::server_failure).cls(), wsp::failure_class::dns);
    EXPECT_EQ(wsp::error(errc::refused).cls(), wsp::failure_class::dns);
    EXPECT_EQ(wsp::error(errc::bad_name).cls(), wsp::failure_class::dns);
    EXPECT_EQ(wsp::error(errc::connection_refused).cls(), wsp::failure_class::dns);
    EXPECT_EQ(wsp::error(errc::timeout).cls(), wsp::failure_class::timeout);
    EXPECT_EQ(wsp::error(errc::cancelled).cls(), wsp::failure_class::cancelled);
    EXPECT_EQ(wsp::error(errc::too_many_lookups).cls(), wsp::failure_class::limit);
    EXPECT_EQ(wsp::error(errc::bad_server).cls(), wsp::failure_class::config);
    EXPECT_EQ(wsp::error(errc::out_of_memory).cls(), wsp::failure_class::internal);
    // Out-of-range codes never index past the table.
    EXPECT_EQ(wsp::error(domain_of(errc::ok), 999).name(), "resolver_error");
}

TEST(dns_errc, maps_every_ares_status)
{
    EXPECT_EQ(from_ares_status(ARES_SUCCESS), errc::ok);
    EXPECT_EQ(from_ares_status(ARES_ENOTFOUND), errc::not_found);
    EXPECT_EQ(from_ares_status(ARES_ENODATA), errc::no_data);
    EXPECT_EQ(from_ares_status(ARES_ESERVFAIL), errc::server_failure);
    EXPECT_EQ(from_ares_status(ARES_EREFUSED), errc::refused);
    EXPECT_EQ(from_ares_status(ARES_EFORMERR), errc::format_error);
    EXPECT_EQ(from_ares_status(ARES_ENOTIMP), errc::not_implemented);
    EXPECT_EQ(from_ares_status(ARES_ETIMEOUT), errc::timeout);
    EXPECT_EQ(from_ares_status(ARES_EBADNAME), errc::bad_name);
    EXPECT_EQ(from_ares_status(ARES_ECONNREFUSED), errc::connection_refused);
    EXPECT_EQ(from_ares_status(ARES_ENOMEM), errc::out_of_memory);
    EXPECT_EQ(from_ares_status(ARES_ECANCELLED), errc::cancelled);
    EXPECT_EQ(from_ares_status(ARES_EDESTRUCTION), errc::cancelled);
    EXPECT_EQ(from_ares_status(ARES_EBADRESP), errc::bad_response);
    EXPECT_EQ(from_ares_status(ARES_EBADFAMILY), errc::bad_family);
    EXPECT_EQ(from_ares_status(ARES_EFILE), errc::resolver_error);
    EXPECT_EQ(from_ares_status(12345), errc::resolver_error);
}

TEST(dns_sentence, names_the_host_and_the_cause)
{
    EXPECT_EQ(failure_sentence("example.invalid", address_family::any, errc::not_found),
              "DNS lookup of example.invalid failed: name does not exist (NXDOMAIN)");
    EXPECT_EQ(failure_sentence("v6.test", address_family::v4, errc::no_data),
              "DNS lookup of v6.test failed: name has no IPv4 address (NODATA)");
    EXPECT_EQ(failure_sentence("x.test", address_family::any, errc::no_data),
              "DNS lookup of x.test failed: name has no IPv4 or IPv6 address (NODATA)");
    EXPECT_EQ(failure_sentence("x.test", address_family::any, errc::timeout),
              "DNS lookup of x.test failed: no answer from the DNS server before the lookup timeout");
}

TEST(dns_sentence, escapes_hostile_host_text)
{
    EXPECT_EQ(failure_sentence("a\nb\\c", address_family::any, errc::bad_name),
              "DNS lookup of a\\x0ab\\x5cc failed: not a valid host name");
    EXPECT_EQ(failure_sentence("caf\xc3\xa9", address_family::any, errc::bad_name),
              "DNS lookup of caf\\xc3\\xa9 failed: not a valid host name");
    const std::string huge(1000, 'a');
    const std::string s = failure_sentence(huge, address_family::any, errc::bad_name);
    EXPECT_LT(s.size(), 320U);
    EXPECT_NE(s.find("a..."), std::string::npos);
}

} // namespace
} // namespace wsp::dns
