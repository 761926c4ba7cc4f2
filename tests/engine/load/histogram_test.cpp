// Tests for engine/load/histogram.cpp: precision across magnitudes, percentiles against a sorted
// reference, merge equals recording into one, the hist1 text form and hostile text.
#include "engine/load/histogram.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/load/errc.h"

namespace {

using wsp::load::histogram;

// The reference percentile: the smallest recorded value with at least p% of values <= it.
std::int64_t reference_percentile(std::vector<std::int64_t> v, double p)
{
    std::sort(v.begin(), v.end());
    auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size()) - 1e-7));
    rank = std::clamp<std::size_t>(rank, 1, v.size());
    return v[rank - 1];
}

TEST(Histogram, EmptyReportsZeros)
{
    histogram h;
    EXPECT_EQ(h.count(), 0u);
    EXPECT_EQ(h.min(), 0);
    EXPECT_EQ(h.max(), 0);
    EXPECT_EQ(h.mean(), 0.0);
    EXPECT_EQ(h.percentile(99), 0);
    EXPECT_EQ(h.significant_digits(), 3u);
}

TEST(Histogram, SmallValuesAreExact)
{
    histogram h;
    for (std::int64_t v = 0; v < 2048; ++v) {
        h.record(v);
    }
    EXPECT_EQ(h.count(), 2048u);
    EXPECT_EQ(h.min(), 0);
    EXPECT_EQ(h.max(), 2047);
    EXPECT_EQ(h.percentile(50), 1023);
    EXPECT_EQ(h.percentile(100), 2047);
    EXPECT_DOUBLE_EQ(h.mean(), 1023.5);
}

TEST(Histogram, NegativeValuesCountAsZero)
{
    histogram h;
    h.record(-5);
    EXPECT_EQ(h.min(), 0);
    EXPECT_EQ(h.max(), 0);
    EXPECT_EQ(h.count(), 1u);
}

// Every magnitude from 1 ns to 2^62 ns, at every precision: the reported value for a single
// recorded value v lies in [v, v + v * 10^-digits].
TEST(Histogram, RelativePrecisionAcrossMagnitudes)
{
    std::mt19937_64 rng(7);
    for (unsigned digits = 1; digits <= 4; ++digits) {
        const double bound = std::pow(10.0, -static_cast<double>(digits));
        for (int e = 0; e < 63; ++e) {
            const std::uint64_t base = std::uint64_t{1} << e;
            // Both ends of the power of two (bucket edges) and one value inside it.
            for (const std::uint64_t u : {base, 2 * base - 1, base + rng() % base}) {
                const auto v = static_cast<std::int64_t>(u);
                histogram h(digits);
                h.record(v);
                // A larger second value, so max() does not clamp the first one's bucket value.
                h.record(e == 62 ? std::numeric_limits<std::int64_t>::max()
                                 : static_cast<std::int64_t>(base * 2));
                const auto reported = h.percentile(50);
                ASSERT_GE(reported, v) << "digits " << digits << " value " << v;
                ASSERT_LE(static_cast<double>(reported - v), static_cast<double>(v) * bound)
                    << "digits " << digits << " value " << v;
            }
        }
    }
}

TEST(Histogram, DigitsAreClamped)
{
    EXPECT_EQ(histogram(0).significant_digits(), 1u);
    EXPECT_EQ(histogram(9).significant_digits(), 4u);
}

TEST(Histogram, PercentilesMatchSortedReference)
{
    std::mt19937_64 rng(42);
    std::lognormal_distribution<double> latency(std::log(2e6), 1.2); // around 2 ms, long tail
    std::vector<std::int64_t> values;
    histogram h;
    for (int i = 0; i < 100000; ++i) {
        const auto v = static_cast<std::int64_t>(latency(rng));
        values.push_back(v);
        h.record(v);
    }
    for (double p : {0.1, 1.0, 10.0, 25.0, 50.0, 75.0, 90.0, 99.0, 99.9, 99.99, 100.0}) {
        const auto want = reference_percentile(values, p);
        const auto got = h.percentile(p);
        EXPECT_GE(got, want) << "p" << p;
        EXPECT_LE(static_cast<double>(got - want), static_cast<double>(want) * 1e-3) << "p" << p;
    }
    EXPECT_EQ(h.min(), *std::min_element(values.begin(), values.end()));
    EXPECT_EQ(h.max(), *std::max_element(values.begin(), values.end()));
    long double sum = 0;
    for (auto v : values) {
        sum += static_cast<long double>(v);
    }
    const double exact_mean = static_cast<double>(sum / values.size());
    EXPECT_NEAR(h.mean(), exact_mean, exact_mean * 1e-3);
    EXPECT_EQ(h.percentile(0), h.min());
    EXPECT_EQ(h.percentile(-3), h.min());
    EXPECT_EQ(h.percentile(250), h.max());
    EXPECT_EQ(h.percentile(std::nan("")), h.min());
}

TEST(Histogram, RecordNEqualsRepeatedRecord)
{
    histogram a;
    histogram b;
    a.record_n(123456789, 1000);
    a.record_n(5, 0);
    for (int i = 0; i < 1000; ++i) {
        b.record(123456789);
    }
    EXPECT_EQ(a.encode(), b.encode());
    EXPECT_EQ(a.count(), 1000u);
    EXPECT_EQ(a.min(), 123456789);
}

TEST(Histogram, MergeEqualsRecordingIntoOne)
{
    std::mt19937_64 rng(3);
    histogram parts[4];
    histogram whole;
    for (int i = 0; i < 40000; ++i) {
        const auto v = static_cast<std::int64_t>(rng() % 5'000'000'000ULL);
        parts[i % 4].record(v);
        whole.record(v);
    }
    histogram merged;
    for (const auto& p : parts) {
        ASSERT_TRUE(merged.merge(p));
    }
    EXPECT_EQ(merged.encode(), whole.encode());
    EXPECT_EQ(merged.count(), whole.count());
    EXPECT_EQ(merged.min(), whole.min());
    EXPECT_EQ(merged.max(), whole.max());
    EXPECT_EQ(merged.percentile(99.9), whole.percentile(99.9));
    EXPECT_DOUBLE_EQ(merged.mean(), whole.mean());
}

TEST(Histogram, MergeKeepsExtremesOfBothSides)
{
    histogram a;
    histogram b;
    a.record(500);
    b.record(7);
    b.record(9'000'000);
    ASSERT_TRUE(a.merge(b));
    EXPECT_EQ(a.min(), 7);
    EXPECT_EQ(a.max(), 9'000'000);
    histogram empty;
    ASSERT_TRUE(a.merge(empty));
    EXPECT_EQ(a.count(), 3u);
    ASSERT_TRUE(empty.merge(a));
    EXPECT_EQ(empty.min(), 7);
}

TEST(Histogram, MergeRefusesDifferentPrecision)
{
    histogram a(3);
    histogram b(2);
    b.record(10);
    auto r = a.merge(b);
    ASSERT_FALSE(r);
    EXPECT_TRUE(r.error().is(wsp::load::errc::precision_mismatch));
    EXPECT_EQ(r.error().name(), "precision_mismatch");
    EXPECT_EQ(a.count(), 0u);
}

TEST(Histogram, ResetEmptiesIt)
{
    histogram h;
    h.record(1'000'000'000);
    h.reset();
    EXPECT_EQ(h.count(), 0u);
    EXPECT_EQ(h.max(), 0);
    EXPECT_EQ(h.encode(), histogram().encode());
    h.record(3);
    EXPECT_EQ(h.min(), 3);
    EXPECT_EQ(h.max(), 3);
}

TEST(Histogram, EncodeDecodeRoundTrip)
{
    std::mt19937_64 rng(11);
    for (unsigned digits = 1; digits <= 4; ++digits) {
        histogram h(digits);
        for (int i = 0; i < 5000; ++i) {
            h.record(static_cast<std::int64_t>(rng() >> (rng() % 63)));
        }
        h.record(0);
        h.record(std::numeric_limits<std::int64_t>::max());
        const auto text = h.encode();
        ASSERT_TRUE(text.starts_with("hist1:" + std::to_string(digits) + ":0:9223372036854775807:")) << text;
        auto back = histogram::decode(text);
        ASSERT_TRUE(back) << text;
        EXPECT_EQ(back->encode(), text);
        EXPECT_EQ(back->count(), h.count());
        EXPECT_EQ(back->significant_digits(), digits);
        EXPECT_EQ(back->min(), h.min());
        EXPECT_EQ(back->max(), h.max());
        EXPECT_DOUBLE_EQ(back->mean(), h.mean());
        for (double p : {50.0, 90.0, 99.0, 99.9}) {
            EXPECT_EQ(back->percentile(p), h.percentile(p));
        }
    }
}

TEST(Histogram, EncodedFormIsDocumentedShape)
{
    histogram h;
    h.record(3);
    h.record(3);
    h.record(10);
    EXPECT_EQ(h.encode(), "hist1:3:3:10:3=2,7=1");
    EXPECT_EQ(histogram().encode(), "hist1:3:0:0:");
    auto empty = histogram::decode("hist1:2:0:0:");
    ASSERT_TRUE(empty);
    EXPECT_EQ(empty->count(), 0u);
    EXPECT_EQ(empty->significant_digits(), 2u);
}

TEST(Histogram, DecodeRefusesHostileText)
{
    const std::string hostile[] = {
        "",
        "hist1",
        "hist2:3:0:0:",
        "HIST1:3:0:0:",
        "hist1:0:0:0:",
        "hist1:5:0:0:",
        "hist1:3:0:0", // no runs field
        "hist1:x:0:0:",
        "hist1:3:-1:0:",
        "hist1:3:5:4:4=1",     // min > max
        "hist1:3:3:3:3=0",     // empty run
        "hist1:3:3:3:3=",      // missing count
        "hist1:3:3:3:=1",      // missing gap
        "hist1:3:3:3:3=1,",    // trailing comma
        "hist1:3:3:4:3=1,0=1", // repeated bucket
        "hist1:3:3:3:3=1,,1=1",
        "hist1:3:3:3:3=-1",
        "hist1:3:3:3:3=1:",
        "hist1:3:3:3: 3=1",
        "hist1:3:4:4:3=1",                        // min outside the first bucket
        "hist1:3:3:9:3=1,1=1",                    // max outside the last bucket
        "hist1:3:0:1:0=18446744073709551615,1=1", // count overflow
        "hist1:3:0:0:99999999999999999999=1",
        "hist1:3:0:0:18446744073709551615=1",
        "hist1:3:0:0:55296=1", // one past the last bucket at 3 digits
        "hist1:3:1:1:",        // extremes with no counts
        std::string("hist1:3:3:3:3=1\0", 16),
    };
    for (const auto& text : hostile) {
        auto h = histogram::decode(text);
        ASSERT_FALSE(h) << "accepted: " << text;
        EXPECT_TRUE(h.error().is(wsp::load::errc::bad_histogram));
    }
    // The last bucket itself is accepted, and holds the largest int64.
    auto top = histogram::decode("hist1:3:9223372036854775807:9223372036854775807:55295=1");
    ASSERT_TRUE(top);
    EXPECT_EQ(top->percentile(50), std::numeric_limits<std::int64_t>::max());
}

// Counts beyond 2^53 are not exact in a double; p100 must still be the maximum.
TEST(Histogram, HundredthPercentileIsTheMaximumAtHugeCounts)
{
    auto h = histogram::decode("hist1:2:0:1:0=184467440795317505,1=1");
    ASSERT_TRUE(h);
    EXPECT_EQ(h->percentile(100), 1);
    EXPECT_EQ(h->percentile(50), 0);
}

// Random mutations of a valid encoding either decode to something that re-encodes identically
// or are refused; never a crash (ASan in the debug build).
TEST(Histogram, DecodeSurvivesMutatedText)
{
    histogram h;
    for (std::int64_t v = 1; v < 1'000'000'000; v *= 3) {
        h.record(v);
    }
    const auto text = h.encode();
    std::mt19937 rng(5);
    const std::string alphabet = "0123456789:,=-h";
    int accepted = 0;
    for (int i = 0; i < 5000; ++i) {
        auto m = text;
        const auto edits = 1 + rng() % 3;
        for (unsigned e = 0; e < edits; ++e) {
            const auto at = rng() % m.size();
            switch (rng() % 3) {
            case 0:
                m[at] = alphabet[rng() % alphabet.size()];
                break;
            case 1:
                m.erase(at, 1);
                break;
            default:
                m.insert(m.begin() + static_cast<std::ptrdiff_t>(at), alphabet[rng() % alphabet.size()]);
                break;
            }
        }
        if (auto d = histogram::decode(m)) {
            ++accepted;
            auto again = histogram::decode(d->encode());
            ASSERT_TRUE(again) << m;
            EXPECT_EQ(again->encode(), d->encode());
        }
    }
    EXPECT_LT(accepted, 5000);
}

} // namespace
