// The state-change webhook (RFC 9112 §3, §4, §6.2; RFC 9110 §9.3.3): URL parsing, request
// formatting and status-line parsing (sans-I/O), and the delivery thread on its own reactor.
#include "engine/fleet/webhook.h"

#include <charconv>
#include <array>
#include <future>
#include <span>

#include "engine/runtime/clock.h"
#include "engine/runtime/ops.h"
#include "engine/runtime/reactor.h"
#include "engine/runtime/socket.h"
#include "engine/runtime/task.h"

namespace wsp::fleet {

namespace {

bool fail_with(std::string* diagnostic, std::string sentence)
{
    if (diagnostic != nullptr) {
        *diagnostic = std::move(sentence);
    }
    return false;
}

// RFC 9112 §3.2: the request target is visible ASCII only.
bool target_bytes_ok(std::string_view t) noexcept
{
    for (const char c : t) {
        const auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u >= 0x7f || c == '#') {
            return false;
        }
    }
    return true;
}

} // namespace

std::optional<webhook_url> parse_webhook_url(std::string_view text, std::string* diagnostic)
{
    constexpr std::string_view scheme = "http://";
    if (text.substr(0, scheme.size()) != scheme) {
        (void)fail_with(diagnostic, "webhook URL '" + std::string(text) + "' is not http://");
        return std::nullopt;
    }
    std::string_view rest = text.substr(scheme.size());
    const auto slash = rest.find_first_of("/?");
    std::string_view authority = rest.substr(0, slash);
    std::string_view target = slash == std::string_view::npos ? std::string_view("/") : rest.substr(slash);
    webhook_url u;
    if (authority.empty() || authority.find('@') != std::string_view::npos) {
        (void)fail_with(diagnostic, "webhook URL '" + std::string(text) + "' has no host or has user info");
        return std::nullopt;
    }
    std::string_view host = authority;
    std::string_view port_text;
    if (authority.front() == '[') {
        const auto close = authority.find(']');
        if (close == std::string_view::npos) {
            (void)fail_with(diagnostic, "webhook URL '" + std::string(text) + "' has an unclosed '['");
            return std::nullopt;
        }
        host = authority.substr(1, close - 1);
        const std::string_view after = authority.substr(close + 1);
        if (!after.empty() && after.front() != ':') {
            (void)fail_with(diagnostic, "webhook URL '" + std::string(text) + "' has bytes after ']'");
            return std::nullopt;
        }
        port_text = after.empty() ? after : after.substr(1);
    } else if (const auto colon = authority.rfind(':'); colon != std::string_view::npos) {
        host = authority.substr(0, colon);
        port_text = authority.substr(colon + 1);
    }
    if (!port_text.empty() || authority.back() == ':') {
        unsigned port = 0;
        const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
        if (port_text.empty() || ec != std::errc{} || end != port_text.data() + port_text.size() || port == 0 ||
            port > 65535) {
            (void)fail_with(diagnostic, "webhook URL '" + std::string(text) + "' has a bad port");
            return std::nullopt;
        }
        u.port = static_cast<std::uint16_t>(port);
    }
    if (!parse_ip(host)) {
        (void)fail_with(diagnostic, "webhook URL '" + std::string(text) + "': host must be an IP address");
        return std::nullopt;
    }
    if (!target_bytes_ok(target)) {
        (void)fail_with(diagnostic, "webhook URL '" + std::string(text) + "' has a fragment or bytes not allowed in a request target");
        return std::nullopt;
    }
    u.host = std::string(host);
    u.authority = std::string(authority);
    u.target = target.front() == '?' ? "/" + std::string(target) : std::string(target);
    return u;
}

std::string format_webhook_request(const webhook_url& url, std::string_view body)
{
    std::string out;
    out.reserve(160 + url.target.size() + body.size());
    out += "POST ";
    out += url.target;
    out += " HTTP/1.1\r\nHost: ";
    out += url.authority;
    out += "\r\nUser-Agent: wsprobe\r\nContent-Type: application/json\r\nContent-Length: ";
    out += std::to_string(body.size());
    out += "\r\nConnection: close\r\n\r\n";
    out += body;
    return out;
}

int parse_webhook_status(std::string_view bytes) noexcept
{
    // RFC 9112 §4: status-line = HTTP-version SP status-code SP [ reason-phrase ] CRLF
    constexpr std::string_view prefix = "HTTP/1.";
    const std::size_t have = std::min(bytes.size(), prefix.size());
    if (bytes.substr(0, have) != prefix.substr(0, have)) {
        return -1;
    }
    if (bytes.size() < 13) {
        return 0;
    }
    if (bytes[7] < '0' || bytes[7] > '9' || bytes[8] != ' ' || bytes[12] != ' ') {
        return -1;
    }
    int code = 0;
    for (std::size_t i = 9; i < 12; ++i) {
        if (bytes[i] < '0' || bytes[i] > '9') {
            return -1;
        }
        code = code * 10 + (bytes[i] - '0');
    }
    return code < 100 ? -1 : code;
}

struct webhook_sender::impl {
    webhook_url url;
    rt::address address;
    webhook_options opts;
    mutable std::mutex mu;
    std::deque<std::string> pending; // guarded by mu
    webhook_counters counters;       // guarded by mu
    std::atomic<bool> stopping{false};
    std::atomic<std::int64_t> drain_until_ns{0};
    std::thread thread;
    std::string start_error;

    std::optional<std::string> take()
    {
        std::lock_guard lk(mu);
        if (pending.empty()) {
            return std::nullopt;
        }
        std::string s = std::move(pending.front());
        pending.pop_front();
        return s;
    }
    void count(std::uint64_t webhook_counters::*field)
    {
        std::lock_guard lk(mu);
        ++(counters.*field);
    }
    [[nodiscard]] bool out_of_time() const noexcept
    {
        return stopping.load() && rt::mono_now() >= drain_until_ns.load();
    }

    // One attempt: true when the receiver answered 2xx.
    rt::task<bool> attempt(rt::reactor& r, const std::string& request)
    {
        const rt::deadline until = rt::deadline::after(opts.attempt_timeout);
        rt::connect_options co;
        co.until = until;
        auto c = co_await rt::connect_tcp(r, address, co);
        if (!c) {
            co_return false;
        }
        const rt::socket sock = c->sock;
        rt::send_all_op send(r, sock, std::as_bytes(std::span(request.data(), request.size())), until);
        const rt::io_result sent = co_await send;
        int status = sent.ok() ? 0 : -1;
        std::string head;
        std::array<std::byte, 512> buf{};
        while (status == 0 && head.size() < 4096) {
            const rt::io_result got = co_await rt::with_deadline(rt::recv_op(r, sock, std::span(buf)), until);
            if (got.res <= 0) {
                status = -1;
                break;
            }
            head.append(reinterpret_cast<const char*>(buf.data()), static_cast<std::size_t>(got.res));
            status = parse_webhook_status(head);
        }
        const rt::io_result closed = co_await rt::close_socket(r, sock, rt::close_mode::abort);
        (void)closed;
        co_return status >= 200 && status < 300;
    }

    rt::task<void> deliver(rt::reactor& r, const std::string& json)
    {
        const std::string request = format_webhook_request(url, json);
        for (std::size_t i = 0;; ++i) {
            const bool ok = co_await attempt(r, request);
            if (ok) {
                count(&webhook_counters::delivered);
                co_return;
            }
            if (i >= opts.backoff.size() || out_of_time()) {
                count(&webhook_counters::failed);
                co_return;
            }
            rt::sleep_op pause(r, std::chrono::nanoseconds(opts.backoff[i]));
            const rt::io_result slept = co_await pause;
            (void)slept;
            count(&webhook_counters::retries);
        }
    }

    rt::task<void> loop(rt::reactor& r)
    {
        for (;;) {
            if (out_of_time()) {
                co_return;
            }
            std::optional<std::string> next = take();
            if (!next) {
                if (stopping.load()) {
                    co_return;
                }
                rt::sleep_op idle(r, std::chrono::milliseconds(20));
                const rt::io_result slept = co_await idle;
                (void)slept;
                continue;
            }
            co_await deliver(r, *next);
        }
    }

    void run(std::promise<std::string>* started)
    {
        rt::reactor_config cfg;
        cfg.sq_entries = 64;
        cfg.buffer_count = 16;
        cfg.fd_table_size = 64;
        std::string diagnostic;
        auto r = rt::reactor::create(cfg, &diagnostic);
        if (!r) {
            started->set_value(diagnostic.empty() ? std::string("cannot create the webhook reactor") : diagnostic);
            return;
        }
        started->set_value({});
        rt::sync_wait(**r, loop(**r));
    }
};

webhook_sender::webhook_sender(std::unique_ptr<impl> p) noexcept : impl_(std::move(p)) {}

std::unique_ptr<webhook_sender> webhook_sender::start(const webhook_url& url, const webhook_options& opts, bool guard,
                                                      const ssrf_policy& policy, std::string* diagnostic)
{
    auto ip = parse_ip(url.host);
    auto addr = rt::address::parse(url.host, url.port);
    if (!ip || !addr) {
        (void)fail_with(diagnostic, "webhook host '" + url.host + "' is not an IP address");
        return nullptr;
    }
    if (guard) {
        const ssrf_decision d = judge_address(policy, *ip);
        if (!d.allowed) {
            (void)fail_with(diagnostic, "webhook: " + d.sentence);
            return nullptr;
        }
    }
    auto p = std::make_unique<impl>();
    p->url = url;
    p->address = *addr;
    p->opts = opts;
    std::promise<std::string> started;
    auto ready = started.get_future();
    impl* raw = p.get();
    p->thread = std::thread([raw, &started] { raw->run(&started); });
    std::string err = ready.get();
    if (!err.empty()) {
        p->thread.join();
        (void)fail_with(diagnostic, "webhook: " + err);
        return nullptr;
    }
    return std::unique_ptr<webhook_sender>(new webhook_sender(std::move(p)));
}

webhook_sender::~webhook_sender()
{
    stop();
}

bool webhook_sender::enqueue(std::string json)
{
    std::lock_guard lk(impl_->mu);
    if (impl_->stopping.load() || impl_->pending.size() >= impl_->opts.max_pending) {
        ++impl_->counters.dropped;
        return false;
    }
    impl_->pending.push_back(std::move(json));
    return true;
}

webhook_counters webhook_sender::counters() const
{
    std::lock_guard lk(impl_->mu);
    return impl_->counters;
}

void webhook_sender::stop()
{
    if (!impl_->thread.joinable()) {
        return;
    }
    impl_->drain_until_ns.store(rt::mono_now() + std::chrono::nanoseconds(impl_->opts.drain_limit).count());
    impl_->stopping.store(true);
    impl_->thread.join();
}

} // namespace wsp::fleet
