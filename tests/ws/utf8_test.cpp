// ws/utf8.cpp (RFC 3629 / Unicode Table 3-7 for RFC 6455 §8.1): incremental validator, simdjson
// and a naive decoder agree on validity; the incremental one finds the exact offending byte at
// any chunking, across the ASCII, DFA and simdjson paths.
#include "ws/utf8.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/ws/reference.h"

namespace wsp::ws {
namespace {

std::span<const std::uint8_t> as_span(const std::string& s)
{
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

struct verdict {
    bool valid;
    std::size_t first_bad; // size() when valid or merely truncated
};

// Incremental validator over the given cuts; first_bad is the absolute offending index.
verdict incremental(const std::string& s, const std::vector<std::size_t>& cuts)
{
    utf8_validator v;
    std::size_t begin = 0;
    for (std::size_t c = 0; c <= cuts.size(); ++c) {
        const std::size_t end = c < cuts.size() ? cuts[c] : s.size();
        const std::size_t ok = v.feed(as_span(s).subspan(begin, end - begin));
        if (ok < end - begin) {
            EXPECT_TRUE(v.failed());
            return {false, begin + ok};
        }
        begin = end;
    }
    return {v.at_boundary(), s.size()};
}

void expect_consistent(const std::string& s, bool want_valid)
{
    SCOPED_TRACE(testing::PrintToString(s));
    EXPECT_EQ(validate_utf8(as_span(s)), want_valid) << "simdjson";
    EXPECT_EQ(validate_utf8(std::string_view(s)), want_valid);
    EXPECT_EQ(reference::naive_utf8_valid(as_span(s)), want_valid) << "naive";
    const verdict whole = incremental(s, {});
    EXPECT_EQ(whole.valid, want_valid) << "incremental, whole";
    for (std::size_t i = 1; i < s.size(); ++i) {
        const verdict split = incremental(s, {i});
        EXPECT_EQ(split.valid, whole.valid) << "split at " << i;
        EXPECT_EQ(split.first_bad, whole.first_bad) << "split at " << i;
    }
    std::vector<std::size_t> cuts;
    for (std::size_t i = 1; i < s.size(); ++i) {
        cuts.push_back(i);
    }
    const verdict bytewise = incremental(s, cuts);
    EXPECT_EQ(bytewise.valid, whole.valid);
    EXPECT_EQ(bytewise.first_bad, whole.first_bad);
}

TEST(utf8, boundary_code_points_are_valid)
{
    for (const char* s :
         {"", "\x7f", "\xc2\x80", "\xdf\xbf", "\xe0\xa0\x80", "\xed\x9f\xbf", "\xee\x80\x80", "\xef\xbf\xbf",
          "\xf0\x90\x80\x80", "\xf4\x8f\xbf\xbf", "Hello-\xc2\xb5@\xc3\x9f\xc3\xb6\xc3\xa4",
          "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"}) {
        expect_consistent(s, true);
    }
}

TEST(utf8, overlongs_surrogates_and_out_of_range_are_invalid)
{
    for (const char* s :
         {"\xc0\xaf", "\xc1\xbf", "\xe0\x80\xaf", "\xe0\x9f\xbf", "\xf0\x80\x80\xaf", "\xf0\x8f\xbf\xbf",
          "\xed\xa0\x80", "\xed\xbf\xbf", "\xed\xa0\x80\xed\xb0\x80", "\xf4\x90\x80\x80", "\xf5\x80\x80\x80",
          "\xf8\x88\x80\x80\x80", "\xfe", "\xff", "\x80", "\xbf", "a\x80z"}) {
        expect_consistent(s, false);
    }
}

TEST(utf8, truncated_sequences_are_invalid_at_message_end)
{
    for (const char* s : {"\xc2", "\xe2\x82", "\xf0\x9d\x84", "abc\xe2", "\xf4"}) {
        expect_consistent(s, false);
        const std::string str(s);
        utf8_validator v;
        EXPECT_EQ(v.feed(as_span(str)), str.size()) << "truncation alone is not an offending byte";
        EXPECT_FALSE(v.at_boundary());
        EXPECT_FALSE(v.failed());
    }
}

TEST(utf8, reports_the_exact_offending_byte)
{
    utf8_validator v;
    const std::string s = "abc\xe2\x82z";
    EXPECT_EQ(v.feed(as_span(s)), 5U);
    EXPECT_TRUE(v.failed());
    EXPECT_EQ(v.feed(as_span(s)), 0U) << "stays failed";
    v.reset();
    EXPECT_FALSE(v.failed());
    EXPECT_EQ(v.feed(as_span(std::string("ok"))), 2U);
}

TEST(utf8, every_one_and_two_byte_string_agrees_with_the_naive_decoder)
{
    for (int a = 0; a < 256; ++a) {
        const std::string one(1, static_cast<char>(a));
        ASSERT_EQ(incremental(one, {}).valid, reference::naive_utf8_valid(as_span(one))) << a;
        ASSERT_EQ(validate_utf8(as_span(one)), reference::naive_utf8_valid(as_span(one))) << a;
        for (int b = 0; b < 256; ++b) {
            const std::string two{static_cast<char>(a), static_cast<char>(b)};
            const bool want = reference::naive_utf8_valid(as_span(two));
            ASSERT_EQ(incremental(two, {}).valid, want) << a << " " << b;
            ASSERT_EQ(incremental(two, {1}).valid, want) << a << " " << b;
        }
    }
}

TEST(utf8, every_three_and_four_byte_lead_pair_agrees_with_the_naive_decoder)
{
    // All leads E0..F4 with every second byte, and third/fourth bytes at the class edges.
    const int tails[] = {0x00, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0};
    for (int a = 0xE0; a <= 0xF4; ++a) {
        for (int b = 0; b < 256; ++b) {
            for (int c : tails) {
                for (int d : tails) {
                    const std::string s{static_cast<char>(a), static_cast<char>(b), static_cast<char>(c),
                                        static_cast<char>(d)};
                    const bool want = reference::naive_utf8_valid(as_span(s));
                    ASSERT_EQ(incremental(s, {}).valid, want) << a << " " << b << " " << c << " " << d;
                    ASSERT_EQ(incremental(s, {2}).valid, want) << a << " " << b << " " << c << " " << d;
                    ASSERT_EQ(validate_utf8(as_span(s)), want) << a << " " << b << " " << c << " " << d;
                }
            }
        }
    }
}

TEST(utf8, long_chunks_find_the_offending_byte_at_every_position)
{
    // Long enough for the simdjson and ASCII-word paths; the error sits at each position in turn.
    const std::string base =
        std::string(70, 'a') + "\xc3\xa9\xe2\x82\xac" + std::string(60, 'b') + "\xf0\x9f\x98\x80";
    ASSERT_TRUE(incremental(base, {}).valid);
    for (std::size_t pos = 0; pos < base.size(); ++pos) {
        std::string s = base;
        s[pos] = static_cast<char>(0xFF);
        const verdict v = incremental(s, {});
        EXPECT_FALSE(v.valid);
        EXPECT_EQ(v.first_bad, pos);
        EXPECT_EQ(incremental(s, {pos / 2 + 1}).first_bad, pos) << pos;
    }
}

TEST(utf8, long_chunk_ending_mid_sequence_continues_in_the_next)
{
    const std::string s = std::string(100, 'x') + "\xf0\x9f\x98\x80" + std::string(100, 'y');
    for (std::size_t cut = 98; cut <= 106; ++cut) {
        EXPECT_TRUE(incremental(s, {cut}).valid) << cut;
    }
}

TEST(utf8, random_strings_agree_across_all_validators)
{
    std::uint32_t x = 12345;
    auto rnd = [&x] {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        return x;
    };
    // Pieces biased towards near-valid text so both outcomes are common.
    const std::vector<std::string> pieces = {"a",
                                             "Z",
                                             "\xc3\xa9",
                                             "\xe2\x82\xac",
                                             "\xf0\x9f\x98\x80",
                                             "\xed\x9f\xbf",
                                             "\x80",
                                             "\xc3",
                                             "\xe2\x82",
                                             "\xf4\x90",
                                             "\xed\xa0",
                                             "\xff",
                                             "\xc0\x80",
                                             std::string(20, 'q')};
    int valid = 0;
    for (int round = 0; round < 20000; ++round) {
        std::string s;
        const int n = static_cast<int>(rnd() % 12);
        for (int i = 0; i < n; ++i) {
            s += pieces[rnd() % pieces.size()];
        }
        const bool want = reference::naive_utf8_valid(as_span(s));
        valid += want ? 1 : 0;
        ASSERT_EQ(validate_utf8(as_span(s)), want) << testing::PrintToString(s);
        ASSERT_EQ(incremental(s, {}).valid, want) << testing::PrintToString(s);
        if (s.size() > 1) {
            ASSERT_EQ(incremental(s, {1 + rnd() % (s.size() - 1)}).valid, want) << testing::PrintToString(s);
        }
    }
    EXPECT_GT(valid, 1000);
    EXPECT_LT(valid, 19000);
}

} // namespace
} // namespace wsp::ws
