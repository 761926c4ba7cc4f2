// The shared error vocabulary: wsp::error (a module's code with a stable snake_case name and a
// coarse failure class) and wsp::expected<T>, used on every fallible path.
#pragma once

#include <cstdint>
#include <string_view>
#include <type_traits>

#include <tl/expected.hpp>

namespace wsp {

// Coarse classes that results, metrics and alerts group failures by. Append-only.
enum class failure_class : std::uint8_t {
    none = 0,
    timeout = 1,
    refused = 2,
    dns = 3,
    tls = 4,
    handshake = 5,
    protocol = 6,
    peer_closed = 7,
    limit = 8,
    cancelled = 9,
    internal = 10,
    config = 11,
    blocked = 12,
};

[[nodiscard]] std::string_view to_string(failure_class c) noexcept;

// A module's error domain: maps its errc values to stable names, classes and short descriptions.
// Each module defines `enum class errc : std::uint16_t` and `const error_domain& domain_of(errc)`
// in its own namespace, found by argument-dependent lookup.
struct error_domain {
    std::string_view module;
    std::string_view (*name)(std::uint16_t code) noexcept;
    failure_class (*classify)(std::uint16_t code) noexcept;
    std::string_view (*describe)(std::uint16_t code) noexcept;
};

template <class E>
concept error_enum = std::is_enum_v<E> && requires(E e) {
    { domain_of(e) } -> std::same_as<const error_domain&>;
};

// A trivially copyable (pointer, code) pair. Value 0 of every errc is reserved for "ok" and is
// never wrapped in an error.
class error {
public:
    constexpr error() noexcept = default;
    constexpr error(const error_domain& d, std::uint16_t code) noexcept : domain_(&d), code_(code) {}
    template <error_enum E>
    constexpr error(E e) noexcept : error(domain_of(e), static_cast<std::uint16_t>(e)) // NOLINT
    {
    }

    [[nodiscard]] std::uint16_t code() const noexcept { return code_; }
    [[nodiscard]] std::string_view module() const noexcept { return domain_ ? domain_->module : "none"; }
    // Stable snake_case name; these go into JSON results and metrics labels.
    [[nodiscard]] std::string_view name() const noexcept { return domain_ ? domain_->name(code_) : "ok"; }
    [[nodiscard]] failure_class cls() const noexcept
    {
        return domain_ ? domain_->classify(code_) : failure_class::none;
    }
    // A short generic sentence; callers with context build a better one.
    [[nodiscard]] std::string_view describe() const noexcept { return domain_ ? domain_->describe(code_) : ""; }
    [[nodiscard]] explicit operator bool() const noexcept { return domain_ != nullptr; }

    template <error_enum E>
    [[nodiscard]] bool is(E e) const noexcept
    {
        return domain_ == &domain_of(e) && code_ == static_cast<std::uint16_t>(e);
    }
    friend bool operator==(const error& a, const error& b) noexcept
    {
        return a.domain_ == b.domain_ && a.code_ == b.code_;
    }
    template <error_enum E>
    friend bool operator==(const error& a, E e) noexcept
    {
        return a.is(e);
    }

private:
    const error_domain* domain_ = nullptr;
    std::uint16_t code_ = 0;
};

template <class T>
using expected = tl::expected<T, error>;
using tl::unexpected;

// One row of a module's error table: the stable name, the class and a short description.
struct errc_info {
    std::string_view name;
    failure_class cls;
    std::string_view text;
};

// Builds an error_domain from a function mapping each errc value to its errc_info, so a module
// writes one table instead of three lookups:
//   constexpr auto domain = wsp::domain_from_table<errc, &info>("assert");
template <class E, errc_info (*Info)(E) noexcept>
[[nodiscard]] constexpr error_domain domain_from_table(std::string_view module) noexcept
{
    return error_domain{
        module,
        [](std::uint16_t c) noexcept { return Info(static_cast<E>(c)).name; },
        [](std::uint16_t c) noexcept { return Info(static_cast<E>(c)).cls; },
        [](std::uint16_t c) noexcept { return Info(static_cast<E>(c)).text; },
    };
}

template <error_enum E>
[[nodiscard]] inline tl::unexpected<error> fail(E e) noexcept
{
    return tl::unexpected<error>(error(e));
}

} // namespace wsp
