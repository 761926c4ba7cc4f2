// The output thread: batches queued lines into one write(2) per wake-up.
#include "engine/fleet/line_writer.h"

#include <unistd.h>

#include <cerrno>
#include <utility>

namespace wsp::fleet {
namespace {

// Writes all of `data`; false on an error other than EINTR.
bool write_all(int fd, const std::string& data)
{
    std::size_t done = 0;
    while (done < data.size()) {
        const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return false;
        }
        done += static_cast<std::size_t>(n);
    }
    return true;
}

} // namespace

line_writer::line_writer(int fd, std::size_t capacity)
    : fd_(fd), capacity_(capacity == 0 ? 1 : capacity), thread_([this] { run(); })
{
}

line_writer::~line_writer()
{
    stop();
}

bool line_writer::push(std::string line)
{
    {
        std::lock_guard lk(mu_);
        if (stopping_ || queue_.size() >= capacity_) {
            ++dropped_;
            return false;
        }
        queue_.push_back(std::move(line));
    }
    cv_.notify_one();
    return true;
}

void line_writer::stop()
{
    {
        std::lock_guard lk(mu_);
        if (stopping_ && !thread_.joinable()) {
            return;
        }
        stopping_ = true;
    }
    cv_.notify_one();
    if (thread_.joinable()) {
        thread_.join();
    }
}

std::uint64_t line_writer::written() const
{
    std::lock_guard lk(mu_);
    return written_;
}

std::uint64_t line_writer::dropped() const
{
    std::lock_guard lk(mu_);
    return dropped_;
}

std::uint64_t line_writer::write_errors() const
{
    std::lock_guard lk(mu_);
    return write_errors_;
}

void line_writer::run()
{
    std::deque<std::string> batch;
    std::string block;
    for (;;) {
        {
            std::unique_lock lk(mu_);
            cv_.wait(lk, [this] { return stopping_ || !queue_.empty(); });
            if (queue_.empty() && stopping_) {
                return;
            }
            batch.swap(queue_);
        }
        block.clear();
        for (const std::string& line : batch) {
            block += line;
        }
        const bool ok = write_all(fd_, block);
        std::lock_guard lk(mu_);
        if (ok) {
            written_ += batch.size();
        } else {
            ++write_errors_;
            dropped_ += batch.size();
        }
        batch.clear();
    }
}

} // namespace wsp::fleet
