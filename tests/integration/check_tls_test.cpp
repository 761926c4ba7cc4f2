// `wsprobe check wss://...` against every wsprobe-lab TLS listener: certificate validity (RFC 5280
// §4.1.2.5), trust (§6), names (RFC 6125 §6), versions (RFC 8446 §4.2.1), client certificates
// (§4.4.2.4) and ALPN (RFC 7301 §3.2): status, phase, code, the sentence and the tls facts; and
// the HTTP scenario paths over wss.
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>

#include "tests/integration/tls_harness.h"

namespace {

using namespace wsp::test;

class check_tls : public ::testing::Test {
protected:
    static void SetUpTestSuite() { lab_ = new tls_lab(); }
    static void TearDownTestSuite()
    {
        delete lab_;
        lab_ = nullptr;
    }
    // `wsprobe check URL --ca TMP/ca.pem ARGS... --json`.
    static std::unique_ptr<check_json> check_trusting(const std::string& url,
                                                      std::vector<std::string> args = {})
    {
        args.insert(args.begin(), {url, "--ca", lab_->file("ca.pem")});
        return check(std::move(args));
    }
    static tls_lab* lab_;
};
tls_lab* check_tls::lab_ = nullptr;

void expect_down_at_tls(const check_json& r, const std::string& code, const std::vector<std::string>& words)
{
    ASSERT_TRUE(r.parsed) << "not JSON: " << r.context();
    EXPECT_EQ(r.status(), "down") << r.context();
    EXPECT_EQ(r.phase(), "tls") << r.context();
    EXPECT_EQ(r.code(), code) << r.context();
    EXPECT_EQ(r.str("class"), "tls") << r.context();
    for (const auto& w : words) {
        EXPECT_NE(r.message().find(w), std::string::npos) << "missing '" << w << "' in: " << r.message();
    }
    EXPECT_EQ(r.run.exit_code, 2) << r.context();
}

TEST_F(check_tls, lab_prints_one_wss_line_per_scenario_after_the_ws_line)
{
    EXPECT_EQ(lab_->order(), tls_scenario_names());
    EXPECT_NE(lab_->plain_authority().find("127.0.0.1:"), std::string::npos);
}

TEST_F(check_tls, valid_is_up_with_the_tls_facts_and_echoes)
{
    for (const std::string host : {"127.0.0.1", "localhost"}) {
        auto r =
            check_trusting(lab_->url("valid", "/echo", host), {"--rtt", "echo", "--payload", "over tls"});
        ASSERT_TRUE(r->parsed) << r->context();
        EXPECT_EQ(r->status(), "up") << r->context();
        EXPECT_EQ(r->run.exit_code, 0) << r->context();
        EXPECT_EQ(str_at(*r, "tls", "version"), "TLSv1.3");
        EXPECT_EQ(str_at(*r, "tls", "verify"), "ok");
        EXPECT_EQ(str_at(*r, "tls", "subject"), "CN=wsprobe-lab valid");
        EXPECT_EQ(str_at(*r, "tls", "issuer"), "CN=wsprobe-lab CA");
        std::vector<std::string> names;
        for (auto n : r->doc["tls"]["names"].get_array()) {
            names.emplace_back(std::string_view(n));
        }
        EXPECT_NE(std::find(names.begin(), names.end(), "127.0.0.1"), names.end());
        EXPECT_NE(std::find(names.begin(), names.end(), "localhost"), names.end());
        const auto days = int64_t(r->doc["tls"]["days_left"]);
        EXPECT_GE(days, 89);
        EXPECT_LE(days, 90);
        EXPECT_FALSE(r->doc["phases_ms"]["tls"].is_null());
        EXPECT_FALSE(r->doc["phases_ms"]["rtt"].is_null());
        EXPECT_EQ(int64_t(r->doc["close"]["code"]), 1000);
        EXPECT_TRUE(bool(r->doc["close"]["clean"]));
    }
}

TEST_F(check_tls, without_the_lab_ca_the_system_store_refuses_it)
{
    auto r = check({lab_->url("valid", "/echo")});
    expect_down_at_tls(*r, "untrusted_issuer", {"CN=wsprobe-lab CA", "not a trusted CA"});
}

TEST_F(check_tls, certificate_dates)
{
    auto expired = check_trusting(lab_->url("expired", "/echo"));
    expect_down_at_tls(*expired, "certificate_expired", {"expired on 20", "renew"});
    auto early = check_trusting(lab_->url("not-yet-valid", "/echo"));
    expect_down_at_tls(*early, "certificate_not_yet_valid", {"not valid until 20", "clock"});
}

TEST_F(check_tls, self_signed_wrong_host_and_untrusted_issuer)
{
    expect_down_at_tls(*check_trusting(lab_->url("self-signed", "/echo")), "self_signed", {"self-signed"});
    expect_down_at_tls(*check_trusting(lab_->url("wrong-host", "/echo")), "ip_address_mismatch",
                       {"127.0.0.1", "wrong.example", "other.example"});
    expect_down_at_tls(*check_trusting(lab_->url("wrong-host", "/echo", "localhost")), "hostname_mismatch",
                       {"localhost", "wrong.example"});
    expect_down_at_tls(*check_trusting(lab_->url("untrusted", "/echo")), "untrusted_issuer",
                       {"wsprobe-lab untrusted CA"});
}

TEST_F(check_tls, insecure_completes_but_still_reports_the_certificate_problem)
{
    auto host = check_trusting(lab_->url("wrong-host", "/echo"), {"--insecure", "--rtt", "echo"});
    ASSERT_TRUE(host->parsed) << host->context();
    EXPECT_EQ(host->status(), "up") << host->context();
    EXPECT_EQ(host->run.exit_code, 0) << host->context();
    EXPECT_NE(str_at(*host, "tls", "verify"), "ok");
    EXPECT_NE(str_at(*host, "tls", "verify"), "<null>");
    EXPECT_NE(warnings_of(*host).find("mismatch"), std::string::npos) << warnings_of(*host);

    auto expired = check_trusting(lab_->url("expired", "/echo"), {"--insecure", "--rtt", "echo"});
    ASSERT_TRUE(expired->parsed) << expired->context();
    EXPECT_EQ(expired->status(), "up") << expired->context();
    EXPECT_EQ(expired->run.exit_code, 0) << expired->context();
    EXPECT_EQ(str_at(*expired, "tls", "verify"), "certificate has expired");
    EXPECT_NE(warnings_of(*expired).find("certificate has expired"), std::string::npos)
        << warnings_of(*expired);
    EXPECT_EQ(int64_t(expired->doc["tls"]["days_left"]), -10);
}

TEST_F(check_tls, expiring_certificate_degrades_with_the_warning)
{
    auto r = check_trusting(lab_->url("expiring", "/echo"));
    ASSERT_TRUE(r->parsed) << r->context();
    EXPECT_EQ(r->status(), "degraded") << r->context();
    EXPECT_EQ(r->run.exit_code, 1) << r->context();
    EXPECT_EQ(int64_t(r->doc["tls"]["days_left"]), 5);
    EXPECT_NE(warnings_of(*r).find("expires in 5 days"), std::string::npos) << warnings_of(*r);
    EXPECT_NE(warnings_of(*r).find("14-day"), std::string::npos) << warnings_of(*r);
    // A narrower warning window passes it.
    auto narrow = check_trusting(lab_->url("expiring", "/echo"), {"--cert-warn-days", "3"});
    ASSERT_TRUE(narrow->parsed) << narrow->context();
    EXPECT_EQ(narrow->status(), "up") << narrow->context();
}

TEST_F(check_tls, tls12_only_is_up_unless_tls13_is_required)
{
    auto r = check_trusting(lab_->url("tls12-only", "/echo"), {"--rtt", "echo"});
    ASSERT_TRUE(r->parsed) << r->context();
    EXPECT_EQ(r->status(), "up") << r->context();
    EXPECT_EQ(str_at(*r, "tls", "version"), "TLSv1.2");
    expect_down_at_tls(*check_trusting(lab_->url("tls12-only", "/echo"), {"--tls-min", "1.3"}),
                       "protocol_version", {"protocol version"});
}

TEST_F(check_tls, mtls_needs_the_client_certificate)
{
    // TLS 1.3 (RFC 8446 §4.4.2.4): the client's handshake completes before the server checks
    // its certificate; the certificate_required alert arrives with the first read and is still
    // reported as a TLS failure.
    auto without = check_trusting(lab_->url("mtls", "/echo"));
    ASSERT_TRUE(without->parsed) << without->context();
    EXPECT_EQ(without->status(), "down") << without->context();
    EXPECT_EQ(without->phase(), "tls") << without->context();
    EXPECT_EQ(without->code(), "client_certificate_required") << without->context();
    EXPECT_NE(without->message().find("client certificate"), std::string::npos) << without->message();
    EXPECT_EQ(without->run.exit_code, 2);

    auto with = check_trusting(lab_->url("mtls", "/echo"), {"--cert", lab_->file("client.pem"), "--key",
                                                            lab_->file("client-key.pem"), "--rtt", "echo"});
    ASSERT_TRUE(with->parsed) << with->context();
    EXPECT_EQ(with->status(), "up") << with->context();
    EXPECT_EQ(with->run.exit_code, 0);
}

TEST_F(check_tls, alpn_h2_only_aborts_the_handshake_with_an_alert)
{
    auto r = check_trusting(lab_->url("alpn-h2-only", "/echo"));
    ASSERT_TRUE(r->parsed) << r->context();
    EXPECT_EQ(r->status(), "down") << r->context();
    EXPECT_EQ(r->phase(), "tls") << r->context();
    EXPECT_NE(r->message().find("no application protocol"), std::string::npos) << r->message();
    EXPECT_NE(r->message().find("http/1.1"), std::string::npos) << r->message();
    EXPECT_EQ(r->run.exit_code, 2);
}

TEST_F(check_tls, http_scenario_paths_over_wss)
{
    auto denied = check_trusting(lab_->url("valid", "/status/401"));
    ASSERT_TRUE(denied->parsed) << denied->context();
    EXPECT_EQ(denied->status(), "down");
    EXPECT_EQ(denied->phase(), "upgrade");
    EXPECT_EQ(denied->code(), "unauthorized") << denied->context();
    EXPECT_EQ(str_at(*denied, "tls", "verify"), "ok"); // TLS itself was fine

    auto closed = check_trusting(lab_->url("valid", "/close-after-upgrade?code=4401&reason=token%20scope"),
                                 {"--rtt", "echo"});
    ASSERT_TRUE(closed->parsed) << closed->context();
    EXPECT_EQ(closed->status(), "down");
    EXPECT_EQ(closed->code(), "server_closed") << closed->context();
    EXPECT_NE(closed->message().find("4401"), std::string::npos) << closed->message();
    EXPECT_NE(closed->message().find("token scope"), std::string::npos) << closed->message();
    EXPECT_EQ(int64_t(closed->doc["close"]["code"]), 4401);

    auto idle =
        check_trusting(lab_->url("valid", "/idle-kill?ms=100"), {"--rtt", "any", "--rtt-timeout", "3s"});
    ASSERT_TRUE(idle->parsed) << idle->context();
    EXPECT_EQ(idle->status(), "down");
    EXPECT_EQ(idle->phase(), "rtt");
    EXPECT_EQ(idle->code(), "connection_dropped") << idle->context();
    EXPECT_EQ(int64_t(idle->doc["close"]["code"]), 1006);
    EXPECT_NE(idle->message().find("1006"), std::string::npos) << idle->message();

    auto slow =
        check_trusting(lab_->url("valid", "/slow-echo?ms=150"), {"--rtt", "echo", "--rtt-degraded", "50ms"});
    ASSERT_TRUE(slow->parsed) << slow->context();
    EXPECT_EQ(slow->status(), "degraded") << slow->context();
    EXPECT_GE(double(slow->doc["rtt_ms"]), 150.0);
}

TEST(check_tls_cli, lab_tls_dir_errors)
{
    child_process no_value({WSPROBE_LAB_BIN, "--tls-dir"});
    EXPECT_EQ(no_value.wait(10s), 3);
    EXPECT_NE(no_value.err().find("--tls-dir"), std::string::npos) << no_value.err();

    char tmpl[] = "/tmp/wsprobe-tls-file-XXXXXX";
    const int fd = ::mkstemp(tmpl);
    ASSERT_GE(fd, 0);
    ::close(fd);
    const std::string under_file = std::string(tmpl) + "/certs";
    child_process bad_dir({WSPROBE_LAB_BIN, "--listen", "127.0.0.1:0", "--tls-dir", under_file});
    EXPECT_EQ(bad_dir.wait(10s), 1);
    EXPECT_NE(bad_dir.err().find("--tls-dir " + under_file), std::string::npos) << bad_dir.err();
    EXPECT_TRUE(bad_dir.out().empty()) << bad_dir.out(); // no listener line before the failure
    ::unlink(tmpl);

    child_process help({WSPROBE_LAB_BIN, "--help"});
    EXPECT_EQ(help.wait(10s), 0);
    EXPECT_NE(help.out().find("--tls-dir DIR"), std::string::npos);
    EXPECT_NE(help.out().find("alpn-h2-only"), std::string::npos);
}

} // namespace
