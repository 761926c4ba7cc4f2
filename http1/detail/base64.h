// Base64 (RFC 4648 §4, standard alphabet, '=' padding) for Sec-WebSocket-Key and -Accept
// (RFC 6455 §4.1, §4.2.2). Internal header.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace wsp::http1::detail {

// Characters needed to encode `n` bytes, padding included.
[[nodiscard]] constexpr std::size_t base64_size(std::size_t n) noexcept { return (n + 2) / 3 * 4; }

// Writes base64_size(in.size()) characters to `out`, which must have room for them. No allocation.
void base64_encode(std::span<const std::uint8_t> in, char* out) noexcept;

// Decodes canonical padded base64 into `out` (sized exactly to the decoded length). Returns false
// for a wrong length, a character outside the alphabet, misplaced padding or non-zero pad bits.
[[nodiscard]] bool base64_decode_exact(std::string_view in, std::span<std::uint8_t> out) noexcept;

} // namespace wsp::http1::detail
