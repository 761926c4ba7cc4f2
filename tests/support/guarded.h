// Test support: copies input so its last byte sits flush against an inaccessible page, so a parser
// that reads one byte too far faults at once (picohttpparser's test.c does the same).
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <stdexcept>
#include <string_view>

namespace wsp::test {

class guarded_buffer {
public:
    explicit guarded_buffer(std::string_view bytes) : guarded_buffer(bytes.data(), bytes.size()) {}
    guarded_buffer(const void* data, std::size_t size) : size_(size)
    {
        const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
        const std::size_t data_pages = (size + page - 1) / page;
        map_len_ = (data_pages + 1) * page;
        void* m = ::mmap(nullptr, map_len_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED) {
            throw std::runtime_error("guarded_buffer: mmap failed");
        }
        map_ = static_cast<std::uint8_t*>(m);
        if (::mprotect(map_ + data_pages * page, page, PROT_NONE) != 0) {
            ::munmap(map_, map_len_);
            throw std::runtime_error("guarded_buffer: mprotect failed");
        }
        begin_ = map_ + data_pages * page - size;
        if (size != 0) {
            std::memcpy(begin_, data, size);
        }
    }
    guarded_buffer(const guarded_buffer&) = delete;
    guarded_buffer& operator=(const guarded_buffer&) = delete;
    ~guarded_buffer() { ::munmap(map_, map_len_); }

    [[nodiscard]] std::uint8_t* data() noexcept { return begin_; }
    [[nodiscard]] std::size_t size() const noexcept { return size_; }
    [[nodiscard]] std::span<std::uint8_t> span() noexcept { return {begin_, size_}; }
    [[nodiscard]] std::string_view view() const noexcept
    {
        return {reinterpret_cast<const char*>(begin_), size_};
    }

private:
    std::uint8_t* map_ = nullptr;
    std::size_t map_len_ = 0;
    std::uint8_t* begin_ = nullptr;
    std::size_t size_ = 0;
};

} // namespace wsp::test
