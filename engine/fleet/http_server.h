// A small HTTP/1.1 server on the engine (RFC 9112) for `/metrics`, `/probe` and the health
// endpoints: requests parsed with http1's request parser, answers written with write_response, one
// request per connection (Connection: close). Anything it cannot parse is answered 400.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "engine/runtime/acceptor.h"
#include "engine/runtime/reactor.h"
#include "engine/runtime/socket.h"
#include "engine/runtime/task.h"
#include "http1/parser.h"

namespace wsp::fleet {

// A parsed request. Views point into the connection's buffer and stay valid until the handler's
// task completes.
struct http_request {
    std::string_view method;
    std::string_view target;
    std::string_view path;  // target before '?'
    std::string_view query; // after '?', still percent-encoded; empty when none
    std::span<const http1::header> headers;

    // The first header with this name (ASCII case-insensitive).
    [[nodiscard]] std::optional<std::string_view> header(std::string_view name) const noexcept;
};

struct http_reply {
    int status = 200;
    std::string content_type = "text/plain; charset=utf-8";
    std::string body;
};

// Decodes application/x-www-form-urlencoded text (WHATWG URL §5.1: '+' is a space, %XX a byte).
// std::nullopt for a '%' not followed by two hex digits.
[[nodiscard]] std::optional<std::string> form_decode(std::string_view text);

// The decoded value of the first `name=` parameter of a query string, or std::nullopt when absent
// or badly encoded.
[[nodiscard]] std::optional<std::string> query_param(std::string_view query, std::string_view name);

// What answers requests. `handle` runs on the accepting reactor's thread; it may await (a /probe
// runs a check). `ctx` outlives the server.
struct http_handler {
    rt::task<http_reply> (*handle)(void* ctx, http_request req) = nullptr;
    void* ctx = nullptr;
};

struct http_limits {
    std::size_t max_head = 16 * 1024;
    std::int64_t head_timeout_ns = 5'000'000'000; // slow clients are dropped after this
};

// The server's part on one reactor: a multishot accept on a shared listening socket and one
// coroutine per connection. Reactor thread only; the listener outlives it.
class http_site {
public:
    http_site(const rt::listener& l, http_handler h, http_limits limits = {}) noexcept
        : listener_(&l), handler_(h), limits_(limits)
    {
    }
    http_site(const http_site&) = delete;
    http_site& operator=(const http_site&) = delete;

    // Accepts until stop(), then waits for every connection. Run it in the reactor's scope.
    [[nodiscard]] rt::task<void> run(rt::reactor* r);
    // Ends the accept loop; connections in progress finish. Call on the site's reactor thread,
    // after run() has started; idempotent.
    [[nodiscard]] rt::task<void> stop();

    [[nodiscard]] std::uint64_t requests() const noexcept { return requests_; }
    [[nodiscard]] std::uint64_t bad_requests() const noexcept { return bad_requests_; }

private:
    static rt::task<void> connection(http_site* site, rt::reactor* r, rt::socket s);

    const rt::listener* listener_;
    http_handler handler_;
    http_limits limits_;
    rt::acceptor* acceptor_ = nullptr;
    rt::scope connections_;
    bool stopping_ = false;
    std::uint64_t requests_ = 0;
    std::uint64_t bad_requests_ = 0;
};

} // namespace wsp::fleet
