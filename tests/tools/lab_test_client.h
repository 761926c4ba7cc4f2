// A blocking loopback client for the lab server tests: plain sockets with SO_RCVTIMEO, raw upgrade
// requests, masked client frames (RFC 6455 §5.3) and a minimal server-frame reader that reports
// header bits as sent, so broken frames can be asserted byte for byte.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <memory>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/runtime/errc.h"
#include "tools/lab/server.h"

namespace wsp::lab::test {

// RFC 6455 §1.3's sample key and its accept value.
inline constexpr std::string_view sample_key = "dGhlIHNhbXBsZSBub25jZQ==";
inline constexpr std::string_view sample_accept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

inline std::string upgrade_request(std::string_view target, std::string_view extra = {},
                                   std::string_view key = sample_key)
{
    std::string r = "GET ";
    r += target;
    r += " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ";
    r += key;
    r += "\r\nSec-WebSocket-Version: 13\r\n";
    r += extra;
    r += "\r\n";
    return r;
}

// A client frame: masked with `key` unless `masked` is false (to provoke §5.1 errors).
inline std::string client_frame(std::uint8_t op, std::string_view payload, bool fin = true, bool masked = true)
{
    static constexpr std::uint8_t key[4] = {0x12, 0x34, 0x56, 0x78};
    std::string f;
    f += static_cast<char>((fin ? 0x80 : 0x00) | op);
    const std::uint8_t mask_bit = masked ? 0x80 : 0x00;
    if (payload.size() < 126) {
        f += static_cast<char>(mask_bit | payload.size());
    } else if (payload.size() <= 0xFFFF) {
        f += static_cast<char>(mask_bit | 126);
        f += static_cast<char>(payload.size() >> 8);
        f += static_cast<char>(payload.size() & 0xFF);
    } else {
        f += static_cast<char>(mask_bit | 127);
        for (int i = 7; i >= 0; --i) {
            f += static_cast<char>((static_cast<std::uint64_t>(payload.size()) >> (8 * i)) & 0xFF);
        }
    }
    if (masked) {
        f.append(reinterpret_cast<const char*>(key), 4);
    }
    for (std::size_t i = 0; i < payload.size(); ++i) {
        f += static_cast<char>(static_cast<std::uint8_t>(payload[i]) ^ (masked ? key[i % 4] : 0));
    }
    return f;
}

inline std::string close_payload(std::uint16_t code, std::string_view reason = {})
{
    std::string p;
    p += static_cast<char>(code >> 8);
    p += static_cast<char>(code & 0xFF);
    p += reason;
    return p;
}

struct server_frame {
    std::uint8_t first = 0;  // FIN, RSV1-3 and opcode as sent
    std::uint8_t second = 0; // MASK bit and 7-bit length as sent
    std::uint64_t length = 0;
    std::string payload;     // read only when length <= 1 MiB
    [[nodiscard]] std::uint8_t op() const noexcept { return first & 0x0F; }
    [[nodiscard]] bool fin() const noexcept { return (first & 0x80) != 0; }
    [[nodiscard]] std::uint16_t close_code() const noexcept
    {
        return payload.size() >= 2 ? static_cast<std::uint16_t>((static_cast<std::uint8_t>(payload[0]) << 8) |
                                                                static_cast<std::uint8_t>(payload[1]))
                                   : 1005;
    }
};

enum class stream_end : std::uint8_t { eof = 0, reset = 1, timeout = 2, data = 3, error = 4 };

class client {
public:
    client(std::uint16_t port, int timeout_ms = 5000)
    {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        set_timeout(timeout_ms);
        sockaddr_in sa{};
        sa.sin_family = AF_INET;
        sa.sin_port = htons(port);
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) == 0;
        if (!connected_ && errno == EINTR) {
            // An interrupted connect continues in the background; wait for it to finish.
            pollfd p{fd_, POLLOUT, 0};
            int err = 0;
            socklen_t len = sizeof(err);
            connected_ = ::poll(&p, 1, timeout_ms) == 1 &&
                         ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0;
        }
    }
    client(const client&) = delete;
    client& operator=(const client&) = delete;
    client(client&& o) noexcept : fd_(std::exchange(o.fd_, -1)), connected_(o.connected_), buf_(std::move(o.buf_)) {}
    ~client()
    {
        if (fd_ >= 0) {
            ::close(fd_);
        }
    }

    [[nodiscard]] bool connected() const noexcept { return connected_; }
    [[nodiscard]] int fd() const noexcept { return fd_; }
    void set_timeout(int ms) const
    {
        timeval tv{ms / 1000, (ms % 1000) * 1000};
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    }

    bool send(std::string_view s) const
    {
        while (!s.empty()) {
            const ssize_t n = ::send(fd_, s.data(), s.size(), MSG_NOSIGNAL);
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n <= 0) {
                return false;
            }
            s.remove_prefix(static_cast<std::size_t>(n));
        }
        return true;
    }
    void shutdown_send() const { ::shutdown(fd_, SHUT_WR); }

    // Reads up to and including the empty line; the bytes after it stay buffered.
    std::optional<std::string> read_head()
    {
        for (;;) {
            if (const auto end = buf_.find("\r\n\r\n"); end != std::string::npos) {
                std::string head = buf_.substr(0, end + 4);
                buf_.erase(0, end + 4);
                return head;
            }
            if (!fill()) {
                return std::nullopt;
            }
        }
    }

    // One server frame; nullopt on EOF, error or timeout before it is complete.
    std::optional<server_frame> read_frame()
    {
        if (!need(2)) {
            return std::nullopt;
        }
        server_frame f;
        f.first = static_cast<std::uint8_t>(buf_[0]);
        f.second = static_cast<std::uint8_t>(buf_[1]);
        std::size_t pos = 2;
        f.length = f.second & 0x7F;
        const std::size_t ext = f.length == 126 ? 2 : f.length == 127 ? 8 : 0;
        if (!need(pos + ext)) {
            return std::nullopt;
        }
        if (ext != 0) {
            f.length = 0;
            for (std::size_t i = 0; i < ext; ++i) {
                f.length = (f.length << 8) | static_cast<std::uint8_t>(buf_[pos + i]);
            }
            pos += ext;
        }
        if ((f.second & 0x80) != 0) {
            pos += 4; // a server must not mask (§5.1); the key is skipped, the payload left masked
        }
        if (f.length > (std::uint64_t{1} << 20)) {
            buf_.erase(0, std::min(pos, buf_.size()));
            return f;
        }
        if (!need(pos + f.length)) {
            return std::nullopt;
        }
        f.payload = buf_.substr(pos, f.length);
        buf_.erase(0, pos + f.length);
        return f;
    }

    // Bytes buffered or readable now (up to a timeout), without waiting for more.
    std::string take_available()
    {
        if (buf_.empty()) {
            (void)fill();
        }
        return std::exchange(buf_, {});
    }

    // Reads (and keeps) until the stream ends; says how it ended. Bytes read land in buffered().
    stream_end wait_end()
    {
        for (;;) {
            char tmp[4096];
            const ssize_t n = ::recv(fd_, tmp, sizeof(tmp), 0);
            if (n > 0) {
                buf_.append(tmp, static_cast<std::size_t>(n));
                continue;
            }
            if (n == 0) {
                return stream_end::eof;
            }
            if (errno == EINTR) {
                continue; // io_uring task work on this thread (the cluster's control ring) interrupts
            }
            if (errno == ECONNRESET) {
                return stream_end::reset;
            }
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                return buf_.empty() ? stream_end::timeout : stream_end::data;
            }
            return stream_end::error;
        }
    }
    [[nodiscard]] const std::string& buffered() const noexcept { return buf_; }

private:
    bool fill()
    {
        char tmp[8192];
        ssize_t n = 0;
        do {
            n = ::recv(fd_, tmp, sizeof(tmp), 0);
        } while (n < 0 && errno == EINTR);
        if (n <= 0) {
            return false;
        }
        buf_.append(tmp, static_cast<std::size_t>(n));
        return true;
    }
    bool need(std::size_t n)
    {
        while (buf_.size() < n) {
            if (!fill()) {
                return false;
            }
        }
        return true;
    }

    int fd_ = -1;
    bool connected_ = false;
    std::string buf_;
};

// The value of header `name` in a response head (first match, case-sensitive name), or nullopt.
inline std::optional<std::string> header_value(const std::string& head, std::string_view name)
{
    std::string needle = "\r\n";
    needle += name;
    needle += ": ";
    const auto at = head.find(needle);
    if (at == std::string::npos) {
        return std::nullopt;
    }
    const auto start = at + needle.size();
    return head.substr(start, head.find("\r\n", start) - start);
}

inline int status_of(const std::string& head)
{
    if (head.size() < 12 || head.compare(0, 9, "HTTP/1.1 ") != 0) {
        return 0;
    }
    return std::stoi(head.substr(9, 3));
}

// One lab server per test suite with short bounds, so the timeout paths run in well under a
// second; skipped (with the reason) when io_uring is unavailable.
class lab_fixture : public ::testing::Test {
protected:
    static void SetUpTestSuite()
    {
        using namespace std::chrono_literals;
        server_config cfg;
        cfg.limits.head_timeout = 400ms;
        cfg.limits.hold_timeout = 800ms;
        cfg.limits.close_timeout = 500ms;
        cfg.reactor.buffer_count = 1024;
        std::string why;
        auto s = server::start(cfg, &why);
        if (!s) {
            skip_reason_ = s.error() == rt::errc::io_uring_unavailable ? "io_uring unavailable: " + why
                                                                        : std::string();
            start_error_ = std::string(s.error().name()) + ": " + why;
            return;
        }
        server_ = std::move(*s);
    }
    static void TearDownTestSuite() { server_.reset(); }
    void SetUp() override
    {
        if (!server_ && !skip_reason_.empty()) {
            GTEST_SKIP() << skip_reason_;
        }
        ASSERT_TRUE(server_) << "lab server did not start: " << start_error_;
    }

    static std::uint16_t port() { return server_->local_addresses().front().port(); }

    // Connects, sends the upgrade request for `target` and reads the response head.
    static std::pair<std::unique_ptr<client>, std::string> request(std::string_view target,
                                                                   std::string_view extra = {})
    {
        auto c = std::make_unique<client>(port());
        std::string head;
        if (c->connected() && c->send(upgrade_request(target, extra))) {
            head = c->read_head().value_or("");
        }
        return {std::move(c), std::move(head)};
    }

    static inline std::unique_ptr<server> server_;
    static inline std::string skip_reason_;
    static inline std::string start_error_;
};

} // namespace wsp::lab::test
