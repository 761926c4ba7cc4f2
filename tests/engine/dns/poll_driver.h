// Test support: drives a wsp::dns::resolver with poll(2) on the test thread, the way a reactor
// would, and records what its handlers receive.
#pragma once

#include <poll.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/dns/resolver.h"

namespace wsp::dns::test {

inline std::int64_t monotonic_ns()
{
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

// A copy of one lookup_outcome, taken inside the handler.
struct recorded_outcome {
    lookup_id id;
    std::string host;
    address_family family = address_family::any;
    wsp::error failure;
    std::vector<resolved_address> addresses;

    [[nodiscard]] std::vector<std::string> texts() const
    {
        std::vector<std::string> out;
        for (const auto& a : addresses) {
            out.push_back(a.to_string());
        }
        return out;
    }
};

class recorder final : public lookup_handler {
public:
    void on_lookup_done(const lookup_outcome& o) noexcept override
    {
        recorded_outcome r{o.id, std::string(o.host), o.family, {}, {}};
        if (o.addresses) {
            r.addresses.assign(o.addresses->begin(), o.addresses->end());
        } else {
            r.failure = o.addresses.error();
        }
        outcomes.push_back(std::move(r));
    }

    std::vector<recorded_outcome> outcomes;
};

// Polls the resolver's sockets and deadlines until `done()` or `bound` of real time has passed.
// Returns whether `done()` became true.
template <class Done>
bool drive(resolver& r, Done done, std::chrono::milliseconds bound = std::chrono::milliseconds(5000))
{
    const std::int64_t give_up = monotonic_ns() + std::chrono::nanoseconds(bound).count();
    while (!done()) {
        const std::int64_t now = monotonic_ns();
        if (now >= give_up) {
            return false;
        }
        std::vector<pollfd> fds;
        for (const watched_socket& w : r.watched_sockets()) {
            fds.push_back(pollfd{w.fd, static_cast<short>((w.readable ? POLLIN : 0) | (w.writable ? POLLOUT : 0)), 0});
        }
        std::int64_t wait_ms = 50;
        if (const auto due = r.next_deadline(now)) {
            wait_ms = std::clamp<std::int64_t>((*due - now + 999'999) / 1'000'000, 0, 50);
        }
        ::poll(fds.data(), fds.size(), static_cast<int>(wait_ms));
        for (const pollfd& p : fds) {
            if (p.revents != 0) {
                r.process(p.fd, (p.revents & (POLLIN | POLLERR | POLLHUP)) != 0, (p.revents & POLLOUT) != 0);
            }
        }
        r.process_timeouts(monotonic_ns());
    }
    return true;
}

} // namespace wsp::dns::test
