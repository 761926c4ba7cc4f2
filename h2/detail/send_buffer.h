// A bounded FIFO of bytes waiting to become HTTP/2 DATA frames (RFC 9113 §6.1) on one stream.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

namespace wsp::h2::detail {

// Bytes are appended at the back and taken from the front. Capacity grows on demand up to the
// caller's bound and is kept, so a steady stream allocates nothing after warm-up.
class send_buffer {
public:
    [[nodiscard]] std::size_t size() const noexcept { return bytes_.size() - head_; }
    [[nodiscard]] bool empty() const noexcept { return size() == 0; }

    void append(std::span<const std::uint8_t> in)
    {
        if (head_ != 0 && head_ >= bytes_.size() / 2) {
            bytes_.erase(bytes_.begin(), bytes_.begin() + static_cast<std::ptrdiff_t>(head_));
            head_ = 0;
        }
        bytes_.insert(bytes_.end(), in.begin(), in.end());
    }

    // Copies up to `cap` bytes from the front into `out` and drops them; returns how many.
    std::size_t take(std::uint8_t* out, std::size_t cap) noexcept
    {
        const std::size_t n = std::min(cap, size());
        if (n != 0) {
            std::memcpy(out, bytes_.data() + head_, n);
        }
        head_ += n;
        if (head_ == bytes_.size()) {
            bytes_.clear();
            head_ = 0;
        }
        return n;
    }

private:
    std::vector<std::uint8_t> bytes_;
    std::size_t head_ = 0;
};

} // namespace wsp::h2::detail
