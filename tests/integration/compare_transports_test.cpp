// `wsprobe check --compare-transports` (issue #6) against real servers on 127.0.0.1: Debian's
// nghttpx in front of the lab (RFC 8441 extended CONNECT on its h2 side) is up over both; a front
// end that relays HTTP/1.1 to the lab but refuses the RFC 8441 stream (or the reverse) is down
// with transports_disagree; a server that offers no h2 is HTTP/1.1's verdict.
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <thread>
#include <vector>

#include "tests/integration/net_util.h"
#include "tests/integration/nghttpx_front.h"
#include "tests/integration/tls_harness.h"

namespace {

using namespace wsp::test;

std::string at(const check_json& c, std::initializer_list<const char*> path)
{
    simdjson::dom::element e = c.doc;
    for (const char* key : path) {
        if (e[key].get(e) != simdjson::SUCCESS) {
            return "<missing>";
        }
    }
    std::string_view v;
    return e.get(v) == simdjson::SUCCESS ? std::string(v) : "<not a string>";
}

bool readable(int fd, int ms)
{
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, ms) == 1;
}

bool send_all(int fd, const std::uint8_t* p, std::size_t n)
{
    while (n > 0) {
        const auto w = ::send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0) {
            return false;
        }
        p += w;
        n -= static_cast<std::size_t>(w);
    }
    return true;
}

// What the front end does with one kind of connection: relay it both ways to a loopback port,
// or send `greeting` at once and `answer` when the request is complete (an HTTP/1.1 head, or an
// HTTP/2 HEADERS frame after the client preface).
struct behaviour {
    std::uint16_t relay_port = 0;
    std::vector<std::uint8_t> greeting;
    std::vector<std::uint8_t> answer;
    bool close_after_answer = false; // with no answer: close right after the greeting
};

// A loopback front end that tells the two transports apart by their first bytes (RFC 9113 §3.4:
// an h2c client starts with "PRI * HTTP/2.0") and treats each its own way. Every wait is bounded
// (10 s idle); the destructor stops accepting and joins every thread.
class split_front {
public:
    split_front(behaviour http1, behaviour h2) : http1_(std::move(http1)), h2_(std::move(h2))
    {
        const loopback_listener l = listen_loopback(8, "split_front");
        listener_ = l.fd;
        port_ = l.port;
        acceptor_ = std::thread([this] { accept_loop(); });
    }
    split_front(const split_front&) = delete;
    split_front& operator=(const split_front&) = delete;
    ~split_front()
    {
        stop_ = true;
        acceptor_.join();
        for (auto& t : connections_) {
            t.join();
        }
        ::close(listener_);
    }
    [[nodiscard]] std::string url() const { return "ws://127.0.0.1:" + std::to_string(port_) + "/echo"; }
    [[nodiscard]] int http1_connections() const { return http1_count_.load(); }
    [[nodiscard]] int h2_connections() const { return h2_count_.load(); }

private:
    void accept_loop()
    {
        while (!stop_ && connections_.size() < 8) {
            if (!readable(listener_, 100)) {
                continue;
            }
            const int fd = ::accept(listener_, nullptr, nullptr);
            if (fd >= 0) {
                connections_.emplace_back([this, fd] { serve(fd); });
            }
        }
    }
    void serve(int fd)
    {
        std::vector<std::uint8_t> in;
        std::uint8_t buf[4096];
        while (in.size() < 3 && readable(fd, 10'000)) {
            const auto n = ::recv(fd, buf, sizeof buf, 0);
            if (n <= 0) {
                break;
            }
            in.insert(in.end(), buf, buf + n);
        }
        if (in.size() >= 3) {
            const bool h2 = std::memcmp(in.data(), "PRI", 3) == 0;
            (h2 ? h2_count_ : http1_count_)++;
            const behaviour& b = h2 ? h2_ : http1_;
            if (b.relay_port != 0) {
                relay(fd, in, b.relay_port);
            } else {
                script(fd, std::move(in), b, h2);
            }
        }
        ::close(fd);
    }
    static bool request_complete(const std::vector<std::uint8_t>& in, bool h2)
    {
        if (!h2) {
            const std::string_view s(reinterpret_cast<const char*>(in.data()), in.size());
            return s.find("\r\n\r\n") != std::string_view::npos;
        }
        std::size_t pos = 24; // RFC 9113 §3.4: the client preface, then frames
        while (in.size() >= pos + 9) {
            const std::size_t length =
                (std::size_t{in[pos]} << 16) | (std::size_t{in[pos + 1]} << 8) | in[pos + 2];
            if (in[pos + 3] == 0x1) { // HEADERS: the extended CONNECT
                return true;
            }
            pos += 9 + length;
        }
        return false;
    }
    static void script(int fd, std::vector<std::uint8_t> in, const behaviour& b, bool h2)
    {
        (void)send_all(fd, b.greeting.data(), b.greeting.size());
        if (b.answer.empty() && b.close_after_answer) {
            return;
        }
        bool answered = false;
        std::uint8_t buf[4096];
        for (;;) {
            if (!answered && request_complete(in, h2)) {
                (void)send_all(fd, b.answer.data(), b.answer.size());
                answered = true;
                if (b.close_after_answer) {
                    return;
                }
            }
            if (!readable(fd, 10'000)) {
                return;
            }
            const auto n = ::recv(fd, buf, sizeof buf, 0);
            if (n <= 0) {
                return;
            }
            in.insert(in.end(), buf, buf + n);
        }
    }
    static void relay(int fd, const std::vector<std::uint8_t>& first, std::uint16_t port)
    {
        const int up = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(up, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
            !send_all(up, first.data(), first.size())) {
            ::close(up);
            return;
        }
        // Each side's EOF is passed on as a half-close, so close handshakes finish in order.
        bool open[2] = {true, true};
        const int fds[2] = {fd, up};
        std::uint8_t buf[16384];
        while (open[0] || open[1]) {
            pollfd p[2] = {{fds[0], static_cast<short>(open[0] ? POLLIN : 0), 0},
                           {fds[1], static_cast<short>(open[1] ? POLLIN : 0), 0}};
            if (::poll(p, 2, 10'000) <= 0) {
                break;
            }
            for (int i = 0; i < 2; ++i) {
                if (!open[i] || (p[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) {
                    continue;
                }
                const auto n = ::recv(fds[i], buf, sizeof buf, 0);
                if (n <= 0) {
                    open[i] = false;
                    ::shutdown(fds[1 - i], SHUT_WR);
                } else if (!send_all(fds[1 - i], buf, static_cast<std::size_t>(n))) {
                    open[0] = open[1] = false;
                }
            }
        }
        ::close(up);
    }

    behaviour http1_;
    behaviour h2_;
    int listener_ = -1;
    std::uint16_t port_ = 0;
    std::atomic<bool> stop_{false};
    std::atomic<int> http1_count_{0};
    std::atomic<int> h2_count_{0};
    std::thread acceptor_;
    std::vector<std::thread> connections_; // touched by the acceptor only, then by the destructor
};

// RFC 9113 §6.5: SETTINGS with ENABLE_CONNECT_PROTOCOL (0x8) = 1 (RFC 8441 §3).
const std::vector<std::uint8_t> settings_enabled = {0, 0, 6, 0x4, 0, 0, 0, 0, 0, 0, 0x8, 0, 0, 0, 1};
// RFC 9113 §6.4: RST_STREAM on stream 1 with REFUSED_STREAM (0x7).
const std::vector<std::uint8_t> refuse_stream = {0, 0, 4, 0x3, 0, 0, 0, 0, 1, 0, 0, 0, 0x7};

TEST(compare_transports, h2_refused_while_http1_works_is_down_with_transports_disagree)
{
    lab_server lab;
    split_front front({lab.port(), {}, {}, false}, {0, settings_enabled, refuse_stream, false});
    auto c = check({front.url(), "--compare-transports", "--rtt", "echo", "--upgrade-timeout", "3s"});
    ASSERT_TRUE(c->parsed) << c->context();
    EXPECT_EQ(c->status(), "down") << c->context();
    EXPECT_EQ(c->code(), "transports_disagree") << c->context();
    EXPECT_EQ(c->phase(), "upgrade") << c->context();
    EXPECT_EQ(at(*c, {"agreement"}), "disagree") << c->context();
    EXPECT_EQ(c->run.exit_code, 2) << c->context();
    EXPECT_NE(c->message().find("HTTP/1.1 upgrade works but HTTP/2 extended CONNECT fails"),
              std::string::npos)
        << c->message();
    EXPECT_NE(c->message().find("REFUSED_STREAM (0x7)"), std::string::npos) << c->message();
    EXPECT_EQ(at(*c, {"transports", "http1", "status"}), "up") << c->context();
    EXPECT_EQ(at(*c, {"transports", "http1", "negotiated", "http_version"}), "http/1.1") << c->context();
    EXPECT_EQ(at(*c, {"transports", "h2", "status"}), "down") << c->context();
    EXPECT_EQ(at(*c, {"transports", "h2", "code"}), "stream_reset") << c->context();
    EXPECT_EQ(front.http1_connections(), 1);
    EXPECT_EQ(front.h2_connections(), 1);
}

// What an HTTP/1.1-only server answers to "PRI * HTTP/2.0" (nginx without http2 on the port).
const std::string http1_bad_request =
    "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

// RFC 9113 §3.3: on ws:// the HTTP/2 run is h2c with prior knowledge, which browsers never use.
// A server that does not speak HTTP/2 (an HTTP/1.1 answer to the preface, a close, silence)
// offers no WebSocket over HTTP/2: HTTP/1.1's verdict, with a warning, not transports_disagree.
TEST(compare_transports, an_http1_only_server_keeps_http1s_verdict_on_ws)
{
    struct variant {
        const char* name;
        behaviour h2;
        const char* code;
    };
    lab_server lab;
    const std::vector<variant> variants = {
        {"400 then close",
         {0, {http1_bad_request.begin(), http1_bad_request.end()}, {}, true},
         "h2_not_negotiated"},
        {"close", {0, {}, {}, true}, "h2_not_negotiated"},
        {"silence", {0, {}, {}, false}, "h2_settings_timeout"},
    };
    for (const auto& v : variants) {
        split_front front({lab.port(), {}, {}, false}, v.h2);
        auto c = check({front.url(), "--compare-transports", "--rtt", "echo", "--upgrade-timeout", "1500ms"});
        ASSERT_TRUE(c->parsed) << v.name << ": " << c->context();
        EXPECT_EQ(c->status(), "up") << v.name << ": " << c->context();
        EXPECT_EQ(c->code(), "ok") << v.name << ": " << c->context();
        EXPECT_EQ(at(*c, {"agreement"}), "h2_not_offered") << v.name << ": " << c->context();
        EXPECT_EQ(at(*c, {"transports", "h2", "code"}), v.code) << v.name << ": " << c->context();
        EXPECT_EQ(at(*c, {"transports", "h2", "negotiated", "http_version"}), "h2") << v.name;
        EXPECT_EQ(at(*c, {"transports", "http1", "status"}), "up") << v.name << ": " << c->context();
        std::string_view warning;
        ASSERT_EQ(c->doc["warnings"].at(0).get(warning), simdjson::SUCCESS) << v.name << ": " << c->context();
        EXPECT_NE(warning.find("WebSocket over HTTP/2 is not offered"), std::string_view::npos) << warning;
        EXPECT_EQ(c->run.exit_code, 0) << v.name << ": " << c->context();
        EXPECT_EQ(front.h2_connections(), 1) << v.name;
    }
}

// The same HTTP/1.1-only answer to a plain `check --http2 prior-knowledge` names the cause.
TEST(compare_transports, prior_knowledge_against_an_http1_only_server_is_h2_not_negotiated)
{
    lab_server lab;
    split_front front({lab.port(), {}, {}, false},
                      {0, {http1_bad_request.begin(), http1_bad_request.end()}, {}, true});
    auto c = check({front.url(), "--http2", "prior-knowledge", "--upgrade-timeout", "1500ms"});
    ASSERT_TRUE(c->parsed) << c->context();
    EXPECT_EQ(c->status(), "down") << c->context();
    EXPECT_EQ(c->phase(), "upgrade") << c->context();
    EXPECT_EQ(c->code(), "h2_not_negotiated") << c->context();
    EXPECT_NE(c->message().find("does not speak HTTP/2 with prior knowledge (h2c)"), std::string::npos)
        << c->message();
    EXPECT_NE(c->message().find("answered with bytes that are not HTTP/2"), std::string::npos) << c->message();
    EXPECT_EQ(c->run.exit_code, 2) << c->context();
}

TEST(compare_transports, text_output_shows_both_columns_and_the_disagreement)
{
    lab_server lab;
    split_front front({lab.port(), {}, {}, false}, {0, settings_enabled, refuse_stream, false});
    auto r =
        run_wsprobe({"check", front.url(), "--compare-transports", "--upgrade-timeout", "3s", "--no-color"});
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    EXPECT_NE(r.out.find("HTTP/1.1"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("HTTP/2 (h2c)"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("http/1.1 101"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("stream_reset"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("\nDOWN at upgrade: HTTP/1.1 upgrade works"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("[transports_disagree]\n"), std::string::npos) << r.out;
}

TEST(compare_transports, nothing_listening_is_down_over_both_with_both_named)
{
    const refusing_port nobody;
    const std::string url = "ws://127.0.0.1:" + std::to_string(nobody.port()) + "/echo";
    auto c = check({url, "--compare-transports"});
    ASSERT_TRUE(c->parsed) << c->context();
    EXPECT_EQ(c->status(), "down") << c->context();
    EXPECT_EQ(c->phase(), "tcp") << c->context();
    EXPECT_EQ(at(*c, {"agreement"}), "agree") << c->context();
    EXPECT_EQ(c->code(), at(*c, {"transports", "http1", "code"})) << c->context();
    EXPECT_EQ(c->message().rfind("Both HTTP/1.1 and HTTP/2 fail: ", 0), 0u) << c->message();
    EXPECT_EQ(c->run.exit_code, 2) << c->context();
}

TEST(compare_transports, http2_off_or_prefer_is_a_usage_error)
{
    for (const char* mode : {"off", "prefer"}) {
        auto r = run_wsprobe({"check", "wss://127.0.0.1:1/", "--compare-transports", "--http2", mode});
        EXPECT_EQ(r.exit_code, 3) << mode << ": " << r.out << r.err;
        EXPECT_NE(r.err.find("--compare-transports"), std::string::npos) << r.err;
        EXPECT_TRUE(r.out.empty()) << r.out;
    }
}

class compare_nghttpx : public nghttpx_front {};

TEST_F(compare_nghttpx, extended_connect_and_http1_both_up_over_tls)
{
    const std::string url = "wss://127.0.0.1:" + std::to_string(port_) + "/echo";
    auto c = check({url, "--ca", lab_->file("ca.pem"), "--compare-transports", "--rtt", "echo"});
    ASSERT_TRUE(c->parsed) << c->context();
    EXPECT_EQ(c->status(), "up") << c->context();
    EXPECT_EQ(c->code(), "ok") << c->context();
    EXPECT_EQ(at(*c, {"agreement"}), "agree") << c->context();
    EXPECT_EQ(c->run.exit_code, 0) << c->context();
    EXPECT_EQ(at(*c, {"transports", "http1", "status"}), "up") << c->context();
    EXPECT_EQ(at(*c, {"transports", "http1", "negotiated", "http_version"}), "http/1.1") << c->context();
    EXPECT_EQ(at(*c, {"transports", "http1", "tls", "alpn"}), "http/1.1") << c->context();
    EXPECT_EQ(at(*c, {"transports", "h2", "status"}), "up") << c->context();
    EXPECT_EQ(at(*c, {"transports", "h2", "negotiated", "http_version"}), "h2") << c->context();
    EXPECT_EQ(at(*c, {"transports", "h2", "tls", "alpn"}), "h2") << c->context();

    auto text =
        run_wsprobe({"check", url, "--ca", lab_->file("ca.pem"), "--compare-transports", "--no-color"});
    EXPECT_EQ(text.exit_code, 0) << text.out << text.err;
    EXPECT_NE(text.out.find("http/1.1 101"), std::string::npos) << text.out;
    EXPECT_NE(text.out.find("h2 200"), std::string::npos) << text.out;
    EXPECT_NE(text.out.find("ALPN http/1.1"), std::string::npos) << text.out;
    EXPECT_NE(text.out.find("ALPN h2"), std::string::npos) << text.out;
    EXPECT_NE(text.out.find("\nUP in "), std::string::npos) << text.out;
    EXPECT_NE(text.out.find(" over HTTP/1.1 and HTTP/2\n"), std::string::npos) << text.out;
}

TEST_F(compare_nghttpx, h2c_and_http1_both_up_on_a_cleartext_frontend)
{
    const std::string url = "ws://127.0.0.1:" + std::to_string(h2c_port_) + "/echo";
    auto c = check({url, "--compare-transports", "--rtt", "echo"});
    ASSERT_TRUE(c->parsed) << c->context();
    EXPECT_EQ(c->status(), "up") << c->context();
    EXPECT_EQ(at(*c, {"transports", "http1", "negotiated", "http_version"}), "http/1.1") << c->context();
    EXPECT_EQ(at(*c, {"transports", "h2", "negotiated", "http_version"}), "h2") << c->context();
    EXPECT_EQ(c->run.exit_code, 0) << c->context();
}

TEST_F(compare_nghttpx, http1_refused_while_h2_works_is_down_too)
{
    const std::string forbidden = "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    split_front front({0, {}, {forbidden.begin(), forbidden.end()}, true}, {h2c_port_, {}, {}, false});
    auto c = check({front.url(), "--compare-transports", "--rtt", "echo"});
    ASSERT_TRUE(c->parsed) << c->context();
    EXPECT_EQ(c->status(), "down") << c->context();
    EXPECT_EQ(c->code(), "transports_disagree") << c->context();
    EXPECT_NE(c->message().find("HTTP/2 extended CONNECT works but the HTTP/1.1 upgrade fails"),
              std::string::npos)
        << c->message();
    EXPECT_EQ(at(*c, {"transports", "h2", "status"}), "up") << c->context();
    EXPECT_EQ(at(*c, {"transports", "http1", "status"}), "down") << c->context();
    EXPECT_EQ(c->run.exit_code, 2) << c->context();
}

TEST(compare_transports, a_server_without_h2_is_http1s_verdict_with_a_warning)
{
    // The lab's own TLS listener offers ALPN http/1.1 only: browsers use HTTP/1.1 there.
    tls_lab lab;
    auto c = check({lab.url("valid", "/echo"), "--ca", lab.file("ca.pem"), "--compare-transports"});
    ASSERT_TRUE(c->parsed) << c->context();
    EXPECT_EQ(c->status(), "up") << c->context();
    EXPECT_EQ(at(*c, {"agreement"}), "h2_not_offered") << c->context();
    EXPECT_EQ(at(*c, {"transports", "h2", "code"}), "h2_not_negotiated") << c->context();
    std::string_view warning;
    ASSERT_EQ(c->doc["warnings"].at(0).get(warning), simdjson::SUCCESS) << c->context();
    EXPECT_NE(warning.find("WebSocket over HTTP/2 is not offered"), std::string_view::npos) << warning;
    EXPECT_EQ(c->run.exit_code, 0) << c->context();
}

} // namespace
