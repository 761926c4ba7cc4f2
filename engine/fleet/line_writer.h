// The JSON-lines output of `wsprobe run` (RFC 8259 objects, one per line): a writer thread behind a
// bounded queue, so a reactor hands a line over without ever waiting on a slow consumer.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

namespace wsp::fleet {

// Writes lines to a file descriptor from its own thread. push() never blocks on I/O: when
// `capacity` lines are already waiting, the line is dropped and counted, so a slow reader is
// visible (dropped()) instead of stalling the scheduler. Thread-safe.
class line_writer {
public:
    // `fd` stays owned by the caller and must stay open until stop() returns.
    line_writer(int fd, std::size_t capacity);
    line_writer(const line_writer&) = delete;
    line_writer& operator=(const line_writer&) = delete;
    ~line_writer(); // stop()

    // Queues `line` (which should end with '\n'). False when the queue was full or the writer
    // stopped: the line is dropped and counted. Takes the string's buffer; no copy.
    bool push(std::string line);
    // Writes everything queued, then ends the thread. Idempotent.
    void stop();

    [[nodiscard]] std::uint64_t written() const;
    [[nodiscard]] std::uint64_t dropped() const;
    // Write errors (EPIPE, ENOSPC, ...): lines that could not be written are counted as dropped.
    [[nodiscard]] std::uint64_t write_errors() const;

private:
    void run();

    int fd_;
    std::size_t capacity_;
    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::deque<std::string> queue_;
    std::uint64_t written_ = 0;
    std::uint64_t dropped_ = 0;
    std::uint64_t write_errors_ = 0;
    bool stopping_ = false;
    std::thread thread_;
};

} // namespace wsp::fleet
