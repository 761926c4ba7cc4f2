// wsprobe-lab's server: a cluster of io_uring reactors serving the lab scenarios (scenario.h) over
// plain TCP and, per TLS listener, over TLS (RFC 8446; tls_pipe.h). One listening socket per
// address, shared by every reactor, each running a multishot accept into its own
// direct-descriptor table (the kernel wakes one waiter per connection).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/runtime/address.h"
#include "engine/runtime/reactor.h"
#include "proto/error.h"
#include "tls/context.h"
#include "tools/lab/session.h"

namespace wsp::lab {

// A listener whose connections run the TLS server handshake with `context` (a server context,
// shared by every reactor) before the scenario paths.
struct tls_listener {
    std::string name;    // what this listener's certificate or policy demonstrates
    rt::address address; // port 0: an ephemeral port
    tls::context context;
};

struct server_config {
    std::vector<rt::address> listen; // empty: 127.0.0.1 port 0
    std::vector<tls_listener> tls_listen;
    unsigned threads = 1; // reactors (threads); 0 means one per core
    bool log = false;     // one line per connection to `log_fd`
    int log_fd = 2;
    session_limits limits{};
    rt::reactor_config reactor{};
};

struct server_stats {
    std::uint64_t accepted = 0;
    std::uint64_t active = 0;
    std::uint64_t upgraded = 0;
    std::uint64_t answered = 0;
    std::uint64_t no_request = 0;
    std::uint64_t messages = 0;
    std::uint64_t accept_errors = 0;
    std::uint64_t tls_failed = 0;
};

class server {
public:
    // Binds every address (SO_REUSEADDR, listen), starts the reactors and begins accepting.
    // Errors: the runtime's (address_in_use, permission_denied, io_uring_unavailable, ...), with
    // a readable sentence in `diagnostic` when given. SIGINT/SIGTERM are not touched: the caller
    // decides how to learn it should stop (wsprobe-lab's main uses sigwait).
    [[nodiscard]] static wsp::expected<std::unique_ptr<server>> start(const server_config& cfg,
                                                                      std::string* diagnostic = nullptr);
    server(const server&) = delete;
    server& operator=(const server&) = delete;
    ~server(); // stop()

    // The bound addresses with their actual ports, in the order given.
    [[nodiscard]] const std::vector<rt::address>& local_addresses() const noexcept;
    // The TLS listeners' bound addresses, in the order of server_config::tls_listen.
    [[nodiscard]] const std::vector<rt::address>& tls_addresses() const noexcept;
    // Any thread; values are a recent snapshot.
    [[nodiscard]] server_stats stats() const noexcept;

    // Any thread but a reactor's, idempotent: stops accepting, winds every connection down (echo
    // connections get close 1001, others a FIN, all within the session bounds), then joins the
    // reactor threads. Returns when every socket is closed and every thread has exited.
    void stop();

    struct impl;

private:
    explicit server(std::unique_ptr<impl> p) noexcept;
    std::unique_ptr<impl> impl_;
};

} // namespace wsp::lab
