// Tests for http1/detail/chars.h: the RFC 7230 character classes, the vectorised field-value
// scan (every bad octet at every position, across the 16-byte steps), and comma lists.
#include "http1/detail/chars.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using namespace wsp::http1::detail;

TEST(chars, tchar_is_exactly_rfc7230_token_characters)
{
    const std::string specials = "!#$%&'*+-.^_`|~";
    for (int c = 0; c < 256; ++c) {
        const bool expected = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                              specials.find(static_cast<char>(c)) != std::string::npos;
        EXPECT_EQ(is_tchar(static_cast<char>(c)), expected) << c;
    }
}

TEST(chars, field_chars_exclude_controls_but_not_htab_or_obs_text)
{
    for (int c = 0; c < 256; ++c) {
        const bool expected = c == '\t' || (c >= 0x20 && c != 0x7f);
        EXPECT_EQ(is_field_char(static_cast<char>(c)), expected) << c;
    }
}

TEST(chars, find_non_field_char_finds_each_bad_octet_at_each_position)
{
    const std::vector<char> bad = {'\0', '\r', '\n', '\x01', '\x1f', '\x7f'};
    for (std::size_t len = 1; len <= 48; ++len) {
        const std::string clean(len, 'a');
        EXPECT_EQ(find_non_field_char(clean), len);
        for (std::size_t pos = 0; pos < len; ++pos) {
            for (char b : bad) {
                std::string s = clean;
                s[pos] = b;
                if (pos + 1 < len) {
                    s[len - 1] = '\x00'; // a later bad octet must not win
                }
                EXPECT_EQ(find_non_field_char(s), pos)
                    << "len " << len << " pos " << pos << " octet " << int(b);
            }
        }
    }
    const std::string fine = "\tab \x80\xff~ \t" + std::string(20, '\x9f');
    EXPECT_EQ(find_non_field_char(fine), fine.size());
}

TEST(chars, comma_lists_trim_skip_empties_and_respect_quotes)
{
    std::string_view rest = " a ,, b\t,\"x,y\" ;q=\"1,2\" , ,";
    std::string_view e;
    std::vector<std::string> got;
    while (next_list_element(rest, e)) {
        got.emplace_back(e);
    }
    EXPECT_EQ(got, (std::vector<std::string>{"a", "b", "\"x,y\" ;q=\"1,2\""}));
    EXPECT_TRUE(list_contains_token("keep-alive, Upgrade", "upgrade"));
    EXPECT_FALSE(list_contains_token("keep-alive, upgraded", "upgrade"));
    EXPECT_FALSE(list_contains_token("", "upgrade"));
}

TEST(chars, iequals_is_ascii_only)
{
    EXPECT_TRUE(iequals("Sec-WebSocket-Accept", "sec-websocket-accept"));
    EXPECT_FALSE(iequals("a", "ab"));
    EXPECT_FALSE(iequals("\xc3\xa9", "\xc3\x89"));
}

} // namespace
