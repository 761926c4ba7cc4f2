// An HDR-style latency histogram: log-linear buckets with a fixed relative precision, O(1)
// record, lossless merge across threads and across machines (text encoding), percentiles.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "proto/error.h"

namespace wsp::load {

// Values are non-negative int64 (nanoseconds in this project). Buckets cover [0, 2^63) with
// `significant_digits` (1..4) decimal digits of relative precision: a recorded value v is
// reported as a value within v * 10^-digits of it. Values below 0 are recorded as 0. Two
// histograms merge only if their digits are equal. Memory grows with the largest value recorded
// (once, then never for smaller values): at 3 digits 16 KB below 2 us, then 8 KB per doubling,
// about 200 KB for values up to 10 s. Not thread-safe: one per reactor, merged afterwards.
class histogram {
public:
    histogram() : histogram(3) {}
    // Digits outside 1..4 are clamped to that range.
    explicit histogram(unsigned significant_digits);

    void record(std::int64_t v) noexcept;
    void record_n(std::int64_t v, std::uint64_t n) noexcept;
    // Adds `o`'s counts. Fails with errc::precision_mismatch when the precisions differ.
    [[nodiscard]] wsp::expected<void> merge(const histogram& o);
    void reset() noexcept;

    [[nodiscard]] std::uint64_t count() const noexcept { return total_; }
    [[nodiscard]] std::int64_t min() const noexcept; // 0 when empty
    [[nodiscard]] std::int64_t max() const noexcept; // 0 when empty
    // 0 when empty; counts each bucket at its middle, so as precise as the buckets.
    [[nodiscard]] double mean() const noexcept;
    // The smallest recorded-bucket value v such that at least p% of values are <= v (p in
    // [0, 100], clamped); 0 when empty. Reported as the bucket's highest equivalent value.
    [[nodiscard]] std::int64_t percentile(double p) const noexcept;
    [[nodiscard]] unsigned significant_digits() const noexcept { return digits_; }

    // A compact, versioned text form, "hist1:<digits>:<min>:<max>:<gap>=<count>,..." (one run per
    // non-empty bucket, gaps between bucket indexes), that decode() restores exactly; used to
    // merge results of load runs on several machines (docs/json-load.md).
    [[nodiscard]] std::string encode() const;
    // Fails with errc::bad_histogram on anything encode() would not have produced (unknown
    // version, digits outside 1..4, an index past 2^63, zero or overflowing counts, extremes
    // outside the first/last bucket). Never reads past `text`; allocates at most a few MB.
    [[nodiscard]] static wsp::expected<histogram> decode(std::string_view text);

private:
    [[nodiscard]] std::size_t index_of(std::int64_t v) const noexcept;
    [[nodiscard]] std::int64_t highest_of(std::size_t index) const noexcept;

    unsigned digits_;
    unsigned sub_bits_;                 // log2 of the sub-buckets per power of two
    std::vector<std::uint64_t> counts_; // up to the largest bucket used so far
    std::uint64_t total_ = 0;
    std::int64_t min_ = 0;
    std::int64_t max_ = 0;
};

} // namespace wsp::load
