#include "proto/render.h"
#include "proto/json_writer.h"
#include "proto/verdict.h"

#include <gtest/gtest.h>
#include <simdjson.h>

using namespace wsp::proto;

namespace {

enum class test_errc : std::uint16_t { ok = 0, unexpected_status = 1 };
std::string_view n(std::uint16_t) noexcept { return "unexpected_status"; }
wsp::failure_class c(std::uint16_t) noexcept { return wsp::failure_class::handshake; }
std::string_view d(std::uint16_t) noexcept { return "status"; }
constexpr wsp::error_domain dom{"test", &n, &c, &d};
const wsp::error_domain& domain_of(test_errc) noexcept { return dom; }

check_result healthy()
{
    check_result r;
    r.status = check_status::up;
    r.url = "ws://127.0.0.1:9000/echo";
    r.peer_address = "127.0.0.1:9000";
    r.set_duration(phase::dns, 10'000);
    r.set_duration(phase::tcp, 120'000);
    r.set_duration(phase::upgrade, 400'000);
    r.set_duration(phase::rtt, 200'000);
    r.rtt_ns = 200'000;
    r.total_ns = 900'000;
    r.negotiated.http_version = "http/1.1";
    r.negotiated.status = 101;
    r.close = {closed_by::client, 1000, "", true};
    return r;
}

} // namespace

TEST(verdict, thresholds_degrade_only_healthy_results)
{
    auto r = healthy();
    check_thresholds t;
    apply_thresholds(r, t);
    EXPECT_EQ(r.status, check_status::up);
    EXPECT_TRUE(r.warnings.empty());

    r.set_duration(phase::upgrade, 1'534'000'000);
    apply_thresholds(r, t);
    EXPECT_EQ(r.status, check_status::degraded);
    ASSERT_EQ(r.warnings.size(), 1u);
    EXPECT_NE(r.warnings[0].find("1534 ms"), std::string::npos);
    EXPECT_NE(r.warnings[0].find("1000 ms"), std::string::npos);

    auto slow = healthy();
    slow.rtt_ns = 250'000'000;
    apply_thresholds(slow, t);
    EXPECT_EQ(slow.status, check_status::degraded);

    auto down = healthy();
    down.fail(phase::upgrade, test_errc::unexpected_status, "Server returned 200; expected 101 Switching Protocols");
    down.set_duration(phase::upgrade, 5'000'000'000);
    apply_thresholds(down, t);
    EXPECT_EQ(down.status, check_status::down);
    EXPECT_TRUE(down.warnings.empty());
}

TEST(verdict, thresholds_are_configurable)
{
    auto r = healthy(); // upgrade 0.4 ms, rtt 0.2 ms
    check_thresholds t;
    t.rtt_degraded = millis{0};
    apply_thresholds(r, t);
    EXPECT_EQ(r.status, check_status::degraded);
    auto c2 = healthy();
    check_thresholds t2;
    t2.connect_degraded = millis{0};
    apply_thresholds(c2, t2);
    EXPECT_EQ(c2.status, check_status::degraded);
}

TEST(render, text_has_one_line_per_phase_run_and_a_verdict)
{
    const auto text = render_text(healthy());
    EXPECT_NE(text.find("  dns "), std::string::npos);
    EXPECT_NE(text.find("  tcp "), std::string::npos);
    EXPECT_NE(text.find("connected to 127.0.0.1:9000"), std::string::npos);
    EXPECT_EQ(text.find("  tls "), std::string::npos); // not run
    EXPECT_NE(text.find("UP in 0.9 ms"), std::string::npos);
    EXPECT_EQ(text.find('\x1b'), std::string::npos);
    EXPECT_NE(render_text(healthy(), {.color = true}).find("\x1b[32mUP"), std::string::npos);
}

TEST(render, text_of_a_failure_names_phase_sentence_and_code)
{
    auto r = healthy();
    r.fail(phase::upgrade, test_errc::unexpected_status, "Server returned 200; expected 101 Switching Protocols");
    const auto text = render_text(r);
    EXPECT_NE(text.find("FAILED"), std::string::npos);
    EXPECT_NE(text.find("DOWN at upgrade: Server returned 200; expected 101 Switching Protocols "
                        "[unexpected_status]"),
              std::string::npos);
}

TEST(render, json_is_valid_and_has_stable_fields)
{
    auto r = healthy();
    r.fail(phase::upgrade, test_errc::unexpected_status, "quote \" backslash \\ ctrl \x01 bad \xff utf8 é");
    const auto json = render_json(r);
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    ASSERT_EQ(parser.parse(json).get(doc), simdjson::SUCCESS) << json;
    EXPECT_EQ(std::string_view(doc["status"]), "down");
    EXPECT_EQ(std::string_view(doc["failed_phase"]), "upgrade");
    EXPECT_EQ(std::string_view(doc["code"]), "unexpected_status");
    EXPECT_EQ(std::string_view(doc["class"]), "handshake");
    EXPECT_EQ(std::string_view(doc["message"]), "quote \" backslash \\ ctrl \x01 bad \xef\xbf\xbd utf8 é");
    EXPECT_DOUBLE_EQ(double(doc["phases_ms"]["tcp"]), 0.12);
    EXPECT_TRUE(doc["phases_ms"]["tls"].is_null());
    EXPECT_EQ(int64_t(doc["negotiated"]["status"]), 101);
    EXPECT_EQ(int64_t(doc["close"]["code"]), 1000);
    EXPECT_TRUE(bool(doc["close"]["clean"]));
}

TEST(json_writer, nesting_and_commas)
{
    std::string out;
    json_writer w(out);
    w.begin_object().key("a").begin_array().value(1).value("x").null().end_array().key("b").value(true).end_object();
    EXPECT_EQ(out, R"({"a":[1,"x",null],"b":true})");
}
