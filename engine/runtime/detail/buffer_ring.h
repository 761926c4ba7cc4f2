// The reactor's provided-buffer ring (IORING_REGISTER_PBUF_RING): the kernel picks a buffer when
// data arrives, so an idle connection holds no receive buffer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "proto/error.h"

struct io_uring;
struct io_uring_buf_ring;

namespace wsp::rt::detail {

// Something waiting for buffers to come back after -ENOBUFS (a recv stream).
struct buffer_waiter {
    buffer_waiter* next_waiter_ = nullptr;
    void (*buffers_available_)(buffer_waiter* self) noexcept = nullptr;
    bool waiting_ = false;
};

// Owned by one reactor, used only on its thread. Memory: `count` x `size` bytes of buffers and
// 16 bytes of ring entry plus 16 bytes of metadata per buffer, all allocated at registration.
class buffer_ring {
public:
    static constexpr std::uint16_t no_buffer = 0xFFFF;

    buffer_ring() = default;
    buffer_ring(const buffer_ring&) = delete;
    buffer_ring& operator=(const buffer_ring&) = delete;
    ~buffer_ring();

    // mmaps ring and buffer memory and registers the ring as buffer group `group`.
    // `count` must be a power of two <= 32768.
    [[nodiscard]] wsp::expected<void> init(io_uring* ring, unsigned count, unsigned size, std::uint16_t group);
    // Unregisters (the ring must still be alive) and unmaps.
    void destroy() noexcept;

    [[nodiscard]] bool registered() const noexcept { return ring_ != nullptr; }
    [[nodiscard]] std::uint16_t group() const noexcept { return group_; }
    [[nodiscard]] unsigned count() const noexcept { return count_; }
    [[nodiscard]] unsigned buffer_size() const noexcept { return size_; }

    // The kernel filled buffer `bid` with `len` bytes (CQE with IORING_CQE_F_BUFFER).
    void taken(std::uint16_t bid, std::uint32_t len, std::int64_t stamp) noexcept
    {
        meta_[bid] = meta{len, no_buffer, stamp};
        ++held_;
    }
    [[nodiscard]] std::span<const std::byte> view(std::uint16_t bid) const noexcept
    {
        return {base_ + static_cast<std::size_t>(bid) * size_, meta_[bid].len};
    }
    [[nodiscard]] std::int64_t stamp(std::uint16_t bid) const noexcept { return meta_[bid].stamp; }
    // Per-buffer link used by recv streams to queue filled buffers without allocating.
    [[nodiscard]] std::uint16_t next(std::uint16_t bid) const noexcept { return meta_[bid].next; }
    void set_next(std::uint16_t bid, std::uint16_t nxt) noexcept { meta_[bid].next = nxt; }

    // Returns `bid` to the kernel (no syscall: a store to the shared ring tail) and wakes one
    // waiter parked on -ENOBUFS.
    void give_back(std::uint16_t bid) noexcept;
    // Buffers currently held by user space (queued in streams or leased to consumers).
    [[nodiscard]] unsigned held() const noexcept { return held_; }

    // How many times a receive found the ring empty (-ENOBUFS) and parked.
    [[nodiscard]] std::uint64_t exhaustions() const noexcept { return exhaustions_; }

    // Parks `w` until a buffer is returned; woken in FIFO order.
    void wait_for_buffers(buffer_waiter& w) noexcept;
    void cancel_wait(buffer_waiter& w) noexcept;
    // Wakes parked waiters while buffers are believed to be in the ring (after a reap batch).
    void wake_waiters() noexcept;

private:
    struct meta {
        std::uint32_t len;
        std::uint16_t next;
        std::int64_t stamp;
    };
    void add(std::uint16_t bid) noexcept;

    io_uring* ring_ = nullptr;
    io_uring_buf_ring* br_ = nullptr;
    std::byte* base_ = nullptr;
    std::size_t ring_bytes_ = 0;
    std::size_t data_bytes_ = 0;
    unsigned count_ = 0;
    unsigned size_ = 0;
    unsigned held_ = 0;
    std::uint64_t exhaustions_ = 0;
    std::uint16_t group_ = 0;
    std::vector<meta> meta_;
    buffer_waiter* wait_head_ = nullptr;
    buffer_waiter* wait_tail_ = nullptr;
};

} // namespace wsp::rt::detail
