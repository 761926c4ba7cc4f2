// The echo steady state allocates nothing: after warm-up, messages, pings and their replies reuse
// pooled buffers and pooled coroutine frames. Counts every global operator new in the process
// while the exchange runs (the test thread's own buffers are prepared beforehand).
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "lab_test_client.h"

namespace {
std::atomic<std::uint64_t> allocations{0};
} // namespace

// The replacement is compiled only without AddressSanitizer (the test skips there anyway):
// replacing some forms of operator new/delete but not others (nothrow, aligned) would make
// ASan report alloc-dealloc mismatches in every other test linked into this binary.
#if !defined(__SANITIZE_ADDRESS__)
void* operator new(std::size_t n)
{
    allocations.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(n == 0 ? 1 : n)) {
        return p;
    }
    throw std::bad_alloc();
}
void* operator new[](std::size_t n)
{
    return ::operator new(n);
}
void operator delete(void* p) noexcept
{
    std::free(p);
}
void operator delete[](void* p) noexcept
{
    std::free(p);
}
void operator delete(void* p, std::size_t) noexcept
{
    std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept
{
    std::free(p);
}
#endif


namespace wsp::lab::test {
namespace {

using lab_alloc = lab_fixture;

TEST_F(lab_alloc, echo_steady_state_allocates_nothing)
{
#if defined(__SANITIZE_ADDRESS__)
    GTEST_SKIP() << "under ASan the frame pool hands every coroutine frame to operator new";
#endif
    auto [c, head] = request("/echo");
    ASSERT_EQ(status_of(head), 101);
    const std::string text = client_frame(0x1, std::string(300, 't'));
    const std::string binary = client_frame(0x2, std::string(5000, 'b'));
    const std::string ping = client_frame(0x9, "p");
    const auto round = [&] {
        bool ok = c->send(text) && c->send(binary) && c->send(ping);
        for (int i = 0; i < 3 && ok; ++i) {
            ok = c->read_frame().has_value();
        }
        return ok;
    };
    for (int i = 0; i < 20; ++i) { // warm-up: pools and the client's own buffer reach their size
        ASSERT_TRUE(round());
    }
    const std::uint64_t before = allocations.load();
    for (int i = 0; i < 200; ++i) {
        ASSERT_TRUE(round());
    }
    // read_frame builds each payload std::string: that allocation is the client's (payloads above
    // the SSO size: the 300 and 5000 byte echoes), two per round.
    const std::uint64_t client_side = 2 * 200;
    EXPECT_EQ(allocations.load() - before, client_side);
}

} // namespace
} // namespace wsp::lab::test
