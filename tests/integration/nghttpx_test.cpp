// RFC 8441 interop with a server nobody here wrote: Debian's nghttpx terminates TLS on a loopback
// port, offers h2 by ALPN with SETTINGS_ENABLE_CONNECT_PROTOCOL = 1 on its frontend, and proxies
// the WebSocket to the lab's ws:// listener over HTTP/1.1. `wsprobe check --http2 require` is up
// over h2 (and over h2c with prior knowledge on a cleartext frontend); against the lab's own TLS listener (ALPN http/1.1 only) prefer falls back and says why,
// and require is down with h2_not_negotiated. A scripted h2c server (raw RFC 9113 frames on a
// loopback socket) covers what nghttpx will not do: SETTINGS without ENABLE_CONNECT_PROTOCOL,
// RST_STREAM, GOAWAY and a non-2xx answer to the extended CONNECT.
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <thread>
#include <vector>

#include "tests/integration/net_util.h"
#include "tests/integration/nghttpx_front.h"
#include "tests/integration/tls_harness.h"

namespace {

using namespace wsp::test;

std::string negotiated(const check_json& c, const char* field)
{
    std::string_view v;
    if (c.doc["negotiated"][field].get(v) != simdjson::SUCCESS) {
        return "<null>";
    }
    return std::string(v);
}

class nghttpx_interop : public nghttpx_front {
protected:
    [[nodiscard]] std::string url() const { return "wss://127.0.0.1:" + std::to_string(port_) + "/echo"; }
};

TEST_F(nghttpx_interop, require_is_up_over_h2_with_an_echo_round_trip)
{
    auto c = check({url(), "--ca", lab_->file("ca.pem"), "--http2", "require", "--rtt", "echo"});
    ASSERT_TRUE(c->parsed) << c->context();
    EXPECT_EQ(c->status(), "up") << c->context();
    EXPECT_EQ(negotiated(*c, "http_version"), "h2") << c->context();
    EXPECT_EQ(negotiated(*c, "fallback_reason"), "<null>") << c->context();
    std::string_view alpn;
    ASSERT_EQ(c->doc["tls"]["alpn"].get(alpn), simdjson::SUCCESS) << c->context();
    EXPECT_EQ(alpn, "h2");
    EXPECT_EQ(c->run.exit_code, 0) << c->context();
}

TEST_F(nghttpx_interop, off_is_up_over_http1)
{
    auto c = check({url(), "--ca", lab_->file("ca.pem"), "--http2", "off", "--rtt", "echo"});
    ASSERT_TRUE(c->parsed) << c->context();
    EXPECT_EQ(c->status(), "up") << c->context();
    EXPECT_EQ(negotiated(*c, "http_version"), "http/1.1") << c->context();
}

TEST_F(nghttpx_interop, prefer_is_up_over_h2)
{
    auto c = check({url(), "--ca", lab_->file("ca.pem"), "--http2", "prefer", "--rtt", "echo"});
    ASSERT_TRUE(c->parsed) << c->context();
    EXPECT_EQ(c->status(), "up") << c->context();
    EXPECT_EQ(negotiated(*c, "http_version"), "h2") << c->context();
    EXPECT_EQ(negotiated(*c, "fallback_reason"), "<null>") << c->context();
}

TEST_F(nghttpx_interop, prior_knowledge_is_up_over_h2c)
{
    const std::string h2c_url = "ws://127.0.0.1:" + std::to_string(h2c_port_) + "/echo";
    auto c = check({h2c_url, "--http2", "prior-knowledge", "--rtt", "echo"});
    ASSERT_TRUE(c->parsed) << c->context();
    EXPECT_EQ(c->status(), "up") << c->context();
    EXPECT_EQ(negotiated(*c, "http_version"), "h2") << c->context();
}

TEST_F(nghttpx_interop, against_an_http1_only_server_prefer_falls_back_and_require_is_down)
{
    const std::string lab_url = lab_->url("valid", "/echo");
    auto p = check({lab_url, "--ca", lab_->file("ca.pem"), "--http2", "prefer", "--rtt", "echo"});
    ASSERT_TRUE(p->parsed) << p->context();
    EXPECT_EQ(p->status(), "up") << p->context();
    EXPECT_EQ(negotiated(*p, "http_version"), "http/1.1") << p->context();
    EXPECT_EQ(negotiated(*p, "fallback_reason"), "ALPN selected http/1.1") << p->context();

    auto r = check({lab_url, "--ca", lab_->file("ca.pem"), "--http2", "require", "--rtt", "echo"});
    ASSERT_TRUE(r->parsed) << r->context();
    EXPECT_EQ(r->status(), "down") << r->context();
    EXPECT_EQ(r->code(), "h2_not_negotiated") << r->context();
    EXPECT_EQ(r->run.exit_code, 2) << r->context();
}

// One connection's worth of scripted HTTP/2: on accept it sends `settings`, and once the
// client's HEADERS (the extended CONNECT) arrived it sends `answer`, then waits for the client to
// close. Every wait is bounded; the thread is joined by the destructor.
class scripted_h2c {
public:
    scripted_h2c(std::vector<std::uint8_t> settings, std::vector<std::uint8_t> answer)
        : settings_(std::move(settings)), answer_(std::move(answer))
    {
        const loopback_listener l = listen_loopback(4, "scripted_h2c");
        listener_ = l.fd;
        port_ = l.port;
        thread_ = std::thread([this] { serve(); });
    }
    scripted_h2c(const scripted_h2c&) = delete;
    scripted_h2c& operator=(const scripted_h2c&) = delete;
    ~scripted_h2c()
    {
        thread_.join();
        ::close(listener_);
    }
    [[nodiscard]] std::string url() const { return "ws://127.0.0.1:" + std::to_string(port_) + "/echo"; }
    [[nodiscard]] bool saw_connect() const { return saw_connect_.load(); }

private:
    static bool readable(int fd, int ms)
    {
        pollfd p{fd, POLLIN, 0};
        return ::poll(&p, 1, ms) == 1;
    }
    void serve()
    {
        if (!readable(listener_, 10'000)) {
            return;
        }
        const int fd = ::accept(listener_, nullptr, nullptr);
        if (fd < 0) {
            return;
        }
        (void)::send(fd, settings_.data(), settings_.size(), MSG_NOSIGNAL);
        std::vector<std::uint8_t> in;
        std::size_t pos = 24; // RFC 9113 §3.4: the client preface, then frames
        bool answered = false;
        std::uint8_t buf[4096];
        while (readable(fd, 10'000)) {
            const auto n = ::recv(fd, buf, sizeof buf, 0);
            if (n <= 0) {
                break;
            }
            in.insert(in.end(), buf, buf + n);
            while (!answered && in.size() >= pos + 9) {
                const std::size_t length = (std::size_t{in[pos]} << 16) | (std::size_t{in[pos + 1]} << 8) | in[pos + 2];
                const std::uint8_t type = in[pos + 3];
                if (in.size() < pos + 9 + length) {
                    break;
                }
                pos += 9 + length;
                if (type == 0x1) { // HEADERS: the extended CONNECT on stream 1
                    saw_connect_ = true;
                    (void)::send(fd, answer_.data(), answer_.size(), MSG_NOSIGNAL);
                    answered = true;
                }
            }
        }
        ::close(fd);
    }

    std::vector<std::uint8_t> settings_;
    std::vector<std::uint8_t> answer_;
    int listener_ = -1;
    std::uint16_t port_ = 0;
    std::atomic<bool> saw_connect_{false};
    std::thread thread_;
};

// RFC 9113 §6.5: SETTINGS with ENABLE_CONNECT_PROTOCOL (0x8) = 1 (RFC 8441 §3), and one without.
const std::vector<std::uint8_t> settings_enabled = {0, 0, 6, 0x4, 0, 0, 0, 0, 0, 0, 0x8, 0, 0, 0, 1};
const std::vector<std::uint8_t> settings_empty = {0, 0, 0, 0x4, 0, 0, 0, 0, 0};

TEST(h2c_scenarios, settings_without_enable_connect_protocol_is_down_before_any_connect)
{
    scripted_h2c server(settings_empty, {});
    auto c = check({server.url(), "--http2", "prior-knowledge", "--upgrade-timeout", "3s"});
    ASSERT_TRUE(c->parsed) << c->context();
    EXPECT_EQ(c->status(), "down") << c->context();
    EXPECT_EQ(c->code(), "connect_protocol_not_enabled") << c->context();
    EXPECT_EQ(c->phase(), "upgrade") << c->context();
    EXPECT_FALSE(server.saw_connect()) << "RFC 8441 §4: no extended CONNECT without the setting";
}

TEST(h2c_scenarios, stream_reset_is_reported_with_its_code)
{
    // RST_STREAM on stream 1 with REFUSED_STREAM (0x7).
    scripted_h2c server(settings_enabled, {0, 0, 4, 0x3, 0, 0, 0, 0, 1, 0, 0, 0, 0x7});
    auto c = check({server.url(), "--http2", "prior-knowledge", "--upgrade-timeout", "3s"});
    ASSERT_TRUE(c->parsed) << c->context();
    EXPECT_TRUE(server.saw_connect());
    EXPECT_EQ(c->status(), "down") << c->context();
    EXPECT_EQ(c->code(), "stream_reset") << c->context();
    EXPECT_NE(c->message().find("REFUSED_STREAM (0x7)"), std::string::npos) << c->message();
}

TEST(h2c_scenarios, goaway_is_reported_with_its_code)
{
    // GOAWAY, last stream 0, ENHANCE_YOUR_CALM (0xb).
    scripted_h2c server(settings_enabled, {0, 0, 8, 0x7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xb});
    auto c = check({server.url(), "--http2", "prior-knowledge", "--upgrade-timeout", "3s"});
    ASSERT_TRUE(c->parsed) << c->context();
    EXPECT_EQ(c->status(), "down") << c->context();
    EXPECT_EQ(c->code(), "goaway") << c->context();
    EXPECT_NE(c->message().find("ENHANCE_YOUR_CALM (0xb)"), std::string::npos) << c->message();
}

TEST(h2c_scenarios, non_2xx_answer_is_down_with_the_status)
{
    // HEADERS on stream 1, END_STREAM|END_HEADERS, HPACK static index 13 (:status 404).
    scripted_h2c server(settings_enabled, {0, 0, 1, 0x1, 0x5, 0, 0, 0, 1, 0x8d});
    auto c = check({server.url(), "--http2", "prior-knowledge", "--upgrade-timeout", "3s"});
    ASSERT_TRUE(c->parsed) << c->context();
    EXPECT_EQ(c->status(), "down") << c->context();
    EXPECT_EQ(c->code(), "unexpected_status") << c->context();
    std::uint64_t status = 0;
    ASSERT_EQ(c->doc["negotiated"]["status"].get(status), simdjson::SUCCESS) << c->context();
    EXPECT_EQ(status, 404u);
}

} // namespace
