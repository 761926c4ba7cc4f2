// UTF-8 validation for text messages and close reasons, RFC 6455 §5.6 and §8.1 (well-formed per
// RFC 3629 / Unicode Table 3-7: no overlongs, no surrogates, nothing above U+10FFFF).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace wsp::ws {

// True if `bytes` is complete, well-formed UTF-8 (simdjson's validator). No allocation.
[[nodiscard]] bool validate_utf8(std::span<const std::uint8_t> bytes) noexcept;
[[nodiscard]] bool validate_utf8(std::string_view text) noexcept;

// Incremental validator for a message that arrives in chunks: the state (one byte) is carried
// between feed() calls, so a code point may be split across chunks and frames. ASCII runs and
// large chunks take fast paths; the result is exact to the byte either way.
class utf8_validator {
public:
    // Validates the next chunk. Returns the number of leading bytes of `chunk` that are consistent
    // with well-formed UTF-8; a value below chunk.size() is the index of the first offending byte,
    // after which the validator stays failed. No allocation.
    [[nodiscard]] std::size_t feed(std::span<const std::uint8_t> chunk) noexcept;

    // True if the bytes fed so far end on a code point boundary (a message may end here).
    [[nodiscard]] bool at_boundary() const noexcept { return state_ == 0; }
    [[nodiscard]] bool failed() const noexcept;
    // Forgets all input: the next byte starts a new message.
    void reset() noexcept { state_ = 0; }

private:
    std::size_t feed_dfa(const std::uint8_t* p, std::size_t n) noexcept;

    std::uint8_t state_ = 0; // DFA state as a bit offset into a transition row; 0 = boundary
};

} // namespace wsp::ws
