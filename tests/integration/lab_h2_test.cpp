// `wsprobe check --http2 ...` against wsprobe-lab's own HTTP/2 side (RFC 8441): one lab per
// SETTINGS_ENABLE_CONNECT_PROTOCOL value (--h2-connect-protocol on, off, absent), each with its
// TLS listeners; h2c with prior knowledge on the ws:// port and ALPN h2 on the "h2" TLS listener.
// Asserts exit codes and JSON fields: negotiated HTTP version, fallback reason, failure codes and
// the sentences naming the setting, the reset code, the status and the GOAWAY.
#include <stdlib.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/integration/harness.h"

namespace {

using namespace wsp::test;

// wsprobe-lab --listen 127.0.0.1:0 --tls-dir TMP --h2-connect-protocol SETTING; stops the lab and
// removes the directory when destroyed.
class h2_lab {
public:
    explicit h2_lab(const std::string& setting)
    {
        char tmpl[] = "/tmp/wsprobe-h2-lab-XXXXXX";
        if (::mkdtemp(tmpl) == nullptr) {
            throw std::runtime_error("mkdtemp failed");
        }
        root_ = tmpl;
        proc_ = std::make_unique<child_process>(
            std::vector<std::string>{WSPROBE_LAB_BIN, "--listen", "127.0.0.1:0", "--tls-dir",
                                     root_ + "/certs", "--h2-connect-protocol", setting});
        const std::string plain = "wsprobe-lab listening on ws://";
        const std::string secure = "wsprobe-lab listening on wss://";
        // The ws:// line, then one wss:// line per TLS listener; the h2 listener is among them.
        for (int i = 0; i < 32 && tls_.count("h2") == 0; ++i) {
            const auto line = proc_->read_line(20s);
            if (!line) {
                throw std::runtime_error("wsprobe-lab stopped printing listeners; stderr: " + proc_->err());
            }
            if (line->rfind(plain, 0) == 0) {
                plain_ = line->substr(plain.size());
            } else if (line->rfind(secure, 0) == 0) {
                const std::string rest = line->substr(secure.size());
                const auto space = rest.find(" (tls: ");
                if (space != std::string::npos && rest.back() == ')') {
                    tls_[rest.substr(space + 7, rest.size() - space - 8)] = rest.substr(0, space);
                }
            }
        }
        if (plain_.empty() || tls_.count("h2") == 0) {
            throw std::runtime_error("wsprobe-lab did not report its ws:// and h2 listeners; stderr: " +
                                     proc_->err());
        }
    }
    h2_lab(const h2_lab&) = delete;
    h2_lab& operator=(const h2_lab&) = delete;
    ~h2_lab()
    {
        proc_.reset();
        std::error_code ec;
        std::filesystem::remove_all(root_, ec);
    }

    [[nodiscard]] std::string ws(const std::string& path) const { return "ws://" + plain_ + path; }
    [[nodiscard]] std::string wss(const std::string& listener, const std::string& path) const
    {
        return "wss://" + tls_.at(listener) + path;
    }
    [[nodiscard]] std::string ca() const { return root_ + "/certs/ca.pem"; }

private:
    std::string root_;
    std::unique_ptr<child_process> proc_;
    std::string plain_;
    std::map<std::string, std::string> tls_;
};

std::string field(const check_json& c, const char* object, const char* name)
{
    std::string_view v;
    if (c.doc[object][name].get(v) != simdjson::SUCCESS) {
        return "<null>";
    }
    return std::string(v);
}

class lab_h2 : public ::testing::Test {
protected:
    static void SetUpTestSuite()
    {
        on_ = new h2_lab("on");
        off_ = new h2_lab("off");
        absent_ = new h2_lab("absent");
    }
    static void TearDownTestSuite()
    {
        delete on_;
        delete off_;
        delete absent_;
        on_ = off_ = absent_ = nullptr;
    }

    static void expect_up_over(const check_json& c, const std::string& version)
    {
        ASSERT_TRUE(c.parsed) << c.context();
        EXPECT_EQ(c.status(), "up") << c.context();
        EXPECT_EQ(c.run.exit_code, 0) << c.context();
        EXPECT_EQ(field(c, "negotiated", "http_version"), version) << c.context();
    }

    static void expect_down(const check_json& c, const std::string& code,
                            const std::vector<std::string>& words)
    {
        ASSERT_TRUE(c.parsed) << c.context();
        EXPECT_EQ(c.status(), "down") << c.context();
        EXPECT_EQ(c.phase(), "upgrade") << c.context();
        EXPECT_EQ(c.code(), code) << c.context();
        EXPECT_EQ(c.run.exit_code, 2) << c.context();
        for (const auto& w : words) {
            EXPECT_NE(c.message().find(w), std::string::npos) << "missing '" << w << "' in: " << c.message();
        }
    }

    static h2_lab* on_;
    static h2_lab* off_;
    static h2_lab* absent_;
};
h2_lab* lab_h2::on_ = nullptr;
h2_lab* lab_h2::off_ = nullptr;
h2_lab* lab_h2::absent_ = nullptr;

TEST_F(lab_h2, prior_knowledge_is_up_over_h2c_with_an_echo_and_a_clean_close)
{
    auto c =
        check({on_->ws("/echo"), "--http2", "prior-knowledge", "--rtt", "echo", "--payload", "over h2c"});
    expect_up_over(*c, "h2");
    EXPECT_EQ(int64_t(c->doc["negotiated"]["status"]), 200) << c->context();
    EXPECT_EQ(field(*c, "negotiated", "fallback_reason"), "<null>") << c->context();
    EXPECT_FALSE(c->doc["phases_ms"]["rtt"].is_null()) << c->context();
    EXPECT_EQ(int64_t(c->doc["close"]["code"]), 1000) << c->context();
    EXPECT_TRUE(bool(c->doc["close"]["clean"])) << c->context();
}

TEST_F(lab_h2, prefer_with_alpn_h2_and_the_setting_on_is_up_over_h2)
{
    auto c = check({on_->wss("h2", "/echo"), "--ca", on_->ca(), "--http2", "prefer", "--rtt", "echo"});
    expect_up_over(*c, "h2");
    EXPECT_EQ(field(*c, "tls", "alpn"), "h2") << c->context();
    EXPECT_EQ(field(*c, "negotiated", "fallback_reason"), "<null>") << c->context();
    auto r = check({on_->wss("h2", "/echo"), "--ca", on_->ca(), "--http2", "require"});
    expect_up_over(*r, "h2");
}

TEST_F(lab_h2, setting_off_and_absent_are_down_under_require_naming_the_setting)
{
    for (h2_lab* lab : {off_, absent_}) {
        auto r = check({lab->wss("h2", "/echo"), "--ca", lab->ca(), "--http2", "require"});
        expect_down(*r, "connect_protocol_not_enabled", {"SETTINGS_ENABLE_CONNECT_PROTOCOL"});
        EXPECT_EQ(r->str("class"), "handshake") << r->context();
        auto p = check({lab->ws("/echo"), "--http2", "prior-knowledge"});
        expect_down(*p, "connect_protocol_not_enabled", {"SETTINGS_ENABLE_CONNECT_PROTOCOL"});
    }
}

TEST_F(lab_h2, prefer_with_alpn_h2_but_no_setting_falls_back_to_http1_on_a_new_connection)
{
    for (h2_lab* lab : {absent_, off_}) {
        auto c = check({lab->wss("h2", "/echo"), "--ca", lab->ca(), "--http2", "prefer", "--rtt", "echo"});
        expect_up_over(*c, "http/1.1");
        EXPECT_EQ(field(*c, "negotiated", "fallback_reason"),
                  "server did not advertise SETTINGS_ENABLE_CONNECT_PROTOCOL")
            << c->context();
        EXPECT_EQ(int64_t(c->doc["negotiated"]["status"]), 101) << c->context();
        // The fallback connection offered only http/1.1, and the h2 listener selected it.
        EXPECT_EQ(field(*c, "tls", "alpn"), "http/1.1") << c->context();
    }
}

TEST_F(lab_h2, stream_reset_is_down_with_the_reset_code_in_the_sentence)
{
    auto d = check({on_->ws("/h2/reset"), "--http2", "prior-knowledge"});
    expect_down(*d, "stream_reset", {"REFUSED_STREAM (0x7)", "extended CONNECT"});
    auto c = check({on_->wss("h2", "/h2/reset?code=8"), "--ca", on_->ca(), "--http2", "require"});
    expect_down(*c, "stream_reset", {"CANCEL (0x8)"});
    // The failure happened on an HTTP/2 stream, so the JSON says h2, not the HTTP/1.1 default.
    EXPECT_EQ(field(*d, "negotiated", "http_version"), "h2") << d->context();
    EXPECT_EQ(field(*c, "negotiated", "http_version"), "h2") << c->context();
    EXPECT_EQ(field(*d, "negotiated", "fallback_reason"), "<null>") << d->context();
}

TEST_F(lab_h2, failures_after_the_preface_say_h2_and_a_fallback_says_http1)
{
    auto status = check({on_->ws("/status/403"), "--http2", "prior-knowledge"});
    expect_down(*status, "unexpected_status", {"403"});
    EXPECT_EQ(field(*status, "negotiated", "http_version"), "h2") << status->context();
    auto absent = check({absent_->wss("h2", "/echo"), "--ca", absent_->ca(), "--http2", "require"});
    expect_down(*absent, "connect_protocol_not_enabled", {"SETTINGS_ENABLE_CONNECT_PROTOCOL"});
    EXPECT_EQ(field(*absent, "negotiated", "http_version"), "h2") << absent->context();
    auto fell = check({absent_->wss("h2", "/status/403"), "--ca", absent_->ca(), "--http2", "prefer"});
    EXPECT_EQ(field(*fell, "negotiated", "http_version"), "http/1.1") << fell->context();
    EXPECT_EQ(field(*fell, "negotiated", "fallback_reason"),
              "server did not advertise SETTINGS_ENABLE_CONNECT_PROTOCOL")
        << fell->context();
}

// -v shows the extended CONNECT as sent, custom headers included, with Authorization, Cookie and
// --secret-header values redacted exactly as on HTTP/1.1.
TEST_F(lab_h2, verbose_transcript_shows_custom_headers_and_redacts_secrets)
{
    auto c = check({on_->ws("/echo"), "--http2", "prior-knowledge", "-v", "-H", "X-Trace-Id: trace-4711",
                    "-H", "Authorization: Bearer hunter2-token", "-H", "Cookie: sid=cookie-secret-9",
                    "--secret-header", "X-Api-Key: key-secret-3"});
    expect_up_over(*c, "h2");
    const std::string& t = c->run.err;
    EXPECT_NE(t.find("> :protocol websocket\n"), std::string::npos) << t;
    EXPECT_NE(t.find("> x-trace-id trace-4711\n"), std::string::npos) << t;
    EXPECT_NE(t.find("> authorization <redacted>\n"), std::string::npos) << t;
    EXPECT_NE(t.find("> cookie <redacted>\n"), std::string::npos) << t;
    EXPECT_NE(t.find("> x-api-key <redacted>\n"), std::string::npos) << t;
    for (const char* secret : {"hunter2-token", "cookie-secret-9", "key-secret-3"}) {
        EXPECT_EQ(c->run.out.find(secret), std::string::npos) << secret << " in " << c->run.out;
        EXPECT_EQ(t.find(secret), std::string::npos) << secret << " in " << t;
    }
}

TEST_F(lab_h2, non_2xx_is_down_naming_the_status)
{
    auto c = check({on_->ws("/status/403"), "--http2", "prior-knowledge"});
    expect_down(*c, "unexpected_status", {"403"});
    EXPECT_EQ(int64_t(c->doc["negotiated"]["status"]), 403) << c->context();
    auto n = check({on_->wss("h2", "/no-such-scenario"), "--ca", on_->ca(), "--http2", "prefer"});
    expect_down(*n, "unexpected_status", {"404"});
}

TEST_F(lab_h2, goaway_after_the_connect_is_down_naming_the_code)
{
    auto c = check({on_->ws("/h2/goaway?code=11"), "--http2", "prior-knowledge"});
    expect_down(*c, "goaway", {"GOAWAY", "ENHANCE_YOUR_CALM (0xb)", "/h2/goaway"});
}

TEST_F(lab_h2, websocket_scenarios_over_h2_report_like_over_http1)
{
    auto s =
        check({on_->ws("/subprotocol?select=chat"), "--http2", "prior-knowledge", "--subprotocol", "chat"});
    expect_up_over(*s, "h2");
    EXPECT_EQ(field(*s, "negotiated", "subprotocol"), "chat") << s->context();
    auto w =
        check({on_->ws("/subprotocol?select=other"), "--http2", "prior-knowledge", "--subprotocol", "chat"});
    expect_down(*w, "subprotocol_not_offered", {"other"});
    auto d = check({on_->ws("/drop"), "--http2", "prior-knowledge", "--rtt", "echo"});
    ASSERT_TRUE(d->parsed) << d->context();
    EXPECT_EQ(d->status(), "down") << d->context();
    EXPECT_EQ(d->code(), "stream_reset") << d->context();
    // A slow echo is degraded over both transports, its RTT at least the delay.
    for (const std::string mode : {"off", "prior-knowledge"}) {
        auto e = check({on_->ws("/slow-echo?ms=300"), "--http2", mode, "--rtt", "echo"});
        ASSERT_TRUE(e->parsed) << e->context();
        EXPECT_EQ(e->status(), "degraded") << mode << ": " << e->context();
        EXPECT_GE(double(e->doc["phases_ms"]["rtt"]), 300.0) << e->context();
        EXPECT_EQ(field(*e, "negotiated", "http_version"), mode == "off" ? "http/1.1" : "h2") << e->context();
    }
}

TEST_F(lab_h2, app_servers_over_h2_report_like_over_http1)
{
    auto up = check({on_->ws("/app/graphql-transport-ws"), "--http2", "prior-knowledge", "--app",
                     "graphql-transport-ws", "--rtt", "app"});
    expect_up_over(*up, "h2");
    EXPECT_EQ(field(*up, "negotiated", "subprotocol"), "graphql-transport-ws") << up->context();
    auto refused = check(
        {on_->wss("h2", "/app/mqtt?fault=rc5"), "--ca", on_->ca(), "--http2", "require", "--app", "mqtt"});
    ASSERT_TRUE(refused->parsed) << refused->context();
    EXPECT_EQ(refused->status(), "down") << refused->context();
    EXPECT_EQ(refused->phase(), "app_init") << refused->context();
    EXPECT_EQ(refused->code(), "mqtt_not_authorized") << refused->context();
    EXPECT_EQ(field(*refused, "negotiated", "http_version"), "h2") << refused->context();
}

TEST_F(lab_h2, http1_is_unchanged_on_every_listener_of_the_same_lab)
{
    expect_up_over(*check({absent_->ws("/echo"), "--rtt", "echo"}), "http/1.1");
    auto h2_port = check({on_->wss("h2", "/echo"), "--ca", on_->ca(), "--rtt", "echo"});
    expect_up_over(*h2_port, "http/1.1");
    EXPECT_EQ(field(*h2_port, "tls", "alpn"), "http/1.1") << h2_port->context();
    // The valid listener selects no ALPN protocol: prefer falls back for that reason, not SETTINGS.
    auto valid = check({on_->wss("valid", "/echo"), "--ca", on_->ca(), "--http2", "prefer"});
    expect_up_over(*valid, "http/1.1");
    EXPECT_EQ(field(*valid, "negotiated", "fallback_reason"), "ALPN selected http/1.1") << valid->context();
}

// The stream ids of a --h2-streams run, in the order asked; -1 for a null id.
std::vector<std::int64_t> stream_ids(const check_json& c)
{
    std::vector<std::int64_t> out;
    simdjson::dom::array streams;
    if (c.doc["streams"].get(streams) != simdjson::SUCCESS) {
        return out;
    }
    for (auto s : streams) {
        std::int64_t id = 0;
        out.push_back(s["stream_id"].get(id) == simdjson::SUCCESS ? id : -1);
    }
    return out;
}

TEST_F(lab_h2, h2_streams_share_one_connection_and_each_is_validated)
{
    // Five probes on one h2c connection: the client's stream ids 1, 3, ... 9 (RFC 9113 §5.1.1:
    // odd, increasing on one connection; five connections would each have used stream 1).
    auto c = check({on_->ws("/echo"), "--h2-streams", "5", "--rtt", "echo", "--payload", "per stream"});
    ASSERT_TRUE(c->parsed) << c->context();
    EXPECT_EQ(c->status(), "up") << c->context();
    EXPECT_EQ(c->run.exit_code, 0) << c->context();
    EXPECT_EQ(uint64_t(c->doc["streams_requested"]), 5u) << c->context();
    EXPECT_EQ(uint64_t(c->doc["streams_up"]), 5u) << c->context();
    EXPECT_EQ(stream_ids(*c), (std::vector<std::int64_t>{1, 3, 5, 7, 9})) << c->context();
    for (auto s : c->doc["streams"].get_array()) {
        EXPECT_EQ(std::string_view(s["result"]["negotiated"]["http_version"]), "h2") << c->context();
        EXPECT_EQ(int64_t(s["result"]["negotiated"]["status"]), 200) << c->context();
        EXPECT_FALSE(s["result"]["phases_ms"]["rtt"].is_null()) << c->context();
        EXPECT_EQ(int64_t(s["result"]["close"]["code"]), 1000) << c->context();
    }

    // Over TLS (ALPN h2 on the lab's h2 listener), printed for people: a row per stream.
    const auto t =
        run_wsprobe({"check", on_->wss("h2", "/echo"), "--ca", on_->ca(), "--h2-streams", "3"}, 20s);
    EXPECT_EQ(t.exit_code, 0) << t.out << t.err;
    EXPECT_EQ(t.out.rfind("wsprobe check --h2-streams 3 wss://", 0), 0u) << t.out;
    EXPECT_NE(t.out.find("ALPN h2"), std::string::npos) << t.out;
    EXPECT_NE(t.out.find("\nUP: 3 of 3 streams up on one HTTP/2 connection in "), std::string::npos) << t.out;
}

TEST_F(lab_h2, h2_streams_reset_by_the_server_are_each_down)
{
    auto c = check({on_->ws("/h2/reset?code=8"), "--h2-streams", "3"});
    ASSERT_TRUE(c->parsed) << c->context();
    EXPECT_EQ(c->status(), "down") << c->context();
    EXPECT_EQ(c->phase(), "upgrade") << c->context();
    EXPECT_EQ(c->code(), "stream_reset") << c->context();
    EXPECT_NE(c->message().find("CANCEL (0x8)"), std::string::npos) << c->message();
    EXPECT_EQ(int64_t(c->doc["failed_stream"]), 1) << c->context();
    EXPECT_EQ(uint64_t(c->doc["streams_down"]), 3u) << c->context();
    EXPECT_EQ(stream_ids(*c), (std::vector<std::int64_t>{1, 3, 5})) << c->context();
    EXPECT_EQ(c->run.exit_code, 2) << c->context();
    const auto t = run_wsprobe({"check", on_->ws("/h2/reset?code=8"), "--h2-streams", "3"}, 20s);
    EXPECT_NE(t.out.find("\n  streams 1, 3, 5: "), std::string::npos)
        << "one sentence for the three: " << t.out;
}

TEST_F(lab_h2, h2_streams_without_the_setting_open_no_stream)
{
    // No ENABLE_CONNECT_PROTOCOL: the connection cannot carry any of them, and there is no
    // HTTP/1.1 fallback in a multiplexed run.
    auto c = check({off_->ws("/echo"), "--h2-streams", "4"});
    ASSERT_TRUE(c->parsed) << c->context();
    EXPECT_EQ(c->status(), "down") << c->context();
    EXPECT_EQ(c->phase(), "upgrade") << c->context();
    EXPECT_NE(c->message().find("ENABLE_CONNECT_PROTOCOL"), std::string::npos) << c->message();
    EXPECT_TRUE(c->doc["failed_stream"].is_null()) << c->context();
    EXPECT_EQ(stream_ids(*c), (std::vector<std::int64_t>{-1, -1, -1, -1})) << c->context();
    EXPECT_EQ(c->run.exit_code, 2) << c->context();
    const auto t = run_wsprobe({"check", off_->ws("/echo"), "--h2-streams", "4"}, 20s);
    EXPECT_NE(t.out.find("(no stream was opened)\n"), std::string::npos) << t.out;
}

TEST(lab_h2_cli, list_and_help_name_the_h2_scenarios_and_the_flag)
{
    child_process list({WSPROBE_LAB_BIN, "--list"});
    ASSERT_EQ(list.wait(10s), 0);
    EXPECT_NE(list.out().find("/h2/reset?code=N"), std::string::npos) << list.out();
    EXPECT_NE(list.out().find("/h2/goaway?code=N"), std::string::npos) << list.out();
    child_process help({WSPROBE_LAB_BIN, "--help"});
    ASSERT_EQ(help.wait(10s), 0);
    EXPECT_NE(help.out().find("--h2-connect-protocol on|off|absent"), std::string::npos);
    EXPECT_NE(help.out().find("  h2 "), std::string::npos) << help.out();
    child_process bad({WSPROBE_LAB_BIN, "--h2-connect-protocol", "maybe"});
    EXPECT_EQ(bad.wait(10s), 3);
    EXPECT_NE(bad.err().find("--h2-connect-protocol"), std::string::npos) << bad.err();
}

} // namespace
