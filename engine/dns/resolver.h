// Asynchronous host-name resolution (A and AAAA, RFC 1035 §3.4.1 / RFC 3596 §2.1) on one c-ares
// channel, driven by any event loop: the resolver says which sockets to watch and when to wake up,
// the loop reports readiness and the time. It never blocks, never reads a clock, never spawns.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/dns/address.h"
#include "engine/dns/error.h"
#include "proto/error.h"

namespace wsp::dns {

// Names one lookup. Ids are reused only after a full 2^32 generations of the same slot, so a stale
// id given to cancel() is a harmless no-op. The zero id is never issued.
struct lookup_id {
    std::uint32_t slot = 0;
    std::uint32_t generation = 0;

    [[nodiscard]] bool valid() const noexcept { return generation != 0; }
    friend bool operator==(const lookup_id&, const lookup_id&) noexcept = default;
};

// What a finished lookup delivers. Every view (host, addresses) is valid only during the
// on_lookup_done() call; copy what you keep. On success `addresses` is non-empty.
struct lookup_outcome {
    lookup_id id;
    std::string_view host;
    address_family family = address_family::any;
    wsp::expected<std::span<const resolved_address>> addresses;
};

// Receives completions. One handler per lookup (often the awaiter of the lookup itself), so no
// std::function is allocated per lookup. It must stay alive until it is called or the lookup is
// cancelled.
class lookup_handler {
public:
    virtual void on_lookup_done(const lookup_outcome& outcome) noexcept = 0;

protected:
    ~lookup_handler() = default;
};

// One socket the resolver wants watched. readable/writable both false never appears in the list;
// it is what the socket_watcher hears when c-ares stops watching (and then closes) a socket.
struct watched_socket {
    int fd = -1;
    bool readable = false;
    bool writable = false;
};

// Optional push notification of watch changes, for loops that register interest per socket
// (io_uring poll, epoll). Called on the resolver's thread from inside start(), process(),
// process_timeouts() and the destructor; it must not call back into the resolver.
class socket_watcher {
public:
    virtual void on_watch_changed(const watched_socket& socket) noexcept = 0;

protected:
    ~socket_watcher() = default;
};

// Order of addresses within a result. Within one family the order is the order of the answer
// records (or of /etc/hosts); duplicates are dropped.
enum class address_preference : std::uint8_t { ipv4_first = 0, ipv6_first = 1 };

struct resolver_options {
    // Explicit servers ("ip", "ip:port", "[ipv6]:port"), tried in order. Empty: the nameservers,
    // search list and options of /etc/resolv.conf. /etc/hosts is consulted first either way.
    // The next server is tried after a timeout or an unreachable server; a SERVFAIL, REFUSED or
    // NOTIMP answer ends the lookup with that code, so the report says what the server said.
    std::vector<std::string> servers;
    // Per-lookup bound enforced by the resolver from the `now` values the driver passes.
    std::int64_t lookup_timeout_ns = 5'000'000'000;
    // c-ares per-try timeout, doubled by c-ares on each round over the servers. 0 derives it from
    // lookup_timeout_ns so that all `tries` rounds fit: timeout / (2^tries - 1), at least 50 ms.
    std::int64_t attempt_timeout_ns = 0;
    // Tries per server, 1..8.
    int tries = 2;
    // Round-robin over servers per query; off means always the configured order.
    bool rotate = false;
    address_preference preference = address_preference::ipv4_first;
    // At most this many addresses per result (1..256); further records are ignored.
    std::size_t max_addresses = 16;
    // Lookups holding a slot at once (1..2^20), including cancelled or timed-out ones whose
    // c-ares query has not finished yet. start() beyond it fails with too_many_lookups.
    std::size_t max_lookups = 4096;
    // SO_RCVBUF for c-ares sockets, in bytes; 0 keeps the kernel default. Raise it when many
    // lookups start at once so answers are not dropped before the loop reads them.
    int socket_receive_buffer = 0;
    // Optional; must outlive the resolver.
    socket_watcher* watcher = nullptr;
};

// One c-ares channel and the lookups on it.
//
// Threading: not thread-safe. Create, drive and destroy it on one thread (a reactor's); every
// handler and watcher call happens on that thread, inside the resolver's own member calls.
//
// Driving contract:
//   1. Watch every fd in watched_sockets() (or follow socket_watcher notifications) for the
//      interest given; on readiness call process(fd, readable, writable). Treat POLLERR/POLLHUP as
//      readable so c-ares sees the error.
//   2. Wake up no later than next_deadline(now) and call process_timeouts(now).
//   `now` is CLOCK_MONOTONIC in nanoseconds (any monotonic origin, the same for every call).
//
// Completion: handlers are never called from inside start(). Lookups that finish at once (numeric
// literals, /etc/hosts) are queued, next_deadline() reports them as due immediately, and the next
// process() or process_timeouts() delivers them. Each started lookup gets exactly one handler
// call, unless it is cancelled. Handlers may call start() and cancel(), but must not call
// process(), process_timeouts() or destroy the resolver.
class resolver {
public:
    // Builds the channel. Errors: bad_option, bad_server (config), init_failed, out_of_memory.
    // Reads /etc/resolv.conf (and /etc/hosts later, per lookup) through c-ares; allocates.
    [[nodiscard]] static wsp::expected<resolver> create(const resolver_options& options);

    resolver(resolver&& other) noexcept;
    resolver& operator=(resolver&& other) noexcept;
    resolver(const resolver&) = delete;
    resolver& operator=(const resolver&) = delete;
    // Every lookup not yet delivered gets on_lookup_done() with errc::cancelled, then the channel
    // and its sockets are closed. A moved-from resolver may only be destroyed or assigned to.
    ~resolver();

    // Starts resolving `host` (a name, or an IPv4/IPv6 literal, which resolves without a query)
    // for `family`, completing by now_ns + timeout_ns (lookup_timeout_ns when omitted). The host
    // is copied. Synchronous errors, for which the handler is never called: bad_name (empty or
    // malformed name), bad_option (timeout <= 0), too_many_lookups, cancelled (resolver being
    // destroyed). Allocates only while the slot table grows or a longer host name than any
    // before is stored.
    [[nodiscard]] wsp::expected<lookup_id> start(std::string_view host, address_family family,
                                                 lookup_handler& handler, std::int64_t now_ns);
    [[nodiscard]] wsp::expected<lookup_id> start(std::string_view host, address_family family,
                                                 lookup_handler& handler, std::int64_t now_ns,
                                                 std::int64_t timeout_ns);

    // Withdraws a lookup: its handler will not be called (it may be destroyed right away). Returns
    // false if the id is stale or already delivered. The c-ares query, if any, runs on until it
    // ends by itself and holds its slot until then.
    bool cancel(lookup_id id) noexcept;

    // Sockets to watch now. The view is invalidated by any other member call.
    [[nodiscard]] std::span<const watched_socket> watched_sockets() const noexcept;
    // Increases whenever watched_sockets() changes, so a loop can skip rebuilding its poll set.
    [[nodiscard]] std::uint64_t watch_generation() const noexcept;

    // Reports readiness of one watched fd, then delivers every completed lookup.
    void process(int fd, bool readable, bool writable) noexcept;
    // Runs c-ares retry timers, fails lookups whose deadline is <= now_ns with errc::timeout, then
    // delivers every completed lookup.
    void process_timeouts(std::int64_t now_ns) noexcept;

    // Earliest time process_timeouts() must run: now_ns if completions are queued, else the
    // earlier of the nearest lookup deadline and the c-ares retry timer; nullopt when idle.
    [[nodiscard]] std::optional<std::int64_t> next_deadline(std::int64_t now_ns) const noexcept;

    // Lookups started and neither delivered nor cancelled.
    [[nodiscard]] std::size_t pending() const noexcept;
    // Slots in use, including cancelled or timed-out lookups whose c-ares query still runs.
    [[nodiscard]] std::size_t slots_in_use() const noexcept;

private:
    struct state;
    explicit resolver(std::unique_ptr<state> s) noexcept;
    std::unique_ptr<state> state_;
};

} // namespace wsp::dns
