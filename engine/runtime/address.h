// Socket handles (io_uring direct descriptors) and numeric IPv4/IPv6 socket addresses.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "proto/error.h"

namespace wsp::rt {

// A slot in the owning reactor's direct-descriptor table (not a process fd). Trivially copyable;
// closing is explicit and asynchronous (close_socket / close_op). Valid only on its reactor.
struct socket {
    std::int32_t slot = -1;
    [[nodiscard]] bool valid() const noexcept { return slot >= 0; }
    friend bool operator==(socket, socket) noexcept = default;
};

// A numeric IPv4 or IPv6 address and port (32 bytes, no allocation). Names are resolved by
// engine/dns; this type only parses literals.
class address {
public:
    address() noexcept = default;
    // "127.0.0.1", "::1", "[::1]" (brackets optional) and a host-order port. Fails with
    // errc::bad_address for anything that is not a numeric literal.
    [[nodiscard]] static wsp::expected<address> parse(std::string_view ip, std::uint16_t port);
    // Copies a sockaddr_in or sockaddr_in6; fails with errc::address_family_unsupported otherwise.
    [[nodiscard]] static wsp::expected<address> from_sockaddr(const sockaddr* sa, socklen_t len);
    [[nodiscard]] static address loopback_v4(std::uint16_t port) noexcept;
    [[nodiscard]] static address loopback_v6(std::uint16_t port) noexcept;

    [[nodiscard]] int family() const noexcept { return storage_.v4.sin_family; }
    [[nodiscard]] std::uint16_t port() const noexcept;
    void set_port(std::uint16_t port) noexcept;
    [[nodiscard]] const sockaddr* data() const noexcept { return &storage_.sa; }
    [[nodiscard]] socklen_t size() const noexcept { return len_; }
    // "1.2.3.4:80" or "[::1]:80".
    [[nodiscard]] std::string to_string() const;

private:
    union storage {
        sockaddr sa;
        sockaddr_in v4;
        sockaddr_in6 v6;
    };
    storage storage_{};
    socklen_t len_ = 0;
};

} // namespace wsp::rt
