// The HDR-style histogram: values below 2^sub_bits are counted exactly; above, each power of two
// is split into 2^(sub_bits-1) equal sub-buckets, so a bucket is never wider than 2^-(sub_bits-1)
// of its values. The text form is versioned and checked field by field on decode.
#include "engine/load/histogram.h"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <limits>

#include "engine/load/errc.h"

namespace wsp::load {
namespace {

constexpr unsigned min_digits = 1;
constexpr unsigned max_digits = 4;
constexpr std::string_view text_version = "hist1";

// Sub-buckets needed for `digits` decimal digits: the smallest power of two >= 2 * 10^digits
// (HdrHistogram's rule: single-unit resolution up to 2 * 10^digits keeps the relative error of
// every larger bucket below 10^-digits).
unsigned sub_bits_for(unsigned digits) noexcept
{
    std::uint64_t need = 2;
    for (unsigned i = 0; i < digits; ++i) {
        need *= 10;
    }
    return static_cast<unsigned>(std::bit_width(need - 1));
}

// Buckets needed to cover every non-negative int64 at `sub_bits`.
std::size_t bucket_limit(unsigned sub_bits) noexcept
{
    const std::size_t exact = std::size_t{1} << sub_bits;
    const std::size_t half = exact / 2;
    return exact + static_cast<std::size_t>(63 - sub_bits) * half;
}

unsigned clamp_digits(unsigned d) noexcept
{
    return std::clamp(d, min_digits, max_digits);
}

template <class T> bool parse_number(std::string_view s, T& out) noexcept
{
    const auto* end = s.data() + s.size();
    const auto r = std::from_chars(s.data(), end, out);
    return !s.empty() && r.ec == std::errc{} && r.ptr == end;
}

// Splits off the text up to `sep` (or everything when absent).
std::string_view take_field(std::string_view& rest, char sep) noexcept
{
    const auto at = rest.find(sep);
    const auto field = rest.substr(0, at);
    rest = at == std::string_view::npos ? std::string_view{} : rest.substr(at + 1);
    return field;
}

} // namespace

histogram::histogram(unsigned significant_digits)
    : digits_(clamp_digits(significant_digits)), sub_bits_(sub_bits_for(digits_))
{
}

std::size_t histogram::index_of(std::int64_t v) const noexcept
{
    const auto u = static_cast<std::uint64_t>(std::max<std::int64_t>(v, 0));
    const std::uint64_t exact = std::uint64_t{1} << sub_bits_;
    if (u < exact) {
        return static_cast<std::size_t>(u);
    }
    const auto msb = static_cast<unsigned>(std::bit_width(u) - 1);
    const unsigned shift = msb - sub_bits_ + 1;
    const std::uint64_t half = exact / 2;
    const std::uint64_t sub = (u >> shift) - half;
    return static_cast<std::size_t>(exact + (shift - 1) * half + sub);
}

std::int64_t histogram::highest_of(std::size_t index) const noexcept
{
    const std::uint64_t exact = std::uint64_t{1} << sub_bits_;
    if (index < exact) {
        return static_cast<std::int64_t>(index);
    }
    const std::uint64_t half = exact / 2;
    const std::uint64_t k = index - exact;
    const std::uint64_t shift = k / half + 1;
    const std::uint64_t lowest = (half + k % half) << shift;
    return static_cast<std::int64_t>(lowest + ((std::uint64_t{1} << shift) - 1));
}

void histogram::record(std::int64_t v) noexcept
{
    record_n(v, 1);
}

void histogram::record_n(std::int64_t v, std::uint64_t n) noexcept
{
    if (n == 0) {
        return;
    }
    v = std::max<std::int64_t>(v, 0);
    const auto i = index_of(v);
    if (i >= counts_.size()) {
        // Grows to the largest value seen so far, then never again for smaller values.
        counts_.resize(i + 1, 0);
    }
    counts_[i] += n;
    if (total_ == 0) {
        min_ = v;
        max_ = v;
    } else {
        min_ = std::min(min_, v);
        max_ = std::max(max_, v);
    }
    total_ += n;
}

wsp::expected<void> histogram::merge(const histogram& o)
{
    if (o.digits_ != digits_) {
        return wsp::fail(errc::precision_mismatch);
    }
    if (o.total_ == 0) {
        return {};
    }
    if (o.counts_.size() > counts_.size()) {
        counts_.resize(o.counts_.size(), 0);
    }
    for (std::size_t i = 0; i < o.counts_.size(); ++i) {
        counts_[i] += o.counts_[i];
    }
    min_ = total_ == 0 ? o.min_ : std::min(min_, o.min_);
    max_ = total_ == 0 ? o.max_ : std::max(max_, o.max_);
    total_ += o.total_;
    return {};
}

void histogram::reset() noexcept
{
    std::fill(counts_.begin(), counts_.end(), 0);
    total_ = 0;
    min_ = 0;
    max_ = 0;
}

std::int64_t histogram::min() const noexcept
{
    return total_ == 0 ? 0 : min_;
}

std::int64_t histogram::max() const noexcept
{
    return total_ == 0 ? 0 : max_;
}

double histogram::mean() const noexcept
{
    if (total_ == 0) {
        return 0;
    }
    // Each bucket counts at the middle of its range (exact below 2^sub_bits), clamped to the
    // recorded extremes, so the mean is as precise as the buckets and survives encode/decode.
    long double sum = 0;
    for (std::size_t i = 0; i < counts_.size(); ++i) {
        if (counts_[i] == 0) {
            continue;
        }
        const long double hi = static_cast<long double>(highest_of(i));
        const long double lo = i == 0 ? 0.0L : static_cast<long double>(highest_of(i - 1)) + 1;
        const long double mid =
            std::clamp((lo + hi) / 2, static_cast<long double>(min_), static_cast<long double>(max_));
        sum += mid * static_cast<long double>(counts_[i]);
    }
    return static_cast<double>(sum / static_cast<long double>(total_));
}

std::int64_t histogram::percentile(double p) const noexcept
{
    if (total_ == 0) {
        return 0;
    }
    if (!(p > 0)) {
        return min_;
    }
    if (p >= 100) {
        // Exact even when the count is too large for a double to hold (found by fuzzing).
        return max_;
    }
    // The rank is ceil(p% of the count); the small allowance keeps p = 0.1 of 100000 at rank 100
    // although 0.1 / 100 * 100000 is 100.00000000000001 in binary floating point.
    const double wanted = p / 100.0 * static_cast<double>(total_);
    auto need = static_cast<std::uint64_t>(std::ceil(wanted - 1e-7));
    need = std::clamp<std::uint64_t>(need, 1, total_);
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < counts_.size(); ++i) {
        seen += counts_[i];
        if (seen >= need) {
            return std::clamp(highest_of(i), min_, max_);
        }
    }
    return max_;
}

std::string histogram::encode() const
{
    // hist1:<digits>:<min>:<max>:<runs>; runs are "<index gap>=<count>" for non-empty buckets,
    // comma-separated, the first gap counted from index 0.
    std::string out(text_version);
    out += ':' + std::to_string(digits_) + ':' + std::to_string(min()) + ':' + std::to_string(max()) + ':';
    std::size_t previous = 0;
    bool first = true;
    for (std::size_t i = 0; i < counts_.size(); ++i) {
        if (counts_[i] == 0) {
            continue;
        }
        if (!first) {
            out += ',';
        }
        out += std::to_string(i - previous) + '=' + std::to_string(counts_[i]);
        previous = i;
        first = false;
    }
    return out;
}

wsp::expected<histogram> histogram::decode(std::string_view text)
{
    const auto bad = [] { return wsp::fail(errc::bad_histogram); };
    // Four ':' separate version, digits, min, max and the runs (which may be empty).
    if (std::count(text.begin(), text.end(), ':') != 4) {
        return bad();
    }
    std::string_view rest = text;
    if (take_field(rest, ':') != text_version) {
        return bad();
    }
    unsigned digits = 0;
    std::int64_t lo = 0;
    std::int64_t hi = 0;
    if (!parse_number(take_field(rest, ':'), digits) || digits < min_digits || digits > max_digits ||
        !parse_number(take_field(rest, ':'), lo) || !parse_number(take_field(rest, ':'), hi) || lo < 0 ||
        hi < lo) {
        return bad();
    }
    histogram h(digits);
    const std::size_t limit = bucket_limit(h.sub_bits_);
    std::size_t index = 0;
    bool first = true;
    while (!rest.empty()) {
        auto run = take_field(rest, ',');
        const auto gap_text = take_field(run, '=');
        std::size_t gap = 0;
        std::uint64_t n = 0;
        if (!parse_number(gap_text, gap) || !parse_number(run, n) || n == 0 || (!first && gap == 0) ||
            gap >= limit - index || n > std::numeric_limits<std::uint64_t>::max() - h.total_) {
            return bad();
        }
        index += gap;
        if (index >= h.counts_.size()) {
            h.counts_.resize(index + 1, 0);
        }
        h.counts_[index] = n;
        h.total_ += n;
        first = false;
    }
    if (h.total_ == 0) {
        if (lo != 0 || hi != 0 || text.ends_with(',')) {
            return bad();
        }
        return h;
    }
    // The extremes must fall in the first and last non-empty buckets, or the text was edited.
    if (h.index_of(lo) != static_cast<std::size_t>(std::find_if(h.counts_.begin(), h.counts_.end(),
                                                                [](std::uint64_t c) { return c != 0; }) -
                                                   h.counts_.begin()) ||
        h.index_of(hi) != index || text.ends_with(',')) {
        return bad();
    }
    h.min_ = lo;
    h.max_ = hi;
    return h;
}

} // namespace wsp::load
