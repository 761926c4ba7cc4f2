#include "engine/fleet/detail/text.h"

#include <gtest/gtest.h>

#include <limits>

namespace d = wsp::fleet::detail;

namespace {
std::vector<std::uint8_t> bytes(std::string_view s)
{
    return {s.begin(), s.end()};
}
} // namespace

// RFC 4648 §10 test vectors.
TEST(base64, rfc4648_vectors)
{
    const std::pair<const char*, const char*> vectors[] = {{"", ""},
                                                           {"f", "Zg=="},
                                                           {"fo", "Zm8="},
                                                           {"foo", "Zm9v"},
                                                           {"foob", "Zm9vYg=="},
                                                           {"fooba", "Zm9vYmE="},
                                                           {"foobar", "Zm9vYmFy"}};
    for (const auto& [plain, encoded] : vectors) {
        EXPECT_EQ(d::base64_encode(bytes(plain)), encoded);
        auto back = d::base64_decode(encoded);
        ASSERT_TRUE(back) << encoded;
        EXPECT_EQ(*back, bytes(plain));
    }
}

TEST(base64, strict_decoding)
{
    for (const char* bad : {"Zg", "Zg=", "Zh==", "Zm9=", "Zm 9v", "Z===", "Zm9v\n", "Zm9-", "=Zm9"}) {
        EXPECT_FALSE(d::base64_decode(bad)) << bad;
    }
}

TEST(hex, decodes_either_case)
{
    EXPECT_EQ(*d::hex_decode("00ffAb"), (std::vector<std::uint8_t>{0, 255, 0xab}));
    EXPECT_FALSE(d::hex_decode("0"));
    EXPECT_FALSE(d::hex_decode("0g"));
}

TEST(timestamp, parses_and_formats_utc)
{
    EXPECT_EQ(d::parse_utc_timestamp("1970-01-01T00:00:00Z"), 0);
    EXPECT_EQ(d::parse_utc_timestamp("2026-01-31T00:00:00Z"), 1769817600);
    EXPECT_EQ(d::parse_utc_timestamp("2000-02-29T12:34:56Z"), 951827696);
    EXPECT_FALSE(d::parse_utc_timestamp("2026-13-01T00:00:00Z"));
    EXPECT_FALSE(d::parse_utc_timestamp("2026-01-31 00:00:00Z"));
    EXPECT_FALSE(d::parse_utc_timestamp(""));
    EXPECT_EQ(d::format_utc_timestamp(0), "1970-01-01T00:00:00.000Z");
    EXPECT_EQ(d::format_utc_timestamp(951827696'123'000'000LL), "2000-02-29T12:34:56.123Z");
    EXPECT_EQ(d::format_utc_timestamp(-1'000'000), "1969-12-31T23:59:59.999Z");
}

TEST(exposition, escapes_label_values_and_help)
{
    std::string out;
    d::append_label_value(out, "a\\b\"c\nd");
    EXPECT_EQ(out, "a\\\\b\\\"c\\nd");
    out.clear();
    d::append_help_text(out, "x\\y\"z\n");
    EXPECT_EQ(out, "x\\\\y\"z\\n");
}

TEST(exposition, numbers)
{
    std::string out;
    d::append_number(out, 0.25);
    out += ' ';
    d::append_number(out, std::numeric_limits<double>::infinity());
    out += ' ';
    d::append_number(out, std::uint64_t{18446744073709551615ULL});
    out += ' ';
    d::append_number(out, std::int64_t{-5});
    out += ' ';
    d::append_number(out, std::numeric_limits<double>::quiet_NaN());
    EXPECT_EQ(out, "0.25 +Inf 18446744073709551615 -5 NaN");
}
