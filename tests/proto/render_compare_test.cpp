// render_compare_text / render_compare_json (proto/render_compare.cpp): both transports side by
// side, and the combined verdict beside them.
#include "proto/render_compare.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <sstream>
#include <vector>

using namespace wsp::proto;

namespace {

enum class cmp_errc : std::uint16_t { ok = 0, transports_disagree = 1, stream_reset = 2 };
std::string_view cmp_name(std::uint16_t v) noexcept
{
    return v == 1 ? "transports_disagree" : "stream_reset";
}
wsp::failure_class cmp_class(std::uint16_t) noexcept
{
    return wsp::failure_class::handshake;
}
std::string_view cmp_describe(std::uint16_t) noexcept
{
    return "test";
}
constexpr wsp::error_domain cmp_domain{"test", &cmp_name, &cmp_class, &cmp_describe};
const wsp::error_domain& domain_of(cmp_errc) noexcept
{
    return cmp_domain;
}

check_result run(std::string version, std::uint16_t status)
{
    check_result r;
    r.status = check_status::up;
    r.url = "wss://127.0.0.1:8443/echo";
    r.peer_address = "127.0.0.1:8443";
    r.set_duration(phase::tcp, 120'000);
    r.set_duration(phase::tls, 2'300'000);
    r.set_duration(phase::upgrade, 400'000);
    r.total_ns = 3'000'000;
    r.negotiated.http_version = std::move(version);
    r.negotiated.status = status;
    r.tls = tls_info{};
    r.tls->version = "TLSv1.3";
    r.tls->alpn = r.negotiated.http_version == "h2" ? "h2" : "http/1.1";
    return r;
}

// HTTP/1.1 up, HTTP/2 reset at the upgrade: the case --compare-transports exists for.
compare_result disagreeing()
{
    compare_result r;
    r.http1 = run("http/1.1", 101);
    r.h2 = run("h2", 0);
    r.h2.negotiated.status.reset();
    r.h2.fail(phase::upgrade, cmp_errc::stream_reset, "Server reset the stream with CANCEL (0x8)");
    r.combined.url = r.http1.url;
    r.combined.total_ns = 3'100'000;
    r.combined.fail(phase::upgrade, cmp_errc::transports_disagree,
                    "HTTP/1.1 upgrade works but HTTP/2 extended CONNECT fails: Server reset the stream "
                    "with CANCEL (0x8); browsers that use HTTP/2 will fail");
    r.agreement = transport_agreement::disagree;
    return r;
}

std::vector<std::string> lines(const std::string& text)
{
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);) {
        out.push_back(l);
    }
    return out;
}

const std::string* line_starting(const std::vector<std::string>& ls, std::string_view prefix)
{
    for (const auto& l : ls) {
        if (l.starts_with(prefix)) {
            return &l;
        }
    }
    return nullptr;
}

TEST(render_compare, text_puts_the_transports_in_two_aligned_columns)
{
    const auto text = render_compare_text(disagreeing());
    const auto ls = lines(text);
    ASSERT_GE(ls.size(), 10u) << text;
    EXPECT_EQ(ls[0], "wsprobe check --compare-transports wss://127.0.0.1:8443/echo");
    // The HTTP/2 column starts at the same offset on every row.
    const std::size_t col = ls[1].find("HTTP/2");
    ASSERT_NE(col, std::string::npos) << text;
    EXPECT_NE(ls[1].find("HTTP/1.1"), std::string::npos) << text;
    const auto* status = line_starting(ls, "  status");
    ASSERT_NE(status, nullptr) << text;
    EXPECT_EQ(status->substr(col), "down") << text;
    EXPECT_NE(status->find("up"), std::string::npos);
    const auto* upgrade = line_starting(ls, "  upgrade");
    ASSERT_NE(upgrade, nullptr) << text;
    EXPECT_EQ(upgrade->substr(col), "FAILED (0.4 ms)") << text;
    const auto* code = line_starting(ls, "  code");
    ASSERT_NE(code, nullptr) << text;
    EXPECT_EQ(code->substr(col), "stream_reset") << text;
    const auto* protocol = line_starting(ls, "  protocol");
    ASSERT_NE(protocol, nullptr) << text;
    EXPECT_NE(protocol->find("http/1.1 101"), std::string::npos) << text;
    EXPECT_EQ(protocol->substr(col), "h2") << text;
    const auto* tls = line_starting(ls, "  tls/alpn");
    ASSERT_NE(tls, nullptr) << text;
    EXPECT_EQ(tls->substr(col), "TLSv1.3, ALPN h2") << text;
    // Phases neither run reached are left out.
    EXPECT_EQ(line_starting(ls, "  rtt"), nullptr) << text;
    EXPECT_EQ(line_starting(ls, "  dns"), nullptr) << text;
}

TEST(render_compare, text_gives_each_sentence_and_the_combined_verdict)
{
    const auto ls = lines(render_compare_text(disagreeing()));
    const auto* h2 = line_starting(ls, "  HTTP/2    ");
    ASSERT_NE(h2, nullptr);
    EXPECT_EQ(*h2, "  HTTP/2    Server reset the stream with CANCEL (0x8)");
    EXPECT_EQ(line_starting(ls, "  HTTP/1.1  "), nullptr) << "an up run has no sentence to show";
    EXPECT_EQ(ls.back(),
              "DOWN at upgrade: HTTP/1.1 upgrade works but HTTP/2 extended CONNECT fails: Server reset "
              "the stream with CANCEL (0x8); browsers that use HTTP/2 will fail [transports_disagree]");
}

TEST(render_compare, text_for_two_working_runs_says_both_and_keeps_warnings)
{
    compare_result r;
    r.http1 = run("http/1.1", 101);
    r.h2 = run("h2", 200);
    r.combined.url = r.http1.url;
    r.combined.status = check_status::degraded;
    r.combined.total_ns = 3'100'000;
    r.combined.warnings = {"HTTP/2: Round trip took 300 ms (degraded above 200 ms)"};
    const auto text = render_compare_text(r);
    EXPECT_NE(text.find("\nDEGRADED in 3.1 ms over HTTP/1.1 and HTTP/2\n"), std::string::npos) << text;
    EXPECT_NE(text.find("\n  warning: HTTP/2: Round trip took 300 ms (degraded above 200 ms)\n"),
              std::string::npos)
        << text;

    r.agreement = transport_agreement::h2_not_offered;
    r.combined.status = check_status::up;
    EXPECT_NE(render_compare_text(r).find("UP in 3.1 ms over HTTP/1.1 (HTTP/2 not offered)"),
              std::string::npos);
    EXPECT_NE(render_compare_text(r, {true}).find("\x1b[32mUP\x1b[0m"), std::string::npos);
}

TEST(render_compare, h2c_column_is_named_so)
{
    compare_result r = disagreeing();
    r.h2.url = "ws://127.0.0.1:8080/echo";
    EXPECT_NE(render_compare_text(r).find("HTTP/2 (h2c)"), std::string::npos);
}

TEST(render_compare, json_carries_the_combined_verdict_and_both_results)
{
    const auto json = render_compare_json(disagreeing());
    ASSERT_EQ(json.back(), '\n');
    EXPECT_EQ(json.find('\n'), json.size() - 1) << "one line";
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    ASSERT_EQ(parser.parse(json).get(doc), simdjson::SUCCESS) << json;
    std::string_view s;
    ASSERT_EQ(doc["status"].get(s), simdjson::SUCCESS);
    EXPECT_EQ(s, "down");
    ASSERT_EQ(doc["code"].get(s), simdjson::SUCCESS);
    EXPECT_EQ(s, "transports_disagree");
    ASSERT_EQ(doc["failed_phase"].get(s), simdjson::SUCCESS);
    EXPECT_EQ(s, "upgrade");
    ASSERT_EQ(doc["class"].get(s), simdjson::SUCCESS);
    EXPECT_EQ(s, "handshake");
    ASSERT_EQ(doc["agreement"].get(s), simdjson::SUCCESS);
    EXPECT_EQ(s, "disagree");
    ASSERT_EQ(doc["message"].get(s), simdjson::SUCCESS);
    EXPECT_TRUE(s.starts_with("HTTP/1.1 upgrade works but HTTP/2"));
    double total = 0;
    ASSERT_EQ(doc["total_ms"].get(total), simdjson::SUCCESS);
    EXPECT_DOUBLE_EQ(total, 3.1);

    ASSERT_EQ(doc["transports"]["http1"]["status"].get(s), simdjson::SUCCESS);
    EXPECT_EQ(s, "up");
    ASSERT_EQ(doc["transports"]["http1"]["negotiated"]["http_version"].get(s), simdjson::SUCCESS);
    EXPECT_EQ(s, "http/1.1");
    ASSERT_EQ(doc["transports"]["h2"]["status"].get(s), simdjson::SUCCESS);
    EXPECT_EQ(s, "down");
    ASSERT_EQ(doc["transports"]["h2"]["code"].get(s), simdjson::SUCCESS);
    EXPECT_EQ(s, "stream_reset");
    ASSERT_EQ(doc["transports"]["h2"]["tls"]["alpn"].get(s), simdjson::SUCCESS);
    EXPECT_EQ(s, "h2");
    // Each transport is exactly what `wsprobe check --json` prints for it.
    EXPECT_NE(json.find(render_json(disagreeing().h2).substr(0, render_json(disagreeing().h2).size() - 1)),
              std::string::npos);
}

} // namespace
