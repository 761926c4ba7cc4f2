// The lab at the size of its descriptor tables (tools/lab/server.cpp): a shard stops accepting
// short of its ring's table, so no connection is taken off the listen queue only to be closed by
// a failed slot allocation (-ENFILE); the other reactors take the connections, and a full shard
// resumes once connections end.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "lab_test_client.h"

namespace wsp::lab::test {
namespace {

std::unique_ptr<server> start_small(unsigned threads, unsigned table, std::string* why)
{
    server_config cfg;
    cfg.threads = threads;
    cfg.reactor.fd_table_size = table;
    auto s = server::start(cfg, why);
    if (!s) {
        if (s.error() != rt::errc::io_uring_unavailable) {
            ADD_FAILURE() << *why;
        }
        return nullptr;
    }
    return std::move(*s);
}

TEST(lab_capacity, shards_fill_without_losing_a_connection)
{
    std::string why;
    // 128 slots per ring: each shard accepts 64 (the rest is its burst reserve), 128 in all.
    auto s = start_small(2, 128, &why);
    if (!s) {
        GTEST_SKIP() << "io_uring unavailable: " << why;
    }
    const std::uint16_t p = s->local_addresses().front().port();
    constexpr int n = 120;
    std::vector<client> clients;
    clients.reserve(n);
    for (int i = 0; i < n; ++i) {
        clients.emplace_back(p);
        ASSERT_TRUE(clients.back().connected()) << i;
        ASSERT_TRUE(clients.back().send(upgrade_request("/echo")));
        ASSERT_EQ(status_of(clients.back().read_head().value_or("")), 101) << i;
    }
    const server_stats st = s->stats();
    EXPECT_EQ(st.upgraded, static_cast<std::uint64_t>(n));
    EXPECT_EQ(st.active, static_cast<std::uint64_t>(n));
    EXPECT_EQ(st.accept_errors, 0U);
    s->stop();
}

TEST(lab_capacity, a_full_shard_leaves_connections_queued_and_resumes_when_some_end)
{
    std::string why;
    auto s = start_small(1, 128, &why);
    if (!s) {
        GTEST_SKIP() << "io_uring unavailable: " << why;
    }
    const std::uint16_t p = s->local_addresses().front().port();
    constexpr int limit = 64;
    constexpr int extra = 8;
    std::vector<client> served;
    served.reserve(limit);
    for (int i = 0; i < limit; ++i) {
        served.emplace_back(p);
        ASSERT_TRUE(served.back().send(upgrade_request("/echo")));
        ASSERT_EQ(status_of(served.back().read_head().value_or("")), 101) << i;
    }
    // Past the limit the kernel completes the TCP handshake (listen backlog) but the lab does not
    // accept: no answer, and no reset either.
    std::vector<client> waiting;
    waiting.reserve(extra);
    for (int i = 0; i < extra; ++i) {
        waiting.emplace_back(p, 300);
        ASSERT_TRUE(waiting.back().connected()) << i;
        ASSERT_TRUE(waiting.back().send(upgrade_request("/echo")));
    }
    EXPECT_FALSE(waiting.front().read_head().has_value());
    EXPECT_EQ(s->stats().active, static_cast<std::uint64_t>(limit));
    // Ending some served connections makes room: every waiting one is then upgraded.
    for (int i = 0; i < extra; ++i) {
        ::shutdown(served[i].fd(), SHUT_RDWR);
    }
    for (int i = 0; i < extra; ++i) {
        waiting[i].set_timeout(5000);
        EXPECT_EQ(status_of(waiting[i].read_head().value_or("")), 101) << i;
    }
    const server_stats st = s->stats();
    EXPECT_EQ(st.upgraded, static_cast<std::uint64_t>(limit + extra));
    EXPECT_EQ(st.accept_errors, 0U);
    s->stop();
}

} // namespace
} // namespace wsp::lab::test
