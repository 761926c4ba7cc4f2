// A test fixture with Debian's nghttpx as an RFC 8441 front end on loopback: TLS (ALPN h2, the
// lab's nginx.pem leaf) on port_ and h2c by prior knowledge (RFC 9113 §3.3) on h2c_port_, both
// forwarding to a TLS-capable lab over HTTP/1.1. Skips when nghttpx is not installed; stops
// nghttpx and the lab and removes its log directory after each test.
#pragma once

#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "tests/integration/net_util.h"
#include "tests/integration/tls_harness.h"

namespace wsp::test {

class nghttpx_front : public ::testing::Test {
protected:
    void SetUp() override
    {
        using namespace std::chrono_literals;
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
        server_ = std::make_unique<child_process>(std::vector<std::string>{
            nghttpx_, "--conf=/dev/null", "--frontend=127.0.0.1," + std::to_string(port_),
            "--frontend=127.0.0.1," + std::to_string(h2c_port_) + ";no-tls",
            "--backend=127.0.0.1," + plain.substr(plain.rfind(':') + 1), "--no-ocsp", "--workers=1",
            "--errorlog-file=" + (dir_ / "error.log").string(),
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

    const char* nghttpx_ = "/usr/sbin/nghttpx";
    std::unique_ptr<tls_lab> lab_;
    std::uint16_t port_ = 0;     // TLS frontend, ALPN h2
    std::uint16_t h2c_port_ = 0; // cleartext frontend: h2c by prior knowledge
    std::filesystem::path dir_;
    std::unique_ptr<child_process> server_;
};

} // namespace wsp::test
