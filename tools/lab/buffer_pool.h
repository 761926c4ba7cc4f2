// A per-reactor pool of byte buffers lent to connections only while they need one (a request
// head being parsed, a message being reassembled), so an idle connection holds no buffer and the
// steady state reuses capacity instead of allocating.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace wsp::lab {

class buffer_pool;

// A borrowed buffer: an empty vector whose capacity comes from earlier use. Move-only; returns
// the vector to its pool on release() or destruction. Single thread (the pool's reactor).
class pooled_buffer {
public:
    pooled_buffer() noexcept = default;
    pooled_buffer(pooled_buffer&& o) noexcept : pool_(std::exchange(o.pool_, nullptr)), bytes_(std::move(o.bytes_)) {}
    pooled_buffer& operator=(pooled_buffer&& o) noexcept
    {
        if (this != &o) {
            release();
            pool_ = std::exchange(o.pool_, nullptr);
            bytes_ = std::move(o.bytes_);
        }
        return *this;
    }
    pooled_buffer(const pooled_buffer&) = delete;
    pooled_buffer& operator=(const pooled_buffer&) = delete;
    ~pooled_buffer() { release(); }

    [[nodiscard]] bool held() const noexcept { return pool_ != nullptr; }
    [[nodiscard]] std::vector<std::uint8_t>& bytes() noexcept { return bytes_; }
    [[nodiscard]] const std::vector<std::uint8_t>& bytes() const noexcept { return bytes_; }
    // Gives the buffer back (idempotent).
    void release() noexcept;

private:
    friend class buffer_pool;
    pooled_buffer(buffer_pool* p, std::vector<std::uint8_t> v) noexcept : pool_(p), bytes_(std::move(v)) {}
    buffer_pool* pool_ = nullptr;
    std::vector<std::uint8_t> bytes_;
};

// Keeps at most `max_free` returned buffers whose capacity is at most `keep_capacity`; larger
// ones (a rare 1 MiB message) are freed on return so one burst does not pin memory per reactor.
// Not thread-safe: one pool per reactor, used on its thread.
class buffer_pool {
public:
    explicit buffer_pool(std::size_t keep_capacity = std::size_t{64} << 10, std::size_t max_free = 1024)
        : keep_capacity_(keep_capacity), max_free_(max_free)
    {
        free_.reserve(max_free_);
    }
    buffer_pool(const buffer_pool&) = delete;
    buffer_pool& operator=(const buffer_pool&) = delete;

    // An empty buffer, reusing a returned one when available (allocates only on a pool miss).
    [[nodiscard]] pooled_buffer take()
    {
        ++lent_;
        if (free_.empty()) {
            ++misses_;
            return pooled_buffer(this, {});
        }
        std::vector<std::uint8_t> v = std::move(free_.back());
        free_.pop_back();
        return pooled_buffer(this, std::move(v));
    }

    [[nodiscard]] std::size_t lent() const noexcept { return lent_; }   // buffers currently out
    [[nodiscard]] std::size_t misses() const noexcept { return misses_; } // takes that found none free
    [[nodiscard]] std::size_t free_count() const noexcept { return free_.size(); }

private:
    friend class pooled_buffer;
    void give_back(std::vector<std::uint8_t>&& v) noexcept
    {
        --lent_;
        if (v.capacity() <= keep_capacity_ && free_.size() < max_free_) {
            v.clear();
            free_.push_back(std::move(v)); // within the reserved capacity: no allocation
        }
    }

    std::size_t keep_capacity_;
    std::size_t max_free_;
    std::size_t lent_ = 0;
    std::size_t misses_ = 0;
    std::vector<std::vector<std::uint8_t>> free_;
};

inline void pooled_buffer::release() noexcept
{
    if (pool_ != nullptr) {
        std::exchange(pool_, nullptr)->give_back(std::move(bytes_));
        bytes_ = {};
    }
}

} // namespace wsp::lab
