// recv_chunk::take_lease (engine/runtime/recv_stream.h): a consumer that keeps only the buffer's
// ownership (16 bytes) still reads the bytes, and the buffer goes back to the ring exactly when
// the lease is released, moved-from leases owning nothing.
#include <gtest/gtest.h>

#include <string>

#include "engine/runtime/detail/buffer_ring.h"
#include "engine/runtime/recv_stream.h"
#include "rt_test_support.h"

namespace wsp::rt {
namespace {

using namespace std::chrono_literals;

static_assert(sizeof(recv_lease) <= 16, "a lease is what an idle held connection keeps per chunk");

struct lease_result {
    std::string got;
    unsigned held_with_lease = 0;
    unsigned held_after_move = 0;
    unsigned held_after_release = 0;
    bool chunk_empty_after_take = false;
    bool moved_from_holds = true;
    bool eof_lease_holds = true;
};

task<void> lease_one_chunk(reactor& r, const listener* l, lease_result* out)
{
    auto pair = co_await test::connect_pair(r, l);
    if (!pair) {
        co_return;
    }
    recv_stream rs(r, pair->client);
    static constexpr char msg[] = "lease";
    (void)co_await send_all_op(r, pair->server, std::as_bytes(std::span(msg, 5)));
    recv_chunk c = co_await rs.next(deadline::after(2s));
    const auto bytes = c.bytes();
    recv_lease lease = c.take_lease();
    out->chunk_empty_after_take = c.bytes().empty();
    c = recv_chunk{}; // the chunk no longer owns the buffer: this must not return it
    out->held_with_lease = r.buffers().held();
    out->got.assign(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    recv_lease moved = std::move(lease);
    out->moved_from_holds = lease.holds();
    out->held_after_move = r.buffers().held();
    moved.release();
    moved.release(); // idempotent
    out->held_after_release = r.buffers().held();
    (void)co_await shutdown_op(r, pair->server, SHUT_WR);
    recv_chunk end = co_await rs.next(deadline::after(2s));
    out->eof_lease_holds = end.take_lease().holds();
    co_await rs.stop();
    co_await test::close_pair(r, *pair);
}

TEST(recv_lease, keeps_the_buffer_until_released)
{
    WSP_RT_REACTOR(r);
    auto l = listener::open(address::loopback_v4(0));
    ASSERT_TRUE(l);
    lease_result out;
    sync_wait(r, lease_one_chunk(r, &*l, &out));
    EXPECT_EQ(out.got, "lease");
    EXPECT_TRUE(out.chunk_empty_after_take);
    EXPECT_EQ(out.held_with_lease, 1U);
    EXPECT_FALSE(out.moved_from_holds);
    EXPECT_EQ(out.held_after_move, 1U);
    EXPECT_EQ(out.held_after_release, 0U);
    EXPECT_FALSE(out.eof_lease_holds);
    EXPECT_EQ(r.buffers().held(), 0U);
}

} // namespace
} // namespace wsp::rt
