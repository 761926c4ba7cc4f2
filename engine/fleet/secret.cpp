#include "engine/fleet/secret.h"

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <vector>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "engine/fleet/detail/text.h"

namespace wsp::fleet {
namespace {

constexpr std::size_t nonce_size = 12; // SP 800-38D §5.2.1.1: 96-bit IVs are the recommended length
constexpr std::size_t tag_size = 16;
// Associated data binds a sealed value to this format version, so it cannot be replayed as another.
constexpr std::string_view associated_data = "wsprobe enc:v1";

struct ctx_deleter {
    void operator()(EVP_CIPHER_CTX* c) const noexcept { EVP_CIPHER_CTX_free(c); }
};
using cipher_ctx = std::unique_ptr<EVP_CIPHER_CTX, ctx_deleter>;

// Wipes a buffer that held plaintext before it goes back to the allocator.
template <class Buffer> void wipe(Buffer& b) noexcept
{
    if (!b.empty()) {
        OPENSSL_cleanse(b.data(), b.size());
    }
}

const unsigned char* uchars(std::string_view s) noexcept
{
    return reinterpret_cast<const unsigned char*>(s.data());
}

std::string drop_final_newline(std::string s)
{
    if (!s.empty() && s.back() == '\n') {
        s.pop_back();
        if (!s.empty() && s.back() == '\r') {
            s.pop_back();
        }
    }
    return s;
}

} // namespace

master_key::master_key(std::span<const std::uint8_t, size> bytes) noexcept
{
    std::copy(bytes.begin(), bytes.end(), bytes_.begin());
}

master_key::master_key(const master_key& other) noexcept : bytes_(other.bytes_) {}

master_key& master_key::operator=(const master_key& other) noexcept
{
    bytes_ = other.bytes_;
    return *this;
}

master_key::~master_key()
{
    OPENSSL_cleanse(bytes_.data(), bytes_.size());
}

wsp::expected<master_key> parse_master_key(std::string_view text)
{
    text = detail::trim(text);
    std::optional<std::vector<std::uint8_t>> bytes;
    if (text.size() == 2 * master_key::size) {
        bytes = detail::hex_decode(text);
    } else {
        bytes = detail::base64_decode(text);
    }
    if (!bytes || bytes->size() != master_key::size) {
        if (bytes) {
            wipe(*bytes);
        }
        return fail(errc::bad_master_key);
    }
    master_key key(std::span<const std::uint8_t, master_key::size>(bytes->data(), master_key::size));
    wipe(*bytes);
    return key;
}

wsp::expected<master_key> generate_master_key()
{
    std::array<std::uint8_t, master_key::size> bytes{};
    if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
        return fail(errc::crypto_failure);
    }
    master_key key(bytes);
    OPENSSL_cleanse(bytes.data(), bytes.size());
    return key;
}

std::string master_key_text(const master_key& key)
{
    return detail::base64_encode(key.bytes());
}

secret_sources process_secret_sources()
{
    secret_sources s;
    s.env = [](std::string_view name) -> std::optional<std::string> {
        const char* v = std::getenv(std::string(name).c_str()); // NOLINT(concurrency-mt-unsafe)
        if (v == nullptr) {
            return std::nullopt;
        }
        return std::string(v);
    };
    s.read_file = [](std::string_view path) -> std::optional<std::string> {
        std::ifstream in{std::string(path), std::ios::binary};
        if (!in) {
            return std::nullopt;
        }
        std::string data{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
        if (in.bad()) {
            return std::nullopt;
        }
        return data;
    };
    return s;
}

wsp::expected<std::optional<master_key>> load_master_key(const secret_sources& sources,
                                                         std::optional<std::string_view> key_file)
{
    if (sources.env) {
        if (auto v = sources.env(master_key_env)) {
            auto key = parse_master_key(*v);
            wipe(*v);
            if (!key) {
                return tl::unexpected(key.error());
            }
            return std::optional<master_key>(*key);
        }
    }
    if (!key_file) {
        return std::optional<master_key>();
    }
    std::optional<std::string> contents = sources.read_file ? sources.read_file(*key_file) : std::nullopt;
    if (!contents) {
        return fail(errc::secret_unavailable);
    }
    auto key = parse_master_key(*contents);
    wipe(*contents);
    if (!key) {
        return tl::unexpected(key.error());
    }
    return std::optional<master_key>(*key);
}

bool is_sealed(std::string_view text) noexcept
{
    return text.starts_with(sealed_prefix);
}

wsp::expected<std::string> seal_secret(std::string_view plaintext, const master_key& key)
{
    std::vector<std::uint8_t> blob(nonce_size + plaintext.size() + tag_size);
    if (RAND_bytes(blob.data(), static_cast<int>(nonce_size)) != 1) {
        return fail(errc::crypto_failure);
    }
    cipher_ctx ctx(EVP_CIPHER_CTX_new());
    int len = 0;
    unsigned char* ct = blob.data() + nonce_size;
    const bool ok =
        ctx && EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(nonce_size), nullptr) == 1 &&
        EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, key.bytes().data(), blob.data()) == 1 &&
        EVP_EncryptUpdate(ctx.get(), nullptr, &len, uchars(associated_data),
                          static_cast<int>(associated_data.size())) == 1 &&
        EVP_EncryptUpdate(ctx.get(), ct, &len, uchars(plaintext), static_cast<int>(plaintext.size())) == 1 &&
        EVP_EncryptFinal_ex(ctx.get(), ct + len, &len) == 1 &&
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(tag_size),
                            blob.data() + nonce_size + plaintext.size()) == 1;
    if (!ok) {
        return fail(errc::crypto_failure);
    }
    std::string out(sealed_prefix);
    out += detail::base64_encode(blob);
    return out;
}

wsp::expected<std::string> open_secret(std::string_view sealed, const master_key& key)
{
    if (!is_sealed(sealed)) {
        return fail(errc::bad_secret_format);
    }
    auto blob = detail::base64_decode(sealed.substr(sealed_prefix.size()));
    if (!blob || blob->size() < nonce_size + tag_size) {
        return fail(errc::bad_secret_format);
    }
    const std::size_t ct_size = blob->size() - nonce_size - tag_size;
    std::string plain(ct_size, '\0');
    cipher_ctx ctx(EVP_CIPHER_CTX_new());
    int len = 0;
    auto* out = reinterpret_cast<unsigned char*>(plain.data());
    const bool setup =
        ctx && EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(nonce_size), nullptr) == 1 &&
        EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, key.bytes().data(), blob->data()) == 1 &&
        EVP_DecryptUpdate(ctx.get(), nullptr, &len, uchars(associated_data),
                          static_cast<int>(associated_data.size())) == 1 &&
        EVP_DecryptUpdate(ctx.get(), out, &len, blob->data() + nonce_size, static_cast<int>(ct_size)) == 1 &&
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(tag_size),
                            blob->data() + nonce_size + ct_size) == 1;
    if (!setup) {
        wipe(plain);
        return fail(errc::crypto_failure);
    }
    // EVP_DecryptFinal_ex is where GCM compares the tag: it returns <= 0 on any mismatch, and the
    // plaintext already written by DecryptUpdate must then be discarded unread.
    if (EVP_DecryptFinal_ex(ctx.get(), out + len, &len) != 1) {
        wipe(plain);
        return fail(errc::secret_tampered);
    }
    return plain;
}

wsp::expected<std::string> resolve_secret(const secret_ref& ref, const secret_sources& sources,
                                          const master_key* key)
{
    switch (ref.kind) {
    case secret_kind::literal:
        return ref.text;
    case secret_kind::env: {
        auto v = sources.env ? sources.env(ref.text) : std::nullopt;
        if (!v) {
            return fail(errc::secret_unavailable);
        }
        return std::move(*v);
    }
    case secret_kind::file: {
        auto v = sources.read_file ? sources.read_file(ref.text) : std::nullopt;
        if (!v) {
            return fail(errc::secret_unavailable);
        }
        return drop_final_newline(std::move(*v));
    }
    case secret_kind::sealed:
        if (key == nullptr) {
            return fail(errc::no_master_key);
        }
        return open_secret(ref.text, *key);
    }
    return fail(errc::bad_field);
}

} // namespace wsp::fleet
