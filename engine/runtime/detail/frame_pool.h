// Per-thread free lists for coroutine frames, so steady-state task creation does not reach the
// global heap after warm-up.
#pragma once

#include <cstddef>

namespace wsp::rt::detail {

// Returns storage for a coroutine frame of `size` bytes. Frames up to 4 KiB come from the calling
// thread's size-class free list (filled from ::operator new on a miss); larger ones go straight to
// ::operator new. Throws std::bad_alloc like operator new. Under AddressSanitizer the pool is
// bypassed so use-after-free on frames is still caught.
[[nodiscard]] void* frame_allocate(std::size_t size);

// Returns a frame obtained from frame_allocate with the same size. May be called on a different
// thread than the allocation: the block joins the freeing thread's list.
void frame_deallocate(void* p, std::size_t size) noexcept;

// Number of blocks the calling thread's pool obtained from ::operator new so far (tests, benches).
[[nodiscard]] std::size_t frame_pool_misses() noexcept;

} // namespace wsp::rt::detail
