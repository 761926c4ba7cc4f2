// log_sink: a bounded queue of fixed-size lines drained by one writer thread.
#include "tools/lab/log.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>

namespace wsp::lab {
namespace {

struct line_writer {
    char* out;
    std::size_t cap;
    std::size_t n = 0;
    void put(std::string_view s) noexcept
    {
        const std::size_t k = std::min(s.size(), cap - n);
        std::memcpy(out + n, s.data(), k);
        n += k;
    }
};

} // namespace

log_sink::log_sink(int fd) : fd_(fd), writer_([this] { run(); }) {}

log_sink::~log_sink()
{
    {
        std::lock_guard lk(mu_);
        closing_ = true;
    }
    cv_.notify_one();
    writer_.join();
}

void log_sink::connection(std::string_view method, std::string_view path, std::string_view scenario, int status,
                          std::string_view note) noexcept
{
    std::array<char, line_capacity> text{};
    line_writer w{text.data(), text.size() - 1};
    w.put("wsprobe-lab: ");
    w.put(method);
    w.put(" ");
    w.put(path.substr(0, 120));
    w.put(" scenario=");
    w.put(scenario);
    w.put(" status=");
    if (status > 0) {
        std::array<char, 8> digits{};
        const auto r = std::to_chars(digits.data(), digits.data() + digits.size(), status);
        w.put(std::string_view(digits.data(), static_cast<std::size_t>(r.ptr - digits.data())));
    } else {
        w.put("-");
    }
    if (!note.empty()) {
        w.put(" (");
        w.put(note);
        w.put(")");
    }
    text[w.n++] = '\n';
    {
        std::lock_guard lk(mu_);
        if (count_ == queue_.size()) {
            ++dropped_;
            return;
        }
        line& l = queue_[(head_ + count_) % queue_.size()];
        std::memcpy(l.text.data(), text.data(), w.n);
        l.size = w.n;
        ++count_;
    }
    cv_.notify_one();
}

std::uint64_t log_sink::dropped() const noexcept
{
    std::lock_guard lk(mu_);
    return dropped_;
}

void log_sink::run()
{
    line l;
    for (;;) {
        {
            std::unique_lock lk(mu_);
            cv_.wait(lk, [this] { return count_ != 0 || closing_; });
            if (count_ == 0) {
                return;
            }
            l = queue_[head_];
            head_ = (head_ + 1) % queue_.size();
            --count_;
        }
        std::size_t off = 0;
        while (off < l.size) {
            const ssize_t w = ::write(fd_, l.text.data() + off, l.size - off);
            if (w < 0 && errno == EINTR) {
                continue;
            }
            if (w <= 0) {
                break;
            }
            off += static_cast<std::size_t>(w);
        }
    }
}

} // namespace wsp::lab
