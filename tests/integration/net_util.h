// Test support for servers started by integration tests (nginx, mosquitto, prometheus): a free
// loopback TCP port to give them, a port that refuses, and a bounded wait until they accept.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace wsp::test {

// A port on 127.0.0.1 that was free a moment ago (bind to port 0, read it back, close).
inline std::uint16_t free_port()
{
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(fd);
    return ntohs(a.sin_port);
}

// A loopback port that refuses connections for as long as this object lives: bound but never
// listening, so the kernel answers every SYN with a reset, and no parallel test can take the
// port (a port bound and released at once can be handed to the next bind(0) on the machine).
class refusing_port {
public:
    refusing_port() : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0))
    {
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof a;
        if (fd_ >= 0 && ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
            ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
            port_ = ntohs(a.sin_port);
        }
    }
    refusing_port(const refusing_port&) = delete;
    refusing_port& operator=(const refusing_port&) = delete;
    ~refusing_port()
    {
        if (fd_ >= 0) {
            ::close(fd_);
        }
    }
    // 0 if no port could be bound.
    [[nodiscard]] std::uint16_t port() const noexcept { return port_; }

private:
    int fd_ = -1;
    std::uint16_t port_ = 0;
};

// A TCP socket listening on 127.0.0.1 at a port the kernel chose, for the tests' own loopback
// servers; throws std::runtime_error naming `who` when it cannot.
struct loopback_listener {
    int fd = -1;
    std::uint16_t port = 0;
};
inline loopback_listener listen_loopback(int backlog, const std::string& who)
{
    loopback_listener l;
    l.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (l.fd < 0 || ::bind(l.fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(l.fd, backlog) != 0 ||
        ::getsockname(l.fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
        if (l.fd >= 0) {
            ::close(l.fd);
        }
        throw std::runtime_error(who + ": cannot listen on 127.0.0.1");
    }
    l.port = ntohs(a.sin_port);
    return l;
}

// Polls until a TCP connect to 127.0.0.1:port succeeds, or the timeout passes.
inline bool wait_for_port(std::uint16_t port, std::chrono::milliseconds timeout)
{
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
        ::close(fd);
        if (ok) {
            return true;
        }
        ::usleep(20'000);
    }
    return false;
}

} // namespace wsp::test
