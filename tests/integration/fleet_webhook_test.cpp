// `wsprobe run --webhook URL` against a receiver in the test (plain sockets on 127.0.0.1): each
// state change's JSON arrives as an application/json POST (RFC 9110 §9.3.3), a receiver that
// answers 500 twice sees the same event three times (retries), and a bad URL is a usage error.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "tests/integration/fleet_support.h"
#include "tests/integration/harness.h"

namespace {

using namespace wsp::test;

struct received {
    std::string head;
    std::string body;
};

// Accepts connections on 127.0.0.1, reads one request each (head and Content-Length body),
// answers statuses[i] (the last one repeated) and closes.
class hook_receiver {
public:
    explicit hook_receiver(std::vector<int> statuses) : statuses_(std::move(statuses))
    {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof a;
        if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd_, 16) != 0 ||
            ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
            throw std::runtime_error("receiver: cannot listen");
        }
        port_ = ntohs(a.sin_port);
        thread_ = std::thread([this] { serve(); });
    }
    hook_receiver(const hook_receiver&) = delete;
    hook_receiver& operator=(const hook_receiver&) = delete;
    ~hook_receiver()
    {
        stop_ = true;
        thread_.join();
        ::close(fd_);
    }
    [[nodiscard]] std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hook"; }
    [[nodiscard]] std::vector<received> got() const
    {
        std::lock_guard lk(mu_);
        return got_;
    }
    // Waits (bounded) until at least `n` requests arrived.
    bool wait_for(std::size_t n, std::chrono::milliseconds limit) const
    {
        const auto end = std::chrono::steady_clock::now() + limit;
        while (std::chrono::steady_clock::now() < end) {
            if (got().size() >= n) {
                return true;
            }
            std::this_thread::sleep_for(20ms);
        }
        return false;
    }

private:
    void serve()
    {
        while (!stop_) {
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, 50) <= 0) {
                continue;
            }
            const int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
            if (c < 0) {
                continue;
            }
            timeval tv{5, 0};
            ::setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
            std::string data;
            char buf[4096];
            std::size_t need = std::string::npos;
            while (need == std::string::npos || data.size() < need) {
                const ssize_t n = ::recv(c, buf, sizeof buf, 0);
                if (n <= 0) {
                    break;
                }
                data.append(buf, static_cast<std::size_t>(n));
                const auto end = data.find("\r\n\r\n");
                if (need == std::string::npos && end != std::string::npos) {
                    const auto cl = data.find("Content-Length: ");
                    need = end + 4 + (cl == std::string::npos ? 0 : std::stoul(data.substr(cl + 16)));
                }
            }
            const auto end = data.find("\r\n\r\n");
            std::size_t index = 0;
            {
                std::lock_guard lk(mu_);
                index = got_.size();
                got_.push_back({data.substr(0, end), end == std::string::npos ? "" : data.substr(end + 4)});
            }
            const int status = statuses_[std::min(index, statuses_.size() - 1)];
            const std::string answer = "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Length: 0\r\n\r\n";
            (void)::send(c, answer.data(), answer.size(), MSG_NOSIGNAL);
            ::close(c);
        }
    }

    std::vector<int> statuses_;
    int fd_ = -1;
    std::uint16_t port_ = 0;
    std::atomic<bool> stop_{false};
    mutable std::mutex mu_;
    std::vector<received> got_;
    std::thread thread_;
};

class fleet_webhook : public lab_suite<fleet_webhook> {};

std::string str(simdjson::dom::element e, const char* k)
{
    std::string_view v;
    return e[k].get(v) == simdjson::SUCCESS ? std::string(v) : std::string("null");
}

TEST_F(fleet_webhook, posts_each_state_change_as_json)
{
    hook_receiver hook({200});
    const auto dir = scratch_dir("webhook_states");
    write_file(dir / "fleet.json",
               R"({"modules": {}, "checks": [{"id": "web", "url": ")" + lab_->url("/echo") +
                   R"(", "interval": "1s", "labels": {"team": "edge"},)"
                   R"( "thresholds": {"handshake_degraded": "60s", "rtt_degraded": "60s"}},)"
                   R"({"id": "broken", "url": ")" + lab_->url("/status/500") + R"(", "interval": "1s"}]})" "\n");
    child_process p({WSPROBE_BIN, "run", (dir / "fleet.json").string(), "--threads", "1", "--output",
                     (dir / "out.jsonl").string(), "--webhook", hook.url()});
    ASSERT_TRUE(hook.wait_for(2, 20s)) << p.err();
    const auto got = hook.got();
    std::map<std::string, std::string> to_by_check;
    simdjson::dom::parser parser;
    for (const auto& r : got) {
        EXPECT_EQ(r.head.rfind("POST /hook HTTP/1.1\r\n", 0), 0u) << r.head;
        EXPECT_NE(r.head.find("\r\nContent-Type: application/json\r\n"), std::string::npos) << r.head;
        EXPECT_NE(r.head.find("\r\nHost: 127.0.0.1:"), std::string::npos) << r.head;
        simdjson::dom::element doc;
        ASSERT_EQ(parser.parse(r.body).get(doc), simdjson::SUCCESS) << r.body;
        EXPECT_EQ(str(doc, "event"), "state_change") << r.body;
        EXPECT_EQ(str(doc, "from"), "null") << r.body; // the first result of each check
        to_by_check[str(doc, "check")] = str(doc, "to");
        if (str(doc, "check") == "web") {
            EXPECT_EQ(str(doc["labels"], "team"), "edge") << r.body;
        }
    }
    EXPECT_EQ(to_by_check["web"], "up");
    EXPECT_EQ(to_by_check["broken"], "down");
    p.signal(SIGTERM);
    EXPECT_EQ(p.wait(20s), 0);
    // The same events went to --output too (read after the exit: the line writer has its own
    // thread, so a line may reach the file after its webhook POST).
    std::size_t changes = 0;
    for (const auto& e : parse_events(read_file(dir / "out.jsonl"))) {
        changes += e.event == "state_change" ? 1 : 0;
    }
    EXPECT_EQ(changes, 2u);
    EXPECT_NE(p.err().find("webhook: 2 delivered, 0 failed, 0 dropped, 0 retries"), std::string::npos) << p.err();
}

TEST_F(fleet_webhook, retries_after_server_errors_until_accepted)
{
    hook_receiver hook({500, 500, 200});
    const auto dir = scratch_dir("webhook_retry");
    write_file(dir / "fleet.json", R"({"checks": [{"id": "web", "url": ")" + lab_->url("/echo") +
                                       R"(", "interval": "1s",)"
                                       R"( "thresholds": {"handshake_degraded": "60s", "rtt_degraded": "60s"}}]})" "\n");
    child_process p({WSPROBE_BIN, "run", (dir / "fleet.json").string(), "--threads", "1", "--output",
                     (dir / "out.jsonl").string(), "--webhook", hook.url()});
    ASSERT_TRUE(hook.wait_for(3, 20s)) << p.err();
    std::this_thread::sleep_for(300ms); // a fourth attempt would be a defect; give it a chance to show
    p.signal(SIGTERM);
    EXPECT_EQ(p.wait(20s), 0);
    const auto got = hook.got();
    ASSERT_EQ(got.size(), 3u);
    EXPECT_EQ(got[0].body, got[1].body);
    EXPECT_EQ(got[1].body, got[2].body);
    EXPECT_NE(got[0].body.find(R"("event":"state_change")"), std::string::npos) << got[0].body;
    EXPECT_NE(p.err().find("webhook: 1 delivered, 0 failed, 0 dropped, 2 retries"), std::string::npos) << p.err();
}

TEST_F(fleet_webhook, refuses_a_url_it_cannot_post_to)
{
    const auto dir = scratch_dir("webhook_bad");
    write_file(dir / "fleet.json", R"({"checks": [{"id": "web", "url": ")" + lab_->url("/echo") + R"("}]})" "\n");
    for (const std::string bad : {"https://127.0.0.1/h", "http://example.com/h", "http://169.254.169.254/h"}) {
        auto r = run_wsprobe({"run", (dir / "fleet.json").string(), "--once", "--webhook", bad});
        EXPECT_EQ(r.exit_code, 3) << bad << ": " << r.err;
        EXPECT_NE(r.err.find("--webhook"), std::string::npos) << r.err;
    }
}

} // namespace
