// Sec-WebSocket-Key generation and Sec-WebSocket-Accept computation (RFC 6455 §1.3, §4.1, §4.2.2).

// OpenSSL 3's EVP digest API allocates a provider context for every digest, even when an
// EVP_MD_CTX is reused (measured: one allocation per digest), and the one-shot SHA1() fetches the
// algorithm each call (three allocations). The accept check runs once per connection in load
// tests, so this file uses the low-level SHA1_Init/Update/Final, which are deprecated in 3.0 but
// allocation-free; the deprecation warning is suppressed here only.
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include "http1/key.h"

#include <openssl/rand.h>
#include <openssl/sha.h>

#include "http1/detail/base64.h"

namespace wsp::http1 {
namespace {
// RFC 6455 §1.3: the GUID appended to the key before hashing.
constexpr std::string_view websocket_guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
} // namespace

bool openssl_entropy::fill(std::span<std::uint8_t, 16> out) noexcept
{
    return RAND_bytes(out.data(), static_cast<int>(out.size())) == 1;
}

websocket_key websocket_key::from_bytes(std::span<const std::uint8_t, 16> nonce) noexcept
{
    websocket_key k;
    detail::base64_encode(nonce, k.chars_.data());
    return k;
}

wsp::expected<websocket_key> make_key(entropy_source& source) noexcept
{
    std::array<std::uint8_t, 16> nonce{};
    // RFC 6455 §4.1 item 7: the nonce MUST be selected randomly for each connection.
    if (!source.fill(nonce)) {
        return wsp::fail(errc::entropy_failed);
    }
    return websocket_key::from_bytes(nonce);
}

accept_value compute_accept(std::string_view key) noexcept
{
    std::array<std::uint8_t, SHA_DIGEST_LENGTH> digest{};
    SHA_CTX ctx;
    SHA1_Init(&ctx);
    SHA1_Update(&ctx, key.data(), key.size());
    SHA1_Update(&ctx, websocket_guid.data(), websocket_guid.size());
    SHA1_Final(digest.data(), &ctx);
    accept_value a;
    detail::base64_encode(digest, a.chars_.data());
    return a;
}

bool is_valid_key(std::string_view key) noexcept
{
    std::array<std::uint8_t, 16> nonce{};
    return detail::base64_decode_exact(key, nonce);
}

} // namespace wsp::http1
