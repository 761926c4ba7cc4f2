// engine/fleet/line_writer: lines arrive whole and in order; a stalled reader makes pushes fail
// and count as dropped instead of blocking the caller.
#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "engine/fleet/line_writer.h"

namespace {

std::string read_all(int fd)
{
    std::string out;
    char buf[65536];
    for (ssize_t n = 0; (n = ::read(fd, buf, sizeof buf)) > 0;) {
        out.append(buf, static_cast<std::size_t>(n));
    }
    return out;
}

TEST(line_writer, writes_every_line_in_order)
{
    int p[2];
    ASSERT_EQ(::pipe2(p, O_CLOEXEC), 0);
    std::string got;
    std::thread reader([&] { got = read_all(p[0]); });
    std::string want;
    {
        wsp::fleet::line_writer w(p[1], 1000);
        for (int i = 0; i < 500; ++i) {
            std::string line = "{\"n\":" + std::to_string(i) + "}\n";
            want += line;
            EXPECT_TRUE(w.push(std::move(line)));
        }
        w.stop();
        EXPECT_EQ(w.written(), 500u);
        EXPECT_EQ(w.dropped(), 0u);
        EXPECT_FALSE(w.push("late\n")) << "a stopped writer takes nothing";
        EXPECT_EQ(w.dropped(), 1u);
    }
    ::close(p[1]);
    reader.join();
    ::close(p[0]);
    EXPECT_EQ(got, want);
}

TEST(line_writer, a_stalled_reader_makes_lines_drop_not_block)
{
    int p[2];
    ASSERT_EQ(::pipe2(p, O_CLOEXEC), 0);
    ASSERT_GT(::fcntl(p[1], F_SETPIPE_SZ, 4096), 0);
    // Fill the pipe so the writer thread's first write blocks.
    ::fcntl(p[1], F_SETFL, O_NONBLOCK);
    std::string filler(4096, 'f');
    std::size_t prefilled = 0;
    for (ssize_t n = 0; (n = ::write(p[1], filler.data(), filler.size())) > 0;) {
        prefilled += static_cast<std::size_t>(n);
    }
    ::fcntl(p[1], F_SETFL, 0);
    constexpr std::size_t capacity = 4;
    constexpr int pushes = 40;
    std::vector<std::string> accepted;
    wsp::fleet::line_writer w(p[1], capacity);
    int refused = 0;
    for (int i = 0; i < pushes; ++i) {
        std::string line = "line " + std::to_string(i) + "\n";
        const std::string copy = line;
        if (w.push(std::move(line))) {
            accepted.push_back(copy);
        } else {
            ++refused;
        }
    }
    // At most one batch is out of the queue (blocked in write) and `capacity` lines wait.
    EXPECT_LE(accepted.size(), 2 * capacity);
    EXPECT_EQ(static_cast<std::uint64_t>(refused), w.dropped());
    std::string got;
    std::thread reader([&] { got = read_all(p[0]); });
    w.stop();
    ::close(p[1]);
    reader.join();
    ::close(p[0]);
    EXPECT_EQ(w.written(), accepted.size());
    std::string want(prefilled, 'f');
    for (const auto& l : accepted) {
        want += l;
    }
    EXPECT_EQ(got, want);
}

} // namespace
