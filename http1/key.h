// Sec-WebSocket-Key and Sec-WebSocket-Accept (RFC 6455 §4.1 item 7, §4.2.2 item 5.4, §1.3):
// a fresh 16-byte nonce in base64, and base64(SHA-1(key + GUID)).
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

#include "http1/error.h"

namespace wsp::http1 {

// Source of the 16 random bytes behind a key. Injected so tests can use fixed bytes; the probe
// uses openssl_entropy. Implementations must be safe to call from the thread that owns them.
class entropy_source {
public:
    virtual ~entropy_source() = default;
    // Fills `out` with unpredictable bytes; false when the source failed.
    [[nodiscard]] virtual bool fill(std::span<std::uint8_t, 16> out) noexcept = 0;

protected:
    entropy_source() = default;
    entropy_source(const entropy_source&) = default;
    entropy_source& operator=(const entropy_source&) = default;
};

// OpenSSL's CSPRNG (RAND_bytes), safe from any thread.
class openssl_entropy final : public entropy_source {
public:
    [[nodiscard]] bool fill(std::span<std::uint8_t, 16> out) noexcept override;
};

// A Sec-WebSocket-Key value: 24 base64 characters. Plain value type, no allocation.
class websocket_key {
public:
    // The key for these 16 nonce bytes.
    [[nodiscard]] static websocket_key from_bytes(std::span<const std::uint8_t, 16> nonce) noexcept;
    [[nodiscard]] std::string_view view() const noexcept { return {chars_.data(), chars_.size()}; }

private:
    std::array<char, 24> chars_{};
};

// A fresh key from `source`. Error: entropy_failed.
[[nodiscard]] wsp::expected<websocket_key> make_key(entropy_source& source) noexcept;

// A Sec-WebSocket-Accept value: 28 base64 characters of a SHA-1 digest.
class accept_value {
public:
    [[nodiscard]] std::string_view view() const noexcept { return {chars_.data(), chars_.size()}; }
    friend accept_value compute_accept(std::string_view key) noexcept;

private:
    std::array<char, 28> chars_{};
};

// RFC 6455 §4.2.2: base64(SHA-1(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")), for any key as
// received (the server role validates the key separately with is_valid_key). No allocation;
// callable from any thread.
[[nodiscard]] accept_value compute_accept(std::string_view key) noexcept;

// RFC 6455 §4.1: a valid key is base64 of exactly 16 bytes (24 characters, "==" padded).
[[nodiscard]] bool is_valid_key(std::string_view key) noexcept;

} // namespace wsp::http1
