// The lab's TLS listeners in-process: a blocking client tls::session completes the RFC 8446
// handshake, gets the RFC 6455 §4.2.2 101 and an echo over TLS; the mtls listener refuses a client
// without a certificate (§4.4.2.4 certificate_required); the generated files and the flags.
#include <sys/stat.h>

#include <gtest/gtest.h>

#include <array>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <thread>

#include "lab_test_client.h"
#include "tls/context.h"
#include "tls/error.h"
#include "tls/session.h"
#include "tools/lab/options.h"
#include "tools/lab/tls_scenarios.h"

namespace wsp::lab::test {
namespace {

using namespace std::chrono_literals;

// A TLS client over the blocking test socket: ciphertext through the session's memory BIOs.
class tls_client {
public:
    tls_client(std::uint16_t port, const tls::context& ctx, std::string host)
        : sock_(port), ctx_(ctx), host_(std::move(host))
    {
    }

    [[nodiscard]] bool connected() const noexcept { return sock_.connected(); }
    [[nodiscard]] tls::session& session() { return *session_; }

    // The handshake to completion; the session's error (with failure_text()) otherwise.
    wsp::expected<void> handshake()
    {
        auto s = tls::session::client(ctx_, host_);
        if (!s) {
            return tl::unexpected(s.error());
        }
        session_.emplace(std::move(*s));
        for (;;) {
            const auto step = session_->handshake();
            flush();
            if (!step) {
                return tl::unexpected(step.error());
            }
            if (*step == tls::status::done) {
                return {};
            }
            receive();
        }
    }

    bool send(std::string_view plain)
    {
        while (!plain.empty()) {
            const auto w = session_->write_plain(plain);
            if (!w) {
                return false;
            }
            plain.remove_prefix(w->bytes);
            if (!flush()) {
                return false;
            }
        }
        return true;
    }

    // Reads plaintext until `have` bytes are buffered; false on EOF, error or timeout.
    bool need(std::size_t have)
    {
        while (plain_.size() < have) {
            std::array<std::byte, 16384> tmp{};
            const auto r = session_->read_plain(tmp);
            flush();
            if (!r) {
                error_ = r.error();
                return false;
            }
            if (r->bytes > 0) {
                plain_.append(reinterpret_cast<const char*>(tmp.data()), r->bytes);
                continue;
            }
            if (r->state == tls::status::closed || !receive()) {
                return false;
            }
        }
        return true;
    }

    std::optional<std::string> read_head()
    {
        for (;;) {
            if (const auto end = plain_.find("\r\n\r\n"); end != std::string::npos) {
                std::string head = plain_.substr(0, end + 4);
                plain_.erase(0, end + 4);
                return head;
            }
            if (!need(plain_.size() + 1)) {
                return std::nullopt;
            }
        }
    }

    // One unmasked server frame with a payload under 64 KiB.
    std::optional<server_frame> read_frame()
    {
        if (!need(2)) {
            return std::nullopt;
        }
        server_frame f;
        f.first = static_cast<std::uint8_t>(plain_[0]);
        f.second = static_cast<std::uint8_t>(plain_[1]);
        std::size_t pos = 2;
        f.length = f.second & 0x7F;
        if (f.length == 126) {
            if (!need(4)) {
                return std::nullopt;
            }
            f.length = (static_cast<std::uint8_t>(plain_[2]) << 8) | static_cast<std::uint8_t>(plain_[3]);
            pos = 4;
        }
        if (!need(pos + f.length)) {
            return std::nullopt;
        }
        f.payload = plain_.substr(pos, f.length);
        plain_.erase(0, pos + f.length);
        return f;
    }

    [[nodiscard]] wsp::error last_error() const noexcept { return error_; }

private:
    bool flush()
    {
        const auto out = session_->pending_output();
        if (out.empty()) {
            return true;
        }
        const bool ok = sock_.send(std::string_view(reinterpret_cast<const char*>(out.data()), out.size()));
        session_->consume_output(out.size());
        return ok;
    }

    // One receive into the session; false (after feed_eof) at EOF, on an error or a timeout.
    bool receive()
    {
        char tmp[16384];
        ssize_t n = 0;
        do {
            n = ::recv(sock_.fd(), tmp, sizeof tmp, 0);
        } while (n < 0 && errno == EINTR);
        if (n <= 0) {
            session_->feed_eof();
            return false;
        }
        return session_->feed(std::string_view(tmp, static_cast<std::size_t>(n))).has_value();
    }

    client sock_;
    const tls::context& ctx_;
    std::string host_;
    std::optional<tls::session> session_;
    std::string plain_;
    wsp::error error_{};
};

class lab_tls : public ::testing::Test {
protected:
    static void SetUpTestSuite()
    {
        char tmpl[] = "/tmp/wsprobe-lab-tls-XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
        auto tls = prepare_tls_scenarios(dir_ + "/certs", static_cast<std::int64_t>(std::time(nullptr)),
                                         rt::address::loopback_v4(0));
        ASSERT_TRUE(tls) << tls.error();
        server_config cfg;
        cfg.tls_listen = std::move(*tls);
        cfg.limits.head_timeout = 2s;
        cfg.limits.close_timeout = 500ms;
        cfg.reactor.buffer_count = 1024;
        std::string why;
        auto s = server::start(cfg, &why);
        if (!s) {
            skip_reason_ = s.error() == rt::errc::io_uring_unavailable ? "io_uring unavailable: " + why : "";
            start_error_ = std::string(s.error().name()) + ": " + why;
            return;
        }
        server_ = std::move(*s);
    }
    static void TearDownTestSuite()
    {
        server_.reset();
        std::filesystem::remove_all(dir_);
    }
    void SetUp() override
    {
        if (!server_ && !skip_reason_.empty()) {
            GTEST_SKIP() << skip_reason_;
        }
        ASSERT_TRUE(server_) << "lab server did not start: " << start_error_;
    }

    static std::string file(std::string_view name) { return dir_ + "/certs/" + std::string(name); }

    static std::uint16_t port_of(std::string_view scenario)
    {
        const auto& list = tls_scenario_list();
        for (std::size_t i = 0; i < list.size(); ++i) {
            if (list[i].name == scenario) {
                return server_->tls_addresses().at(i).port();
            }
        }
        ADD_FAILURE() << "no TLS scenario " << scenario;
        return 0;
    }

    // A client context trusting the lab CA, with the client certificate when `mtls`.
    static tls::context client_context(bool mtls = false)
    {
        auto b = tls::context_builder::client();
        b.ca_file(file(tls_ca_file));
        if (mtls) {
            b.certificate_file(file(tls_client_cert_file), file(tls_client_key_file));
        }
        auto ctx = b.build();
        EXPECT_TRUE(ctx) << b.error_text();
        return std::move(*ctx);
    }

    static inline std::string dir_;
    static inline std::unique_ptr<server> server_;
    static inline std::string skip_reason_;
    static inline std::string start_error_;
};

TEST_F(lab_tls, one_listener_per_scenario_in_listing_order)
{
    EXPECT_EQ(server_->tls_addresses().size(), tls_scenario_list().size());
    EXPECT_EQ(tls_scenario_list().size(), 11U);
    EXPECT_TRUE(server_->local_addresses().size() == 1); // the plain listener is still there
    for (const auto& a : server_->tls_addresses()) {
        EXPECT_NE(a.port(), 0);
        EXPECT_TRUE(is_loopback(a));
    }
}

TEST_F(lab_tls, files_are_written_owner_only)
{
    for (std::string_view f :
         {tls_ca_file, tls_client_cert_file, tls_client_key_file, tls_proxy_cert_file, tls_proxy_key_file}) {
        struct stat st {};
        ASSERT_EQ(::stat(file(f).c_str(), &st), 0) << f;
        EXPECT_EQ(st.st_mode & 0777, 0600U) << f;
        EXPECT_GT(st.st_size, 100) << f;
    }
    struct stat st {};
    ASSERT_EQ(::stat((dir_ + "/certs").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700U); // created by the lab: private keys inside
}

TEST_F(lab_tls, valid_listener_upgrades_and_echoes_over_tls)
{
    const auto ctx = client_context();
    tls_client c(port_of("valid"), ctx, "127.0.0.1");
    ASSERT_TRUE(c.connected());
    auto hs = c.handshake();
    ASSERT_TRUE(hs) << c.session().failure_text();
    const auto facts = c.session().facts();
    EXPECT_EQ(facts.verify_code, 0) << facts.verify_text;
    EXPECT_EQ(facts.leaf_subject, "CN=wsprobe-lab valid");
    EXPECT_NE(std::find(facts.san_ip.begin(), facts.san_ip.end(), "127.0.0.1"), facts.san_ip.end());
    const auto days = facts.leaf_days_left(static_cast<std::int64_t>(std::time(nullptr)));
    EXPECT_EQ(days, 90);

    ASSERT_TRUE(c.send(upgrade_request("/echo")));
    const auto head = c.read_head();
    ASSERT_TRUE(head);
    EXPECT_EQ(status_of(*head), 101);
    EXPECT_EQ(header_value(*head, "Sec-WebSocket-Accept"), std::string(sample_accept));

    ASSERT_TRUE(c.send(client_frame(0x1, "hello over tls")));
    auto f = c.read_frame();
    ASSERT_TRUE(f);
    EXPECT_EQ(f->first, 0x81);
    EXPECT_EQ(f->payload, "hello over tls");
    // A message spanning several TLS records comes back whole.
    std::string big(40'000, 'x');
    for (std::size_t i = 0; i < big.size(); ++i) {
        big[i] = static_cast<char>('a' + i % 26);
    }
    ASSERT_TRUE(c.send(client_frame(0x2, big)));
    f = c.read_frame();
    ASSERT_TRUE(f);
    EXPECT_EQ(f->first, 0x82);
    EXPECT_EQ(f->payload, big);

    // RFC 6455 §5.5.1: the close is echoed, then the lab ends TLS with close_notify and TCP.
    ASSERT_TRUE(c.send(client_frame(0x8, close_payload(1000))));
    f = c.read_frame();
    ASSERT_TRUE(f);
    EXPECT_EQ(f->op(), 0x8);
    EXPECT_EQ(f->close_code(), 1000);
    EXPECT_FALSE(c.need(1));
    EXPECT_FALSE(c.last_error()) << c.last_error().name(); // close_notify, not a truncation
}

TEST_F(lab_tls, scenario_paths_work_over_tls)
{
    const auto ctx = client_context();
    tls_client c(port_of("valid"), ctx, "localhost");
    ASSERT_TRUE(c.handshake()) << c.session().failure_text();
    ASSERT_TRUE(c.send(upgrade_request("/status/401")));
    const auto head = c.read_head();
    ASSERT_TRUE(head);
    EXPECT_EQ(status_of(*head), 401);

    tls_client k(port_of("valid"), ctx, "127.0.0.1");
    ASSERT_TRUE(k.handshake()) << k.session().failure_text();
    ASSERT_TRUE(k.send(upgrade_request("/close-after-upgrade?code=4401&reason=scope")));
    ASSERT_EQ(status_of(k.read_head().value_or("")), 101);
    const auto f = k.read_frame();
    ASSERT_TRUE(f);
    EXPECT_EQ(f->close_code(), 4401);
    EXPECT_EQ(f->payload.substr(2), "scope");
}

TEST_F(lab_tls, mtls_refuses_a_client_without_a_certificate)
{
    const auto before = server_->stats().tls_failed;
    const auto ctx = client_context();
    tls_client c(port_of("mtls"), ctx, "127.0.0.1");
    auto hs = c.handshake();
    // TLS 1.3 (RFC 8446 §4.4.2.4): the client finishes first; the server's certificate_required
    // alert arrives on the next read.
    wsp::error why = hs ? wsp::error{} : hs.error();
    if (hs) {
        (void)c.send(upgrade_request("/echo"));
        EXPECT_FALSE(c.read_head());
        why = c.last_error();
    }
    EXPECT_EQ(why, tls::errc::client_certificate_required)
        << why.name() << ": " << c.session().failure_text();
    // The lab counts the refusal once the connection is wound down.
    for (int i = 0; i < 200 && server_->stats().tls_failed == before; ++i) {
        std::this_thread::sleep_for(10ms);
    }
    EXPECT_EQ(server_->stats().tls_failed, before + 1);
}

TEST_F(lab_tls, mtls_accepts_the_written_client_certificate)
{
    const auto ctx = client_context(true);
    tls_client c(port_of("mtls"), ctx, "127.0.0.1");
    ASSERT_TRUE(c.handshake()) << c.session().failure_text();
    ASSERT_TRUE(c.send(upgrade_request("/echo")));
    const auto head = c.read_head();
    ASSERT_TRUE(head) << c.last_error().name() << ": " << c.session().failure_text();
    EXPECT_EQ(status_of(*head), 101);
}

TEST_F(lab_tls, tls12_only_negotiates_tls_1_2)
{
    const auto ctx = client_context();
    tls_client c(port_of("tls12-only"), ctx, "127.0.0.1");
    ASSERT_TRUE(c.handshake()) << c.session().failure_text();
    EXPECT_EQ(c.session().facts().version, "TLSv1.2");
    ASSERT_TRUE(c.send(upgrade_request("/echo")));
    EXPECT_EQ(status_of(c.read_head().value_or("")), 101);
}

TEST_F(lab_tls, plain_http_on_a_tls_port_is_refused_and_counted)
{
    const auto before = server_->stats().tls_failed;
    client c(port_of("valid"), 3000);
    ASSERT_TRUE(c.connected());
    ASSERT_TRUE(c.send(upgrade_request("/echo")));
    // Not a ClientHello: the handshake fails and the lab closes (FIN, never a hang or a crash).
    EXPECT_EQ(c.wait_end(), stream_end::eof);
    for (int i = 0; i < 200 && server_->stats().tls_failed == before; ++i) {
        std::this_thread::sleep_for(10ms);
    }
    EXPECT_EQ(server_->stats().tls_failed, before + 1);
}

// A temporary directory removed when the test ends, even after a failed assertion.
struct temp_dir {
    temp_dir()
    {
        char tmpl[] = "/tmp/wsprobe-lab-tls-XXXXXX";
        if (::mkdtemp(tmpl) != nullptr) {
            path = tmpl;
        }
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
    ~temp_dir()
    {
        if (!path.empty()) {
            std::error_code ec;
            std::filesystem::remove_all(path, ec);
        }
    }
    std::string path;
};

// A lab of its own (valid listener only, short close bound), for the tests that stop it or wait
// out its bounds. The head bound also covers the TLS handshake and the upgrade request, so only
// the test that waits it out makes it short.
std::unique_ptr<server> start_small_lab(const std::string& dir, std::chrono::milliseconds head_timeout = 10s)
{
    auto tls = prepare_tls_scenarios(dir, static_cast<std::int64_t>(std::time(nullptr)),
                                     rt::address::loopback_v4(0));
    EXPECT_TRUE(tls) << tls.error();
    if (!tls) {
        return nullptr;
    }
    server_config cfg;
    cfg.tls_listen.push_back(std::move(tls->front()));
    cfg.limits.head_timeout = head_timeout;
    cfg.limits.close_timeout = 300ms;
    cfg.reactor.buffer_count = 256;
    auto s = server::start(cfg);
    if (!s) {
        return nullptr;
    }
    return std::move(*s);
}

TEST(lab_tls_bounds, silent_client_is_dropped_after_the_head_bound)
{
    const temp_dir tmp;
    ASSERT_FALSE(tmp.path.empty());
    auto lab = start_small_lab(tmp.path, 300ms);
    if (!lab) {
        GTEST_SKIP() << "the lab server did not start (io_uring unavailable?)";
    }
    // Slow-loris over TLS: connected, no ClientHello; the handshake shares the head bound.
    client c(lab->tls_addresses().front().port(), 3000);
    ASSERT_TRUE(c.connected());
    EXPECT_EQ(c.wait_end(), stream_end::eof);
    EXPECT_TRUE(c.buffered().empty());
    for (int i = 0; i < 200 && lab->stats().tls_failed == 0; ++i) {
        std::this_thread::sleep_for(10ms);
    }
    EXPECT_EQ(lab->stats().tls_failed, 1U);
    lab->stop();
}

TEST(lab_tls_bounds, stop_sends_going_away_over_tls_then_close_notify)
{
    const temp_dir tmp;
    ASSERT_FALSE(tmp.path.empty());
    auto lab = start_small_lab(tmp.path);
    if (!lab) {
        GTEST_SKIP() << "the lab server did not start (io_uring unavailable?)";
    }
    auto b = tls::context_builder::client();
    b.ca_file(tmp.path + "/" + std::string(tls_ca_file));
    auto ctx = b.build();
    ASSERT_TRUE(ctx) << b.error_text();
    tls_client c(lab->tls_addresses().front().port(), *ctx, "127.0.0.1");
    ASSERT_TRUE(c.handshake()) << c.session().failure_text();
    ASSERT_TRUE(c.send(upgrade_request("/echo")));
    ASSERT_EQ(status_of(c.read_head().value_or("")), 101);
    ASSERT_TRUE(c.send(client_frame(0x1, "before stop")));
    ASSERT_TRUE(c.read_frame());
    std::thread stopper([&] { lab->stop(); });
    // RFC 6455 §7.4.1: 1001, the lab is going away; then TLS ends cleanly.
    const auto f = c.read_frame();
    stopper.join();
    ASSERT_TRUE(f);
    EXPECT_EQ(f->op(), 0x8);
    EXPECT_EQ(f->close_code(), 1001);
    EXPECT_FALSE(c.need(1));
    EXPECT_FALSE(c.last_error()) << c.last_error().name();
    EXPECT_EQ(lab->stats().active, 0U);
}

TEST(lab_tls_setup, directory_that_cannot_be_created_is_one_sentence)
{
    char tmpl[] = "/tmp/wsprobe-lab-tls-file-XXXXXX";
    const int fd = ::mkstemp(tmpl);
    ASSERT_GE(fd, 0);
    ::close(fd);
    const std::string under_file = std::string(tmpl) + "/certs";
    auto r = prepare_tls_scenarios(under_file, static_cast<std::int64_t>(std::time(nullptr)),
                                   rt::address::loopback_v4(0));
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().find("--tls-dir " + under_file), std::string::npos) << r.error();
    EXPECT_EQ(r.error().find('\n'), std::string::npos);
    ::unlink(tmpl);
}

TEST(lab_tls_setup, tls_dir_flag_needs_a_value_and_help_documents_it)
{
    const std::vector<std::string_view> ok = {"--tls-dir", "/tmp/x"};
    auto o = parse_options(ok);
    ASSERT_TRUE(o) << o.error();
    EXPECT_EQ(o->tls_dir, "/tmp/x");
    const std::vector<std::string_view> eq = {"--tls-dir=/tmp/y"};
    EXPECT_EQ(parse_options(eq).value().tls_dir, "/tmp/y");
    const std::vector<std::string_view> missing = {"--tls-dir"};
    auto m = parse_options(missing);
    ASSERT_FALSE(m);
    EXPECT_NE(m.error().find("--tls-dir"), std::string::npos);
    const std::vector<std::string_view> empty = {"--tls-dir="};
    EXPECT_FALSE(parse_options(empty));
    const std::string help = usage();
    EXPECT_NE(help.find("--tls-dir DIR"), std::string::npos);
    for (const auto& s : tls_scenario_list()) {
        EXPECT_NE(help.find(std::string("  ") + std::string(s.name) + " "), std::string::npos) << s.name;
    }
}

} // namespace
} // namespace wsp::lab::test
