// Provided-buffer ring registration and recycling (io_uring_register_buf_ring, liburing 2.3 has
// no io_uring_setup_buf_ring, so the memory is mmapped here).
#include "engine/runtime/detail/buffer_ring.h"

#include <liburing.h>
#include <sys/mman.h>

#include <cerrno>

#include "engine/runtime/errc.h"

namespace wsp::rt::detail {

buffer_ring::~buffer_ring() { destroy(); }

wsp::expected<void> buffer_ring::init(io_uring* ring, unsigned count, unsigned size, std::uint16_t group)
{
    if (count == 0 || count > 32768 || (count & (count - 1)) != 0 || size == 0) {
        return wsp::fail(errc::invalid_argument);
    }
    ring_bytes_ = count * sizeof(io_uring_buf);
    data_bytes_ = static_cast<std::size_t>(count) * size;
    void* r = ::mmap(nullptr, ring_bytes_, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
    if (r == MAP_FAILED) {
        return wsp::fail(errc::out_of_memory);
    }
    void* d = ::mmap(nullptr, data_bytes_, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
    if (d == MAP_FAILED) {
        ::munmap(r, ring_bytes_);
        return wsp::fail(errc::out_of_memory);
    }
    br_ = static_cast<io_uring_buf_ring*>(r);
    base_ = static_cast<std::byte*>(d);
    io_uring_buf_ring_init(br_);

    io_uring_buf_reg reg{};
    reg.ring_addr = reinterpret_cast<std::uintptr_t>(br_);
    reg.ring_entries = count;
    reg.bgid = group;
    const int rc = io_uring_register_buf_ring(ring, &reg, 0);
    if (rc < 0) {
        ::munmap(r, ring_bytes_);
        ::munmap(d, data_bytes_);
        br_ = nullptr;
        base_ = nullptr;
        return wsp::fail(rc == -EINVAL ? errc::missing_opcode : errc::setup_failed);
    }
    ring_ = ring;
    count_ = count;
    size_ = size;
    group_ = group;
    meta_.assign(count, meta{0, no_buffer, 0});
    const int mask = io_uring_buf_ring_mask(count);
    for (unsigned bid = 0; bid < count; ++bid) {
        io_uring_buf_ring_add(br_, base_ + static_cast<std::size_t>(bid) * size, size,
                              static_cast<unsigned short>(bid), mask, static_cast<int>(bid));
    }
    io_uring_buf_ring_advance(br_, static_cast<int>(count));
    return {};
}

void buffer_ring::destroy() noexcept
{
    if (ring_ != nullptr) {
        (void)io_uring_unregister_buf_ring(ring_, group_);
        ring_ = nullptr;
    }
    if (br_ != nullptr) {
        ::munmap(br_, ring_bytes_);
        br_ = nullptr;
    }
    if (base_ != nullptr) {
        ::munmap(base_, data_bytes_);
        base_ = nullptr;
    }
}

void buffer_ring::add(std::uint16_t bid) noexcept
{
    io_uring_buf_ring_add(br_, base_ + static_cast<std::size_t>(bid) * size_, size_, bid,
                          io_uring_buf_ring_mask(count_), 0);
    io_uring_buf_ring_advance(br_, 1);
}

void buffer_ring::give_back(std::uint16_t bid) noexcept
{
    add(bid);
    --held_;
    if (buffer_waiter* w = wait_head_) {
        wait_head_ = w->next_waiter_;
        if (wait_head_ == nullptr) {
            wait_tail_ = nullptr;
        }
        w->next_waiter_ = nullptr;
        w->waiting_ = false;
        w->buffers_available_(w);
    }
}

void buffer_ring::wait_for_buffers(buffer_waiter& w) noexcept
{
    if (w.waiting_) {
        return;
    }
    w.waiting_ = true;
    w.next_waiter_ = nullptr;
    ++exhaustions_;
    if (wait_tail_ != nullptr) {
        wait_tail_->next_waiter_ = &w;
    } else {
        wait_head_ = &w;
    }
    wait_tail_ = &w;
}

void buffer_ring::cancel_wait(buffer_waiter& w) noexcept
{
    if (!w.waiting_) {
        return;
    }
    buffer_waiter* prev = nullptr;
    for (buffer_waiter* cur = wait_head_; cur != nullptr; prev = cur, cur = cur->next_waiter_) {
        if (cur != &w) {
            continue;
        }
        (prev != nullptr ? prev->next_waiter_ : wait_head_) = cur->next_waiter_;
        if (wait_tail_ == cur) {
            wait_tail_ = prev;
        }
        break;
    }
    w.waiting_ = false;
    w.next_waiter_ = nullptr;
}

void buffer_ring::wake_waiters() noexcept
{
    // -ENOBUFS may be reaped after buffers were already returned (in the same batch), in which
    // case give_back found nobody to wake. Re-arm up to as many waiters as buffers not held by
    // user space; a still-empty ring just yields -ENOBUFS again and parks them once more.
    unsigned budget = count_ - held_;
    while (budget > 0 && wait_head_ != nullptr) {
        buffer_waiter* w = wait_head_;
        wait_head_ = w->next_waiter_;
        if (wait_head_ == nullptr) {
            wait_tail_ = nullptr;
        }
        w->next_waiter_ = nullptr;
        w->waiting_ = false;
        w->buffers_available_(w);
        --budget;
    }
}

} // namespace wsp::rt::detail
