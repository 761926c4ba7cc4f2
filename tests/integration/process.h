// Test support: runs a child process with captured stdout/stderr, bounded in time, and always
// stops it (SIGTERM, then SIGKILL) when the handle goes away, so no test leaves a server behind.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

extern char** environ;

namespace wsp::test {

class child_process {
public:
    // Starts argv[0] with the given arguments; extra_env entries are "NAME=value".
    explicit child_process(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env = {})
    {
        int out[2];
        int err[2];
        if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) {
            throw std::runtime_error("pipe failed");
        }
        posix_spawn_file_actions_t fa;
        ::posix_spawn_file_actions_init(&fa);
        ::posix_spawn_file_actions_adddup2(&fa, out[1], 1);
        ::posix_spawn_file_actions_adddup2(&fa, err[1], 2);
        ::posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
        std::vector<char*> args;
        for (const auto& a : argv) {
            args.push_back(const_cast<char*>(a.c_str()));
        }
        args.push_back(nullptr);
        std::vector<std::string> env_store;
        for (char** e = environ; *e != nullptr; ++e) {
            env_store.emplace_back(*e);
        }
        for (const auto& e : extra_env) {
            env_store.push_back(e);
        }
        std::vector<char*> envp;
        for (auto& e : env_store) {
            envp.push_back(e.data());
        }
        envp.push_back(nullptr);
        const int rc = ::posix_spawn(&pid_, args[0], &fa, nullptr, args.data(), envp.data());
        ::posix_spawn_file_actions_destroy(&fa);
        ::close(out[1]);
        ::close(err[1]);
        out_fd_ = out[0];
        err_fd_ = err[0];
        if (rc != 0) {
            pid_ = -1;
            throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
        }
    }
    child_process(const child_process&) = delete;
    child_process& operator=(const child_process&) = delete;
    ~child_process()
    {
        stop();
        ::close(out_fd_);
        ::close(err_fd_);
    }

    // Reads stdout until a full line is available or the timeout passes.
    std::optional<std::string> read_line(std::chrono::milliseconds timeout)
    {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            const auto nl = out_.find('\n');
            if (nl != std::string::npos) {
                std::string line = out_.substr(0, nl);
                out_.erase(0, nl + 1);
                return line;
            }
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0 || !pump(left)) {
                return std::nullopt;
            }
        }
    }

    // Waits for exit (bounded), collecting all output; returns the exit code, or nullopt on timeout.
    std::optional<int> wait(std::chrono::milliseconds timeout)
    {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (out_fd_open_ || err_fd_open_) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) {
                return std::nullopt;
            }
            pump(left);
        }
        int status = 0;
        while (std::chrono::steady_clock::now() < deadline) {
            const pid_t r = ::waitpid(pid_, &status, WNOHANG);
            if (r == pid_) {
                pid_ = -1;
                return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            }
            ::usleep(1000);
        }
        return std::nullopt;
    }

    void signal(int sig) const
    {
        if (pid_ > 0) {
            ::kill(pid_, sig);
        }
    }

    void stop()
    {
        if (pid_ <= 0) {
            return;
        }
        ::kill(pid_, SIGTERM);
        for (int i = 0; i < 200; ++i) {
            if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
                pid_ = -1;
                return;
            }
            ::usleep(10'000);
        }
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
        pid_ = -1;
    }

    [[nodiscard]] const std::string& out() const { return out_; }
    [[nodiscard]] const std::string& err() const { return err_; }

private:
    // Reads what is available on either pipe; false when nothing more can come.
    bool pump(std::chrono::milliseconds timeout)
    {
        pollfd fds[2] = {{out_fd_open_ ? out_fd_ : -1, POLLIN, 0}, {err_fd_open_ ? err_fd_ : -1, POLLIN, 0}};
        if (!out_fd_open_ && !err_fd_open_) {
            return false;
        }
        if (::poll(fds, 2, static_cast<int>(timeout.count())) <= 0) {
            return false;
        }
        char buf[65536];
        for (int i = 0; i < 2; ++i) {
            if (fds[i].revents == 0) {
                continue;
            }
            const ssize_t n = ::read(i == 0 ? out_fd_ : err_fd_, buf, sizeof buf);
            if (n <= 0) {
                (i == 0 ? out_fd_open_ : err_fd_open_) = false;
            } else {
                (i == 0 ? out_ : err_).append(buf, static_cast<std::size_t>(n));
            }
        }
        return true;
    }

    pid_t pid_ = -1;
    int out_fd_ = -1;
    int err_fd_ = -1;
    bool out_fd_open_ = true;
    bool err_fd_open_ = true;
    std::string out_;
    std::string err_;
};

} // namespace wsp::test
