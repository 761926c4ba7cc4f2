// The webhook's sans-I/O parts (http:// URL parsing, the POST request bytes, the status line) and
// the sender's bookkeeping: the SSRF guard, the bounded queue and failures after the last attempt.
#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "engine/fleet/webhook.h"
#include "tests/integration/net_util.h"

namespace {

using wsp::fleet::format_webhook_request;
using wsp::fleet::parse_webhook_status;
using wsp::fleet::parse_webhook_url;

TEST(webhook_url, parses_ipv4_ipv6_ports_paths_and_queries)
{
    auto u = parse_webhook_url("http://127.0.0.1:8080/hooks/wsprobe?x=1");
    ASSERT_TRUE(u);
    EXPECT_EQ(u->host, "127.0.0.1");
    EXPECT_EQ(u->port, 8080);
    EXPECT_EQ(u->target, "/hooks/wsprobe?x=1");
    EXPECT_EQ(u->authority, "127.0.0.1:8080");

    u = parse_webhook_url("http://10.0.0.1");
    ASSERT_TRUE(u);
    EXPECT_EQ(u->port, 80);
    EXPECT_EQ(u->target, "/");

    u = parse_webhook_url("http://[::1]:9000/h");
    ASSERT_TRUE(u);
    EXPECT_EQ(u->host, "::1");
    EXPECT_EQ(u->port, 9000);
    EXPECT_EQ(u->authority, "[::1]:9000");

    u = parse_webhook_url("http://127.0.0.1?q");
    ASSERT_TRUE(u);
    EXPECT_EQ(u->target, "/?q");
}

TEST(webhook_url, refuses_other_schemes_names_user_info_bad_ports_and_fragments)
{
    for (const char* bad :
         {"https://127.0.0.1/", "ws://127.0.0.1/", "http://", "http://example.com/", "http://u:p@127.0.0.1/",
          "http://127.0.0.1:/", "http://127.0.0.1:0/", "http://127.0.0.1:65536/", "http://127.0.0.1:8x/",
          "http://[::1/", "http://[::1]x/", "http://127.0.0.1/a b", "http://127.0.0.1/a#frag",
          "http://127.0.0.1/\x7f"}) {
        std::string why;
        EXPECT_FALSE(parse_webhook_url(bad, &why)) << bad;
        EXPECT_FALSE(why.empty()) << bad;
    }
}

TEST(webhook_request, is_a_post_with_json_content_type_length_and_body)
{
    const auto u = parse_webhook_url("http://127.0.0.1:8080/hook");
    ASSERT_TRUE(u);
    const std::string body = R"({"event":"state_change"})";
    EXPECT_EQ(format_webhook_request(*u, body),
              "POST /hook HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: wsprobe\r\n"
              "Content-Type: application/json\r\nContent-Length: 24\r\nConnection: close\r\n\r\n" +
                  body);
}

TEST(webhook_status, reads_the_code_waits_for_more_and_refuses_garbage)
{
    EXPECT_EQ(parse_webhook_status("HTTP/1.1 204 No Content\r\n"), 204);
    EXPECT_EQ(parse_webhook_status("HTTP/1.0 500 "), 500);
    EXPECT_EQ(parse_webhook_status(""), 0);
    EXPECT_EQ(parse_webhook_status("HTTP/1"), 0);
    EXPECT_EQ(parse_webhook_status("HTTP/1.1 20"), 0);
    EXPECT_EQ(parse_webhook_status("HTTP/2 200 "), -1);
    EXPECT_EQ(parse_webhook_status("SSH-2.0-x"), -1);
    EXPECT_EQ(parse_webhook_status("HTTP/1.1 2x0 OK"), -1);
    EXPECT_EQ(parse_webhook_status("HTTP/1.1 099 OK"), -1);
    EXPECT_EQ(parse_webhook_status("HTTP/1.1  200 OK"), -1);
}

TEST(webhook_sender, the_ssrf_policy_judges_the_receiver_address)
{
    const auto u = parse_webhook_url("http://127.0.0.1:9/h");
    ASSERT_TRUE(u);
    wsp::fleet::ssrf_policy deny;
    deny.deny_private = true;
    std::string why;
    EXPECT_EQ(wsp::fleet::webhook_sender::start(*u, {}, true, deny, &why), nullptr);
    EXPECT_NE(why.find("127.0.0.1"), std::string::npos) << why;
    const auto meta = parse_webhook_url("http://169.254.169.254/h");
    ASSERT_TRUE(meta);
    why.clear();
    EXPECT_EQ(wsp::fleet::webhook_sender::start(*meta, {}, true, {}, &why), nullptr);
    EXPECT_FALSE(why.empty());
}

TEST(webhook_sender, drops_beyond_the_queue_bound_and_counts_unreachable_receivers_as_failed)
{
    // A loopback port with nobody listening: every attempt is refused.
    const wsp::test::refusing_port nobody;
    ASSERT_NE(nobody.port(), 0);
    const auto u = parse_webhook_url("http://127.0.0.1:" + std::to_string(nobody.port()) + "/h");
    ASSERT_TRUE(u);
    wsp::fleet::webhook_options o;
    o.max_pending = 1;
    o.backoff = {std::chrono::milliseconds(5), std::chrono::milliseconds(5)};
    o.attempt_timeout = std::chrono::milliseconds(2000);
    o.drain_limit = std::chrono::milliseconds(5000);
    std::string why;
    auto s = wsp::fleet::webhook_sender::start(*u, o, true, {}, &why);
    if (!s) {
        GTEST_SKIP() << "io_uring unavailable: " << why;
    }
    std::size_t accepted = 0;
    for (int i = 0; i < 20; ++i) {
        accepted += s->enqueue(R"({"event":"state_change"})") ? 1 : 0;
    }
    s->stop();
    EXPECT_FALSE(s->enqueue("{}")) << "nothing is queued after stop";
    const auto c = s->counters();
    EXPECT_GE(c.dropped, 1u);
    EXPECT_EQ(c.dropped, 20u - accepted + 1u);
    EXPECT_EQ(c.delivered, 0u);
    EXPECT_EQ(c.failed, accepted);
    EXPECT_EQ(c.retries, 2u * accepted);
}

} // namespace
