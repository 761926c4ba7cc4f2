// The lab's connection log: one line per connection (method, path, scenario, status), written by a
// background thread so no reactor thread ever blocks on a slow stderr. Header values are never
// logged: they may carry credentials.
#pragma once

#include <array>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string_view>
#include <thread>

namespace wsp::lab {

class log_sink {
public:
    static constexpr std::size_t line_capacity = 240; // longer lines are truncated
    static constexpr std::size_t queue_lines = 1024;  // beyond this, lines are dropped and counted

    // Starts the writer thread; lines go to `fd` (not owned).
    explicit log_sink(int fd);
    log_sink(const log_sink&) = delete;
    log_sink& operator=(const log_sink&) = delete;
    // Writes what is queued, then joins the writer.
    ~log_sink();

    // Any thread; never blocks on I/O (a short mutex section copies the line). `status` 0 prints
    // "-"; `note` (may be empty) is appended in parentheses.
    void connection(std::string_view method, std::string_view path, std::string_view scenario, int status,
                    std::string_view note) noexcept;

    [[nodiscard]] std::uint64_t dropped() const noexcept;

private:
    struct line {
        std::array<char, line_capacity> text{};
        std::size_t size = 0;
    };
    void run();

    int fd_;
    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::array<line, queue_lines> queue_{};
    std::size_t head_ = 0;
    std::size_t count_ = 0;
    std::uint64_t dropped_ = 0;
    bool closing_ = false;
    std::thread writer_;
};

} // namespace wsp::lab
