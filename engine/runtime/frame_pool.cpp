// Size-class free lists for coroutine frames (one set per thread).
#include "engine/runtime/detail/frame_pool.h"

#include <array>
#include <new>

#if defined(__SANITIZE_ADDRESS__)
#define WSP_RT_POOL_BYPASS 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WSP_RT_POOL_BYPASS 1
#endif
#endif

namespace wsp::rt::detail {
namespace {

constexpr std::size_t granule = 64;
constexpr std::size_t class_count = 64; // up to 4 KiB
// Cap per class so a burst (200k frames) does not pin memory forever; beyond it blocks go back
// to the global heap.
constexpr std::size_t max_cached = 1U << 16;

struct free_block {
    free_block* next;
};

struct pool {
    std::array<free_block*, class_count> heads{};
    std::array<std::size_t, class_count> counts{};
    std::size_t misses = 0;

    pool() = default;
    pool(const pool&) = delete;
    pool& operator=(const pool&) = delete;
    ~pool()
    {
        for (free_block* head : heads) {
            while (head != nullptr) {
                free_block* next = head->next;
                ::operator delete(head);
                head = next;
            }
        }
    }
};

[[maybe_unused]] thread_local pool tls_pool;

[[maybe_unused]] std::size_t class_of(std::size_t size) noexcept { return (size + granule - 1) / granule - 1; }

} // namespace

void* frame_allocate(std::size_t size)
{
#ifdef WSP_RT_POOL_BYPASS
    return ::operator new(size);
#else
    const std::size_t c = class_of(size);
    if (c >= class_count) {
        return ::operator new(size);
    }
    pool& p = tls_pool;
    if (free_block* b = p.heads[c]) {
        p.heads[c] = b->next;
        --p.counts[c];
        return b;
    }
    ++p.misses;
    return ::operator new((c + 1) * granule);
#endif
}

void frame_deallocate(void* ptr, std::size_t size) noexcept
{
#ifdef WSP_RT_POOL_BYPASS
    (void)size;
    ::operator delete(ptr);
#else
    const std::size_t c = class_of(size);
    if (c >= class_count) {
        ::operator delete(ptr);
        return;
    }
    pool& p = tls_pool;
    if (p.counts[c] >= max_cached) {
        ::operator delete(ptr);
        return;
    }
    auto* b = static_cast<free_block*>(ptr);
    b->next = p.heads[c];
    p.heads[c] = b;
    ++p.counts[c];
#endif
}

std::size_t frame_pool_misses() noexcept { return tls_pool.misses; }

} // namespace wsp::rt::detail
