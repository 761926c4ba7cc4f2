// RFC 8441 interop with a server nobody here wrote: Debian's nghttpx terminates TLS on a loopback
// port, offers h2 by ALPN with SETTINGS_ENABLE_CONNECT_PROTOCOL = 1 on its frontend, and proxies
// the WebSocket to the lab's ws:// listener over HTTP/1.1. `wsprobe check --http2 require` is up
// over h2 (and over h2c with prior knowledge on a cleartext frontend); against the lab's own TLS listener (ALPN http/1.1 only) prefer falls back and says why,
// and require is down with h2_not_negotiated.
#include <unistd.h>

#include <filesystem>

#include "tests/integration/net_util.h"
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

class nghttpx_interop : public ::testing::Test {
protected:
    void SetUp() override
    {
        if (::access(nghttpx_, X_OK) != 0) {
            GTEST_SKIP() << "nghttpx is not installed (tools/scripts/setup.sh --test installs nghttp2-proxy)";
        }
        lab_ = std::make_unique<tls_lab>();
        port_ = free_port();
        h2c_port_ = free_port();
        char tmpl[] = "/tmp/wsprobe-nghttpx-XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
        const std::string plain = lab_->plain_authority();
        const std::string backend = "--backend=127.0.0.1," + plain.substr(plain.rfind(':') + 1);
        server_ = std::make_unique<child_process>(std::vector<std::string>{
            nghttpx_, "--conf=/dev/null", "--frontend=127.0.0.1," + std::to_string(port_),
            "--frontend=127.0.0.1," + std::to_string(h2c_port_) + ";no-tls", backend, "--no-ocsp",
            "--workers=1", "--errorlog-file=" + (dir_ / "error.log").string(),
            "--accesslog-file=" + (dir_ / "access.log").string(), lab_->file("nginx-key.pem"),
            lab_->file("nginx.pem")});
        ASSERT_TRUE(wait_for_port(port_, 10s)) << "nghttpx did not start: " << server_->err();
        ASSERT_TRUE(wait_for_port(h2c_port_, 10s)) << "nghttpx did not open its h2c port: " << server_->err();
    }
    void TearDown() override
    {
        server_.reset();
        lab_.reset();
        if (!dir_.empty()) {
            std::error_code ec;
            std::filesystem::remove_all(dir_, ec);
        }
    }
    [[nodiscard]] std::string url() const { return "wss://127.0.0.1:" + std::to_string(port_) + "/echo"; }

    const char* nghttpx_ = "/usr/sbin/nghttpx";
    std::unique_ptr<tls_lab> lab_;
    std::uint16_t port_ = 0;
    std::uint16_t h2c_port_ = 0; // cleartext frontend: h2c by prior knowledge (RFC 9113 §3.3)
    std::filesystem::path dir_;
    std::unique_ptr<child_process> server_;
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

} // namespace
