// `wsprobe check --app NAME` against wsprobe-lab's app servers (/app/<protocol>?fault=...): up with
// phase app_init timed and the subprotocol negotiated, down in app_init (or rtt) with the preset's
// code and the words a person reads for every fault; plus --expect-close and --send/--expect-json.
#include <cstdlib>

#include "tests/integration/harness.h"

namespace {

using namespace wsp::test;

struct verdict {
    const char* status;
    const char* phase; // "<null>" when up
    const char* code;
    std::vector<std::string> words;
};

void expect_verdict(const check_json& r, const verdict& v, const std::string& what)
{
    ASSERT_TRUE(r.parsed) << what << ": not JSON: " << r.context();
    EXPECT_EQ(r.status(), v.status) << what << ": " << r.context();
    EXPECT_EQ(r.phase(), v.phase) << what << ": " << r.context();
    EXPECT_EQ(r.code(), v.code) << what << ": " << r.context();
    for (const auto& w : v.words) {
        EXPECT_NE(r.message().find(w), std::string::npos)
            << what << ": missing '" << w << "' in: " << r.message();
    }
    EXPECT_EQ(r.run.exit_code, std::string_view(v.status) == "up" ? 0 : 2) << what << ": " << r.context();
}

std::string subprotocol_of(const check_json& r)
{
    std::string_view s;
    if (r.doc["negotiated"]["subprotocol"].get(s) != simdjson::SUCCESS) {
        return "<none>";
    }
    return std::string(s);
}

bool phase_timed(const check_json& r, const char* phase)
{
    double ms = 0;
    return r.doc["phases_ms"][phase].get(ms) == simdjson::SUCCESS;
}

class check_apps : public ::testing::Test {
protected:
    static void SetUpTestSuite()
    {
        lab_ = new lab_server();
        // Until the lab routes /app/..., every app path answers 404: skip rather than fail.
        auto probe = check({lab_->url("/app/graphql-transport-ws"), "--app", "graphql-transport-ws"});
        wired_ = !(probe->parsed && probe->phase() == "upgrade" &&
                   probe->message().find("404") != std::string::npos);
    }
    static void TearDownTestSuite()
    {
        delete lab_;
        lab_ = nullptr;
    }
    void SetUp() override
    {
        if (!wired_) {
            GTEST_SKIP()
                << "wsprobe-lab answers 404 for /app/...: the app servers (tools/lab/apps.h) are not "
                   "wired into the lab's routes yet";
        }
    }
    static std::string url(const std::string& path) { return lab_->url(path); }

    // An app check that must be up, with app_init timed and the preset's subprotocol negotiated.
    static std::unique_ptr<check_json> expect_up(std::vector<std::string> args,
                                                 const std::string& subprotocol)
    {
        auto r = check(args);
        expect_verdict(*r, {"up", "<null>", "ok", {}}, args.front());
        EXPECT_TRUE(phase_timed(*r, "app_init")) << r->context();
        EXPECT_EQ(subprotocol_of(*r), subprotocol) << r->context();
        return r;
    }
    static void expect_down(std::vector<std::string> args, const verdict& v)
    {
        auto r = check(args);
        expect_verdict(*r, v, args.front());
    }

    static lab_server* lab_;
    static bool wired_;
};
lab_server* check_apps::lab_ = nullptr;
bool check_apps::wired_ = false;

TEST_F(check_apps, graphql_transport_ws)
{
    auto ok = expect_up({url("/app/graphql-transport-ws"), "--app", "graphql-transport-ws"},
                        "graphql-transport-ws");
    EXPECT_TRUE(phase_timed(*ok, "rtt")) << "ping/pong times the round trip: " << ok->context();
    const std::vector<std::pair<std::string, std::string>> faults{
        {"4400", "Bad Request"},
        {"4401", "Unauthorized"},
        {"4403", "Forbidden"},
        {"4408", "Connection initialisation timeout"},
        {"4429", "Too many initialisation requests"}};
    for (const auto& [code, name] : faults) {
        expect_down({url("/app/graphql-transport-ws?fault=" + code), "--app", "graphql-transport-ws"},
                    {"down", "app_init", "server_closed", {code, name}});
    }
    expect_down({url("/app/graphql-transport-ws?fault=silent"), "--app", "graphql-transport-ws",
                 "--app-init-timeout", "300ms", "--close-timeout", "200ms"},
                {"down", "app_init", "app_init_timeout", {"graphql-transport-ws init answer", "300 ms"}});
}

TEST_F(check_apps, graphql_ws)
{
    expect_up({url("/app/graphql-ws"), "--app", "graphql-ws"}, "graphql-ws");
    expect_down({url("/app/graphql-ws?fault=error"), "--app", "graphql-ws"},
                {"down", "app_init", "graphql_connection_error", {"connection_error", "lab fault"}});
}

TEST_F(check_apps, mqtt_versions_and_return_codes)
{
    auto v4 = expect_up({url("/app/mqtt"), "--app", "mqtt"}, "mqtt");
    EXPECT_TRUE(phase_timed(*v4, "rtt")) << "PINGREQ/PINGRESP times the round trip: " << v4->context();
    expect_up({url("/app/mqtt"), "--app", "mqtt", "--mqtt-version", "5"}, "mqtt");
    const std::vector<std::string> codes{"mqtt_unsupported_version", "mqtt_client_id_rejected",
                                         "mqtt_server_unavailable", "mqtt_bad_credentials",
                                         "mqtt_not_authorized"};
    for (int rc = 1; rc <= 5; ++rc) {
        expect_down({url("/app/mqtt?fault=rc" + std::to_string(rc)), "--app", "mqtt"},
                    {"down", "app_init", codes[rc - 1].c_str(), {"return code " + std::to_string(rc)}});
    }
    expect_down({url("/app/mqtt?fault=rc135"), "--app", "mqtt", "--mqtt-version", "5"},
                {"down", "app_init", "mqtt_not_authorized", {"0x87"}});
    expect_down({url("/app/mqtt?fault=rc128"), "--app", "mqtt", "--mqtt-version", "5"},
                {"down", "app_init", "mqtt_refused", {"0x80"}});
    expect_down({url("/app/mqtt?fault=text"), "--app", "mqtt"},
                {"down", "app_init", "app_unexpected_frame_kind", {"text frame"}});
    expect_down({url("/app/mqtt?fault=disconnect"), "--app", "mqtt", "--mqtt-version", "5"},
                {"down", "rtt", "mqtt_disconnect", {"DISCONNECT"}});
}

TEST_F(check_apps, mqtt_credentials_never_printed)
{
    const std::string secret = "lab-pass-4c1e9";
    ::setenv("WSP_TEST_MQTT_PASSWORD", secret.c_str(), 1);
    ::setenv("WSP_TEST_MQTT_WRONG", "guessed-wrong-77", 1);
    const std::string target = url("/app/mqtt?user=alice&pass=" + secret);
    for (const char* version : {"4", "5"}) {
        auto ok = expect_up({target, "--app", "mqtt", "--mqtt-version", version, "--username", "alice",
                             "--password-env", "WSP_TEST_MQTT_PASSWORD"},
                            "mqtt");
        auto bad = check({target, "--app", "mqtt", "--mqtt-version", version, "--username", "alice",
                          "--password-env", "WSP_TEST_MQTT_WRONG", "-v"});
        expect_verdict(*bad, {"down", "app_init", "mqtt_bad_credentials", {"refused the connection"}},
                       version);
        for (const check_json* r : {ok.get(), bad.get()}) {
            EXPECT_EQ(r->context().find("guessed-wrong-77"), std::string::npos) << r->context();
        }
    }
}

TEST_F(check_apps, wamp)
{
    expect_up({url("/app/wamp"), "--app", "wamp", "--realm", "realm1"}, "wamp.2.json");
    expect_down({url("/app/wamp?fault=abort"), "--app", "wamp", "--realm", "realm1"},
                {"down", "app_init", "wamp_abort", {"wamp.error.no_such_realm", "realm1"}});
    expect_down({url("/app/wamp?fault=challenge"), "--app", "wamp", "--realm", "realm1"},
                {"down", "app_init", "wamp_auth_required", {"CHALLENGE", "ticket"}});
}

TEST_F(check_apps, signalr)
{
    expect_up({url("/app/signalr"), "--app", "signalr"}, "<none>");
    expect_down({url("/app/signalr?fault=error"), "--app", "signalr"},
                {"down", "app_init", "signalr_handshake_error", {"rejected the handshake"}});
    expect_down({url("/app/signalr?fault=close"), "--app", "signalr"},
                {"down", "app_init", "signalr_closed", {"closed the connection"}});
}

TEST_F(check_apps, phoenix)
{
    auto ok = expect_up({url("/app/phoenix"), "--app", "phoenix", "--topic", "room:lobby"}, "<none>");
    EXPECT_TRUE(phase_timed(*ok, "rtt")) << "the heartbeat times the round trip: " << ok->context();
    expect_down({url("/app/phoenix?fault=error"), "--app", "phoenix", "--topic", "room:lobby"},
                {"down", "app_init", "phoenix_reply_error", {"status error", "room:lobby"}});
    expect_down({url("/app/phoenix?fault=close"), "--app", "phoenix", "--topic", "room:lobby"},
                {"down", "app_init", "phoenix_channel_closed", {"phx_close"}});
}

TEST_F(check_apps, socketio)
{
    expect_up({url("/app/socketio"), "--app", "socketio"}, "<none>");
    expect_up({url("/app/socketio"), "--app", "socketio", "--topic", "/admin"}, "<none>");
    expect_down({url("/app/socketio?fault=connect_error"), "--app", "socketio"},
                {"down", "app_init", "socketio_connect_error", {"CONNECT_ERROR", "not authorized"}});
}

TEST_F(check_apps, actioncable)
{
    expect_up({url("/app/actioncable"), "--app", "actioncable"}, "actioncable-v1-json");
    expect_down({url("/app/actioncable?fault=unauthorized"), "--app", "actioncable"},
                {"down", "app_init", "actioncable_disconnect", {"unauthorized"}});
}

// Exchanges and expected closes against the lab's long-standing scenarios (no /app wiring needed).
class check_exchanges : public ::testing::Test {
protected:
    static void SetUpTestSuite() { lab_ = new lab_server(); }
    static void TearDownTestSuite()
    {
        delete lab_;
        lab_ = nullptr;
    }
    static std::string url(const std::string& path) { return lab_->url(path); }
    static lab_server* lab_;
};
lab_server* check_exchanges::lab_ = nullptr;

TEST_F(check_exchanges, an_expected_close_code_is_up)
{
    auto r = check({url("/close-after-upgrade?code=4401&reason=nope"), "--expect-close", "4401"});
    expect_verdict(*r, {"up", "<null>", "ok", {}}, "expected 4401");
    EXPECT_EQ(int64_t(r->doc["close"]["code"]), 4401);
    expect_verdict(*check({url("/close-after-upgrade?code=4401"), "--expect-close", "4400-4403"}),
                   {"up", "<null>", "ok", {}}, "range");
    expect_verdict(*check({url("/close-after-upgrade?code=4403"), "--expect-close", "4401"}),
                   {"down", "close", "unexpected_close_code", {"4403"}}, "other code");
}

TEST_F(check_exchanges, send_and_expect_json)
{
    expect_verdict(*check({url("/echo"), "--send", R"({"a":{"b":1}})", "--expect-json", "/a/b=1"}),
                   {"up", "<null>", "ok", {}}, "matching pointer");
    expect_verdict(*check({url("/echo"), "--send", R"({"a":{"b":1}})", "--expect-json", "/a/b=2"}),
                   {"down", "rtt", "json_value_mismatch", {"/a/b"}}, "mismatching pointer");
    expect_verdict(*check({url("/echo"), "--send", "hello lab", "--expect-contains", "lab"}),
                   {"up", "<null>", "ok", {}}, "contains");
}

} // namespace
