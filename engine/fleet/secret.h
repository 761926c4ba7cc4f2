// Secrets in configuration: values taken from the environment, from a file, or sealed with
// AES-256-GCM (NIST SP 800-38D) as "enc:v1:<base64(nonce || ciphertext || tag)>", RFC 4648 §4 base64.
// Functions here never put a secret, a sealed value or a key into an error or any other text.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "engine/fleet/errc.h"

namespace wsp::fleet {

inline constexpr std::string_view sealed_prefix = "enc:v1:";
inline constexpr std::string_view master_key_env = "WSPROBE_MASTER_KEY";

// A 256-bit key, wiped from memory when destroyed.
class master_key {
public:
    static constexpr std::size_t size = 32;
    explicit master_key(std::span<const std::uint8_t, size> bytes) noexcept;
    master_key(const master_key& other) noexcept;
    master_key& operator=(const master_key& other) noexcept;
    ~master_key();

    [[nodiscard]] std::span<const std::uint8_t, size> bytes() const noexcept { return bytes_; }

private:
    std::array<std::uint8_t, size> bytes_{};
};

// Parses a key given as base64 (44 characters with padding) or hex (64 characters) of exactly 32
// bytes; surrounding whitespace (a trailing newline in a key file) is ignored. Errors: bad_master_key.
[[nodiscard]] wsp::expected<master_key> parse_master_key(std::string_view text);
// A fresh random key from the OpenSSL RNG. Errors: crypto_failure.
[[nodiscard]] wsp::expected<master_key> generate_master_key();
// The key as base64, the form `wsprobe secret keygen` prints.
[[nodiscard]] std::string master_key_text(const master_key& key);

// Where secret references are looked up. Injected so tests and the CLI decide what "the
// environment" and "a file" are. A missing variable or unreadable file is std::nullopt.
struct secret_sources {
    std::function<std::optional<std::string>(std::string_view name)> env;
    std::function<std::optional<std::string>(std::string_view path)> read_file;
};

// The real process environment (getenv) and file system (whole file read). Call from start-up or
// reload code, not from a reactor thread: reading a file blocks.
[[nodiscard]] secret_sources process_secret_sources();

// The master key from WSPROBE_MASTER_KEY when set, otherwise from `key_file` when given; none
// when neither is configured. Errors: bad_master_key, secret_unavailable (key file unreadable).
[[nodiscard]] wsp::expected<std::optional<master_key>>
load_master_key(const secret_sources& sources, std::optional<std::string_view> key_file);

// True when `text` starts with "enc:v1:".
[[nodiscard]] bool is_sealed(std::string_view text) noexcept;

// Seals `plaintext` under `key` with a fresh random 96-bit nonce, so sealing the same value twice
// gives different texts. Errors: crypto_failure.
[[nodiscard]] wsp::expected<std::string> seal_secret(std::string_view plaintext, const master_key& key);
// Opens a sealed value. Any change (bit flip, truncation, extension, another key) fails with
// secret_tampered, or bad_secret_format when the text is not "enc:v1:" and canonical base64 of at
// least nonce and tag; nothing of the input or the plaintext is kept on failure.
[[nodiscard]] wsp::expected<std::string> open_secret(std::string_view sealed, const master_key& key);

// A secret as written in the configuration.
enum class secret_kind : std::uint8_t { literal = 0, env = 1, file = 2, sealed = 3 };
struct secret_ref {
    secret_kind kind = secret_kind::literal;
    std::string text; // the value, the variable name, the path, or the sealed text
};

// Resolves a reference. A file's trailing "\n" or "\r\n" is dropped (files written by editors and
// Kubernetes secrets end with one). Errors: secret_unavailable, no_master_key, and those of
// open_secret. `key` may be null when no master key is configured.
[[nodiscard]] wsp::expected<std::string> resolve_secret(const secret_ref& ref, const secret_sources& sources,
                                                        const master_key* key);

} // namespace wsp::fleet
