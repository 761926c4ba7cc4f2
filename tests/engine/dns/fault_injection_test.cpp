// Fault injection for engine/dns/resolver.cpp: c-ares allocation number N fails, for N = 0, 1, ...,
// until a whole create + lookup runs without reaching N. Every run must end in exactly one outcome
// (or a create error), never crash, and leak nothing (LeakSanitizer checks at exit in debug builds).
#include "engine/dns/resolver.h"

#include <gtest/gtest.h>

#include <ares.h>

#include <cstdlib>

#include "tests/engine/dns/fake_dns_server.h"
#include "tests/engine/dns/poll_driver.h"

namespace wsp::dns {
namespace {

// Allocations left before the failing one; negative means never fail.
long countdown = -1;
bool failed = false;

bool should_fail() noexcept
{
    if (countdown < 0) {
        return false;
    }
    if (countdown-- == 0) {
        failed = true;
        return true;
    }
    return false;
}

void* failing_malloc(std::size_t n) noexcept { return should_fail() ? nullptr : std::malloc(n); }
void* failing_realloc(void* p, std::size_t n) noexcept { return should_fail() ? nullptr : std::realloc(p, n); }
void forwarding_free(void* p) noexcept { std::free(p); }

TEST(resolver_fault_injection, every_failed_allocation_ends_in_one_clean_outcome)
{
    // The hooks forward to malloc/free while disarmed, so installing them for the whole process is
    // harmless to other tests.
    ASSERT_EQ(::ares_library_init_mem(ARES_LIB_INIT_ALL, &failing_malloc, &forwarding_free, &failing_realloc),
              ARES_SUCCESS);
    test::fake_dns_server server({{"known.wsprobe.test", test::reply::answer, {"192.0.2.10"}, {"2001:db8::10"}}});
    resolver_options o;
    o.servers = {server.endpoint()};
    o.lookup_timeout_ns = 300'000'000;
    o.attempt_timeout_ns = 100'000'000;

    std::size_t out_of_memory = 0;
    std::size_t succeeded = 0;
    constexpr long max_steps = 400;
    long n = 0;
    for (; n < max_steps; ++n) {
        failed = false;
        test::recorder rec;
        countdown = n;
        {
            auto r = resolver::create(o);
            if (!r) {
                countdown = -1;
                EXPECT_TRUE(r.error().is(errc::out_of_memory) || r.error().is(errc::init_failed) ||
                            r.error().is(errc::bad_server))
                    << n << " " << r.error().name();
                continue;
            }
            auto id = r->start("known.wsprobe.test", address_family::any, rec, test::monotonic_ns());
            ASSERT_TRUE(id) << n;
            EXPECT_TRUE(test::drive(*r, [&] { return !rec.outcomes.empty(); }, std::chrono::milliseconds(3000)))
                << n;
        }
        countdown = -1;
        ASSERT_EQ(rec.outcomes.size(), 1U) << n;
        const auto& out = rec.outcomes[0];
        if (!out.failure) {
            ++succeeded;
            // With records dropped by a failed allocation a partial answer is possible; what is
            // delivered must still be right.
            for (const auto& t : out.texts()) {
                EXPECT_TRUE(t == "192.0.2.10" || t == "2001:db8::10") << n << " " << t;
            }
        } else {
            out_of_memory += out.failure.is(errc::out_of_memory) ? 1 : 0;
            EXPECT_TRUE(out.failure.is(errc::out_of_memory) || out.failure.is(errc::timeout) ||
                        out.failure.is(errc::bad_response) || out.failure.is(errc::connection_refused) ||
                        out.failure.is(errc::not_found))
                << n << " " << out.failure.name();
        }
        if (!failed) {
            break;
        }
    }
    RecordProperty("steps", static_cast<int>(n));
    RecordProperty("out_of_memory", static_cast<int>(out_of_memory));
    EXPECT_LT(n, max_steps) << "allocation count did not converge";
    EXPECT_GT(out_of_memory, 0U);
    EXPECT_GT(succeeded, 0U);
}

} // namespace
} // namespace wsp::dns
