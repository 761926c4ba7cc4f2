// UTF-8 validation (RFC 3629 §4, Unicode Table 3-7) for RFC 6455 §8.1. A byte-class DFA gives the
// exact first offending byte; ASCII words and simdjson speed up the common cases.
#include "ws/utf8.h"

#include <algorithm>
#include <array>
#include <cstring>

#include <simdjson.h>

namespace wsp::ws {
namespace {

// Byte classes, from Unicode Table 3-7.
enum byte_class : std::uint8_t {
    c_ascii = 0,    // 00..7F
    c_cont_lo = 1,  // 80..8F
    c_cont_mid = 2, // 90..9F
    c_cont_hi = 3,  // A0..BF
    c_bad = 4,      // C0, C1 (overlong two-byte leads), F5..FF (above U+10FFFF)
    c_lead2 = 5,    // C2..DF
    c_e0 = 6,       // E0: second byte A0..BF (no overlongs)
    c_lead3 = 7,    // E1..EC, EE, EF
    c_ed = 8,       // ED: second byte 80..9F (no surrogates)
    c_f0 = 9,       // F0: second byte 90..BF (no overlongs)
    c_lead4 = 10,   // F1..F3
    c_f4 = 11,      // F4: second byte 80..8F (nothing above U+10FFFF)
};
constexpr int class_count = 12;

// States: what the next byte must be.
enum state : std::uint8_t {
    s_accept = 0, // at a code point boundary
    s_tail1 = 1,  // one continuation byte left
    s_tail2 = 2,  // two continuation bytes left
    s_e0 = 3,     // after E0
    s_ed = 4,     // after ED
    s_f0 = 5,     // after F0
    s_tail3 = 6,  // after F1..F3
    s_f4 = 7,     // after F4
    s_reject = 8, // failed; sticky
};
constexpr int state_count = 9;

constexpr std::array<std::uint8_t, 256> make_classes()
{
    std::array<std::uint8_t, 256> t{};
    for (int b = 0; b < 256; ++b) {
        std::uint8_t c = c_bad;
        if (b <= 0x7F) {
            c = c_ascii;
        } else if (b <= 0x8F) {
            c = c_cont_lo;
        } else if (b <= 0x9F) {
            c = c_cont_mid;
        } else if (b <= 0xBF) {
            c = c_cont_hi;
        } else if (b >= 0xC2 && b <= 0xDF) {
            c = c_lead2;
        } else if (b == 0xE0) {
            c = c_e0;
        } else if (b == 0xED) {
            c = c_ed;
        } else if (b >= 0xE1 && b <= 0xEF) {
            c = c_lead3;
        } else if (b == 0xF0) {
            c = c_f0;
        } else if (b >= 0xF1 && b <= 0xF3) {
            c = c_lead4;
        } else if (b == 0xF4) {
            c = c_f4;
        }
        t[static_cast<std::size_t>(b)] = c;
    }
    return t;
}

using transition_table = std::array<std::array<std::uint8_t, class_count>, state_count>;

constexpr transition_table make_transitions()
{
    transition_table t{};
    for (auto& row : t) {
        row.fill(s_reject);
    }
    auto& a = t[s_accept];
    a[c_ascii] = s_accept;
    a[c_lead2] = s_tail1;
    a[c_e0] = s_e0;
    a[c_lead3] = s_tail2;
    a[c_ed] = s_ed;
    a[c_f0] = s_f0;
    a[c_lead4] = s_tail3;
    a[c_f4] = s_f4;
    for (auto c : {c_cont_lo, c_cont_mid, c_cont_hi}) {
        t[s_tail1][c] = s_accept;
        t[s_tail2][c] = s_tail1;
        t[s_tail3][c] = s_tail2;
    }
    t[s_e0][c_cont_hi] = s_tail1;
    t[s_ed][c_cont_lo] = s_tail1;
    t[s_ed][c_cont_mid] = s_tail1;
    t[s_f0][c_cont_mid] = s_tail2;
    t[s_f0][c_cont_hi] = s_tail2;
    t[s_f4][c_cont_lo] = s_tail2;
    return t;
}

// Shift-based DFA: row[b] packs, for every state s, the next state's bit offset (6 * state) at
// bit 6 * s. A step is `offset = (row[b] >> offset) & 63`: the load does not depend on the state,
// so consecutive bytes pipeline instead of waiting on two dependent table lookups.
constexpr unsigned bits_per_state = 6;

constexpr std::array<std::uint64_t, 256> make_rows()
{
    const auto classes = make_classes();
    const auto transitions = make_transitions();
    std::array<std::uint64_t, 256> rows{};
    for (std::size_t b = 0; b < 256; ++b) {
        std::uint64_t row = 0;
        for (std::size_t st = 0; st < state_count; ++st) {
            const std::uint64_t next = transitions[st][classes[b]];
            row |= (next * bits_per_state) << (st * bits_per_state);
        }
        rows[b] = row;
    }
    return rows;
}

constexpr auto rows = make_rows();
constexpr std::uint8_t reject_offset = s_reject * bits_per_state;

constexpr std::uint8_t step(std::uint8_t offset, std::uint8_t byte) noexcept
{
    return static_cast<std::uint8_t>((rows[byte] >> offset) & 63U);
}

static_assert(step(0, 'a') == 0);
static_assert(step(step(0, 0xC3), 0xA9) == 0);
static_assert(step(0, 0xC0) == reject_offset);
static_assert(step(step(0, 0xED), 0xA0) == reject_offset);

// Chunks at least this long are checked with simdjson first when they start on a boundary.
constexpr std::size_t simd_threshold = 64;

// Length of the trailing bytes of [p, p+n) that form an incomplete sequence (0..3), assuming the
// rest is well-formed; a wrong guess only sends the caller to the exact DFA path.
std::size_t incomplete_tail(const std::uint8_t* p, std::size_t n) noexcept
{
    for (std::size_t back = 1; back <= 3 && back <= n; ++back) {
        const std::uint8_t b = p[n - back];
        if ((b & 0xC0U) != 0x80U) { // not a continuation byte: a lead or ASCII
            std::size_t need = 1;
            if (b >= 0xF0U) {
                need = 4;
            } else if (b >= 0xE0U) {
                need = 3;
            } else if (b >= 0xC0U) {
                need = 2;
            }
            return need > back ? back : 0;
        }
    }
    return 0;
}

} // namespace

bool validate_utf8(std::span<const std::uint8_t> bytes) noexcept
{
    return simdjson::validate_utf8(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

bool validate_utf8(std::string_view text) noexcept
{
    return simdjson::validate_utf8(text.data(), text.size());
}

bool utf8_validator::failed() const noexcept
{
    return state_ == reject_offset;
}

std::size_t utf8_validator::feed_dfa(const std::uint8_t* p, std::size_t n) noexcept
{
    std::uint8_t s = state_;
    std::size_t i = 0;
    while (i < n) {
        if (s == 0) {
            // ASCII fast path: skip 16 then 8 bytes at a time while no high bit is set.
            while (i + 16 <= n) {
                std::uint64_t w[2];
                std::memcpy(w, p + i, 16);
                if (((w[0] | w[1]) & 0x8080808080808080ULL) != 0) {
                    break;
                }
                i += 16;
            }
            while (i + 8 <= n) {
                std::uint64_t w = 0;
                std::memcpy(&w, p + i, 8);
                if ((w & 0x8080808080808080ULL) != 0) {
                    break;
                }
                i += 8;
            }
        }
        // Then byte steps until the next ASCII run (or the end).
        const std::size_t stop = std::min(n, i + 16);
        for (; i < stop; ++i) {
            s = step(s, p[i]);
            if (s == reject_offset) {
                state_ = s;
                return i;
            }
        }
    }
    state_ = s;
    return n;
}

std::size_t utf8_validator::feed(std::span<const std::uint8_t> chunk) noexcept
{
    if (state_ == reject_offset) {
        return 0;
    }
    const std::uint8_t* p = chunk.data();
    const std::size_t n = chunk.size();
    std::size_t done = 0;
    // Finish a sequence left open by the previous chunk (at most 3 bytes) so the rest of this
    // chunk can take the fast paths.
    while (state_ != 0 && done < n) {
        state_ = step(state_, p[done]);
        if (state_ == reject_offset) {
            return done;
        }
        ++done;
    }
    const std::size_t rest = n - done;
    if (rest >= simd_threshold) {
        const std::size_t body = rest - incomplete_tail(p + done, rest);
        if (simdjson::validate_utf8(reinterpret_cast<const char*>(p + done), body)) {
            // The body ended on a boundary; the DFA finishes the (at most 3-byte) tail.
            return done + body + feed_dfa(p + done + body, rest - body);
        }
        // Invalid somewhere: the DFA finds the exact byte.
    }
    return done + feed_dfa(p + done, rest);
}

} // namespace wsp::ws
