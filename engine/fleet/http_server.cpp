// The HTTP/1.1 server (RFC 9112): accept, read one request head, answer, close. Every parse error
// becomes a 400; nothing a client sends can throw or assert.
#include "engine/fleet/http_server.h"

#include <array>
#include <cerrno>
#include <chrono>
#include <vector>

#include "engine/runtime/ops.h"
#include "engine/runtime/recv_stream.h"
#include "http1/server.h"
#include "proto/hex.h"

namespace wsp::fleet {
namespace {

using namespace std::chrono_literals;

constexpr std::size_t max_request_headers = 64;

bool is_resource_shortage(std::int32_t res) noexcept
{
    return res == -ENFILE || res == -EMFILE || res == -ENOBUFS || res == -ENOMEM;
}

http_reply plain(int status, std::string body)
{
    http_reply r;
    r.status = status;
    r.body = std::move(body);
    return r;
}

// The response bytes: status line, Content-Type, Connection: close, Content-Length and the body.
// For HEAD (RFC 9110 §9.3.2) the body is left out and so is its length: Content-Length is 0.
std::string serialize(const http_reply& reply, bool with_body)
{
    const std::array<http1::header, 2> headers{http1::header{"Content-Type", reply.content_type},
                                               http1::header{"Connection", "close"}};
    std::string out(reply.body.size() + 512, '\0');
    auto n =
        http1::write_response(out, reply.status, {}, headers, with_body ? std::string_view(reply.body) : "");
    if (!n) {
        // Only a handler's bad content type can get here: answer with a fixed, valid head.
        const std::array<http1::header, 1> fallback{http1::header{"Connection", "close"}};
        n = http1::write_response(out, 500, {}, fallback, "internal error: bad response header\n");
    }
    out.resize(n ? *n : 0);
    return out;
}

} // namespace

std::optional<std::string_view> http_request::header(std::string_view name) const noexcept
{
    const http1::header* h = http1::find_header(headers, name);
    if (h == nullptr) {
        return std::nullopt;
    }
    return h->value;
}

std::optional<std::string> form_decode(std::string_view text)
{
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '+') {
            out += ' ';
        } else if (c == '%') {
            // WHATWG URL §1.3: a percent sign must start a percent-encoded byte here.
            if (i + 2 >= text.size()) {
                return std::nullopt;
            }
            const int hi = proto::hex_value(text[i + 1]);
            const int lo = proto::hex_value(text[i + 2]);
            if (hi < 0 || lo < 0) {
                return std::nullopt;
            }
            out += static_cast<char>(hi * 16 + lo);
            i += 2;
        } else {
            out += c;
        }
    }
    return out;
}

std::optional<std::string> query_param(std::string_view query, std::string_view name)
{
    while (!query.empty()) {
        const std::size_t amp = query.find('&');
        const std::string_view pair = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        const std::size_t eq = pair.find('=');
        const std::string_view key = pair.substr(0, eq);
        if (key == name) {
            return form_decode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1));
        }
    }
    return std::nullopt;
}

rt::task<void> http_site::run(rt::reactor* r)
{
    rt::acceptor acc(*r, *listener_);
    acceptor_ = &acc;
    while (!stopping_) {
        const rt::io_result res = co_await acc.next();
        if (res.ok()) {
            if (stopping_) {
                (void)co_await rt::close_socket(*r, rt::socket{res.res}, rt::close_mode::abort);
                break;
            }
            connections_.spawn(connection(this, r, rt::socket{res.res}));
            continue;
        }
        if (res.res == -ECANCELED || stopping_) {
            break;
        }
        if (is_resource_shortage(res.res)) {
            const rt::io_result slept = co_await rt::sleep_op(*r, 10ms);
            if (slept.res != 0) {
                break;
            }
        }
    }
    stopping_ = true;
    co_await acc.stop();
    // Connections accepted before the cancel took effect are still queued: refuse them.
    for (;;) {
        const rt::io_result res = co_await acc.next();
        if (!res.ok()) {
            break;
        }
        (void)co_await rt::close_socket(*r, rt::socket{res.res}, rt::close_mode::abort);
    }
    acceptor_ = nullptr;
    co_await connections_.join();
}

rt::task<void> http_site::stop()
{
    if (stopping_) {
        co_return;
    }
    stopping_ = true;
    if (acceptor_ != nullptr) {
        co_await acceptor_->stop();
    }
}

rt::task<void> http_site::connection(http_site* site, rt::reactor* r, rt::socket s)
{
    std::string buf;
    std::array<http1::header, max_request_headers> storage{};
    http1::request_head head;
    http1::parse_limits limits;
    limits.max_head_size = site->limits_.max_head;
    limits.max_headers = max_request_headers;
    bool complete = false;
    bool answer = false;
    http_reply reply;
    {
        rt::recv_stream rs(*r, s);
        const rt::deadline until{rt::mono_now() + site->limits_.head_timeout_ns};
        std::size_t prev = 0;
        for (;;) {
            rt::recv_chunk chunk = co_await rs.next(until);
            if (!chunk.is_data()) {
                break; // EOF, error or too slow: nothing to answer
            }
            const auto bytes = chunk.bytes();
            buf.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
            chunk.release();
            auto parsed = http1::parse_request(buf, prev, storage, head, limits);
            answer = true;
            if (!parsed) {
                // RFC 9112 §2.2: a request that is not valid HTTP/1.1 is answered 400.
                reply = plain(400, "bad request: " + std::string(parsed.error().name()) + "\n");
                break;
            }
            if (parsed->complete()) {
                complete = true;
                break;
            }
            answer = false;
            prev = buf.size();
        }
        co_await rs.stop();
    }
    ++site->requests_;
    if (answer && !complete) {
        ++site->bad_requests_;
    }
    bool with_body = true;
    if (complete) {
        http_request req;
        req.method = head.method;
        req.target = head.target;
        const std::size_t q = head.target.find('?');
        req.path = head.target.substr(0, q);
        req.query = q == std::string_view::npos ? std::string_view{} : head.target.substr(q + 1);
        req.headers = head.headers;
        with_body = head.method != "HEAD";
        if (head.method != "GET" && head.method != "HEAD") {
            reply = plain(405, "only GET and HEAD are served\n");
        } else if (http1::find_header(head.headers, "Content-Length") != nullptr ||
                   http1::find_header(head.headers, "Transfer-Encoding") != nullptr) {
            // RFC 9112 §6.3: a body would have to be read; GET needs none, so refuse rather than guess.
            reply = plain(400, "bad request: a GET carries no body\n");
        } else {
            reply = co_await site->handler_.handle(site->handler_.ctx, req);
        }
    }
    if (answer) {
        const std::string bytes = serialize(reply, with_body);
        const auto span = std::as_bytes(std::span<const char>(bytes));
        const rt::deadline until{rt::mono_now() + site->limits_.head_timeout_ns};
        (void)co_await rt::send_all_op(*r, s, span, until);
    }
    (void)co_await rt::close_socket(*r, s, answer ? rt::close_mode::graceful : rt::close_mode::abort);
}

} // namespace wsp::fleet
