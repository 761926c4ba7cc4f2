// tls/session_cache.cpp: opt-in resumption (RFC 8446 §2.2) reported by the second handshake.
#include "tls/session_cache.h"

#include <gtest/gtest.h>

#include "tests/tls/tls_fixture.h"

namespace wsp::tls::test {
namespace {

// After the handshake the TLS 1.3 tickets are still in flight: read_plain consumes them.
void settle(connected& c)
{
    std::vector<std::byte> buf(64);
    auto r = c.client.read_plain(buf);
    ASSERT_TRUE(r) << c.client.failure_text();
    EXPECT_EQ(r->state, status::want_input);
    EXPECT_EQ(r->bytes, 0u);
}

void resumes_with(std::optional<tls_version> max)
{
    auto sb = server_builder(pki::get().valid);
    if (max) {
        sb.max_version(*max);
    }
    const auto sctx = must_build(std::move(sb));
    const auto cctx = must_build(client_builder());
    session_cache cache;
    auto first = connect(cctx, sctx, "localhost", &cache);
    ASSERT_TRUE(first.result.client) << first.client.failure_text();
    settle(first);
    EXPECT_FALSE(first.client.facts().resumed);
    EXPECT_EQ(cache.size(), 1u);
    EXPECT_NE(cache.find("localhost"), nullptr);

    auto second = connect(cctx, sctx, "localhost", &cache);
    ASSERT_TRUE(second.result.client) << second.client.failure_text();
    EXPECT_TRUE(second.client.resumed());
    const tls_facts f = second.client.facts();
    EXPECT_TRUE(f.resumed);
    EXPECT_EQ(f.leaf_subject, "CN=localhost"); // the peer certificate travels with the session
    EXPECT_EQ(f.leaf_not_after, pki::get().valid_not_after);
    EXPECT_EQ(f.verify_code, 0);

    // Without the cache nothing is reused.
    auto third = connect(cctx, sctx, "localhost");
    ASSERT_TRUE(third.result.client);
    EXPECT_FALSE(third.client.resumed());
    // A different key is a different target.
    auto other = session::client(cctx, "localhost", &cache, "localhost:8443").value();
    auto srv = session::server(sctx).value();
    ASSERT_TRUE(pump_handshake(other, srv).client);
    EXPECT_FALSE(other.resumed());
}

TEST(session_cache, second_handshake_is_resumed_tls13) { resumes_with(std::nullopt); }
TEST(session_cache, second_handshake_is_resumed_tls12) { resumes_with(tls_version::tls1_2); }

TEST(session_cache, dropped_healthy_session_stays_resumable_failed_one_is_discarded)
{
    const auto sctx = must_build(server_builder(pki::get().valid));
    const auto cctx = must_build(client_builder());
    session_cache cache;
    {
        auto first = connect(cctx, sctx, "localhost", &cache);
        ASSERT_TRUE(first.result.client);
        settle(first);
    } // destroyed without close_notify
    {
        auto second = connect(cctx, sctx, "localhost", &cache);
        ASSERT_TRUE(second.result.client);
        EXPECT_TRUE(second.client.resumed());
        settle(second);
        second.client.feed_eof(); // the connection then fails: truncated
        std::vector<std::byte> buf(16);
        ASSERT_EQ(second.client.read_plain(buf).error(), errc::truncated);
    }
    ASSERT_EQ(cache.size(), 1u);
    EXPECT_EQ(SSL_SESSION_is_resumable(cache.find("localhost")), 0);
    auto third = connect(cctx, sctx, "localhost", &cache);
    ASSERT_TRUE(third.result.client);
    EXPECT_FALSE(third.client.resumed());
}

TEST(session_cache, evicts_oldest_and_replaces_by_key)
{
    session_cache cache(2);
    SSL_SESSION* a = SSL_SESSION_new();
    SSL_SESSION* b = SSL_SESSION_new();
    SSL_SESSION* c = SSL_SESSION_new();
    SSL_SESSION* a2 = SSL_SESSION_new();
    cache.put("a", a);
    cache.put("b", b);
    cache.put("a", a2); // replaces a, now newest
    EXPECT_EQ(cache.find("a"), a2);
    cache.put("c", c); // evicts b, the oldest
    EXPECT_EQ(cache.size(), 2u);
    EXPECT_EQ(cache.find("b"), nullptr);
    EXPECT_EQ(cache.find("c"), c);
    session_cache moved(std::move(cache));
    EXPECT_EQ(moved.find("a"), a2);
    moved.erase("a");
    EXPECT_EQ(moved.size(), 1u);
    moved.clear();
    EXPECT_EQ(moved.size(), 0u);
}

} // namespace
} // namespace wsp::tls::test
