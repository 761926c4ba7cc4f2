// Test support: a tiny UDP DNS responder (RFC 1035 §4.1 message format) on 127.0.0.1 at an
// ephemeral port, on its own thread, that answers from a fixed table so resolver tests need no
// network. Bounded: it polls in short slices and stops and joins in its destructor.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace wsp::dns::test {

enum class reply : std::uint8_t { answer, nxdomain, servfail, refused, silent };

struct zone_entry {
    std::string name;               // lower case, no trailing dot
    reply behaviour = reply::answer;
    std::vector<std::string> a;     // dotted quads, in answer order
    std::vector<std::string> aaaa;  // IPv6 literals, in answer order
};

class fake_dns_server {
public:
    explicit fake_dns_server(std::vector<zone_entry> zone) : zone_(std::move(zone))
    {
        fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd_ < 0) {
            throw std::runtime_error("fake_dns_server: socket failed");
        }
        // Room for a burst of a few hundred queries before the thread gets to read them.
        const int buffer = 1 << 20;
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof(buffer));
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof(addr);
        if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
            ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
            ::close(fd_);
            throw std::runtime_error("fake_dns_server: bind failed");
        }
        port_ = ntohs(addr.sin_port);
        thread_ = std::thread([this] { run(); });
    }

    fake_dns_server(const fake_dns_server&) = delete;
    fake_dns_server& operator=(const fake_dns_server&) = delete;

    ~fake_dns_server()
    {
        stop_.store(true);
        thread_.join();
        ::close(fd_);
    }

    [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
    [[nodiscard]] std::string endpoint() const { return "127.0.0.1:" + std::to_string(port_); }
    // Queries received so far (answered or not).
    [[nodiscard]] std::size_t queries() const noexcept { return queries_.load(); }

private:
    static constexpr std::uint16_t type_a = 1;
    static constexpr std::uint16_t type_aaaa = 28;

    void run()
    {
        std::array<std::uint8_t, 1500> in{};
        while (!stop_.load()) {
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, 20) <= 0) {
                continue;
            }
            sockaddr_storage from{};
            socklen_t from_len = sizeof(from);
            const ssize_t n = ::recvfrom(fd_, in.data(), in.size(), 0, reinterpret_cast<sockaddr*>(&from), &from_len);
            if (n <= 0) {
                continue;
            }
            ++queries_;
            std::vector<std::uint8_t> out;
            if (respond(std::span<const std::uint8_t>(in.data(), static_cast<std::size_t>(n)), out)) {
                ::sendto(fd_, out.data(), out.size(), 0, reinterpret_cast<sockaddr*>(&from), from_len);
            }
        }
    }

    // Builds the reply to one query; false means stay silent (malformed query or a silent name).
    bool respond(std::span<const std::uint8_t> q, std::vector<std::uint8_t>& out) const
    {
        // RFC 1035 §4.1.1: 12-byte header; we serve exactly one question.
        if (q.size() < 12 || ((q[4] << 8) | q[5]) != 1) {
            return false;
        }
        std::size_t pos = 12;
        std::string name;
        while (pos < q.size() && q[pos] != 0) {
            const std::size_t len = q[pos];
            if (len > 63 || pos + 1 + len > q.size()) {
                return false;
            }
            if (!name.empty()) {
                name += '.';
            }
            for (std::size_t i = 0; i < len; ++i) {
                name += static_cast<char>(std::tolower(q[pos + 1 + i]));
            }
            pos += 1 + len;
        }
        if (pos + 5 > q.size()) {
            return false;
        }
        const std::size_t question_end = pos + 5;
        const auto qtype = static_cast<std::uint16_t>((q[pos + 1] << 8) | q[pos + 2]);

        const auto it = std::find_if(zone_.begin(), zone_.end(), [&](const zone_entry& z) { return z.name == name; });
        const reply behaviour = it == zone_.end() ? reply::nxdomain : it->behaviour;
        if (behaviour == reply::silent) {
            return false;
        }
        std::uint8_t rcode = 0;
        if (behaviour == reply::nxdomain) {
            rcode = 3;
        } else if (behaviour == reply::servfail) {
            rcode = 2;
        } else if (behaviour == reply::refused) {
            rcode = 5;
        }
        std::vector<std::array<std::uint8_t, 16>> rdata;
        std::size_t rdlen = 0;
        if (behaviour == reply::answer) {
            const bool v6 = qtype == type_aaaa;
            if (qtype == type_a || v6) {
                rdlen = v6 ? 16 : 4;
                for (const std::string& text : v6 ? it->aaaa : it->a) {
                    std::array<std::uint8_t, 16> bytes{};
                    if (::inet_pton(v6 ? AF_INET6 : AF_INET, text.c_str(), bytes.data()) == 1) {
                        rdata.push_back(bytes);
                    }
                }
            }
        }
        out.assign(q.begin(), q.begin() + static_cast<std::ptrdiff_t>(question_end));
        out[2] = static_cast<std::uint8_t>(0x80 | (q[2] & 0x79));  // QR, opcode and RD copied
        out[3] = static_cast<std::uint8_t>(0x80 | rcode);          // RA
        out[6] = 0;
        out[7] = static_cast<std::uint8_t>(rdata.size());
        out[8] = out[9] = out[10] = out[11] = 0;
        for (const auto& bytes : rdata) {
            // Owner name as a pointer to the question name at offset 12 (RFC 1035 §4.1.4).
            const std::array<std::uint8_t, 12> rr{0xc0, 0x0c, 0, static_cast<std::uint8_t>(qtype), 0, 1,
                                                  0, 0, 0, 60, 0, static_cast<std::uint8_t>(rdlen)};
            out.insert(out.end(), rr.begin(), rr.end());
            out.insert(out.end(), bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(rdlen));
        }
        return true;
    }

    std::vector<zone_entry> zone_;
    int fd_ = -1;
    std::uint16_t port_ = 0;
    std::atomic<bool> stop_{false};
    std::atomic<std::size_t> queries_{0};
    std::thread thread_;
};

} // namespace wsp::dns::test
