// engine/fleet/http_server: query decoding, the /probe deadline from the scrape timeout, and a real
// server on a reactor answering requests and garbage (400, never a crash).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <string>
#include <thread>

#include "engine/fleet/detail/fleet_state.h"
#include "engine/fleet/http_server.h"
#include "engine/runtime/cluster.h"

namespace {

using namespace std::chrono_literals;
using wsp::fleet::form_decode;
using wsp::fleet::http_reply;
using wsp::fleet::http_request;
using wsp::fleet::query_param;

TEST(http_query, form_decoding_follows_the_urlencoded_rules)
{
    EXPECT_EQ(form_decode("a+b%20c"), "a b c");
    EXPECT_EQ(form_decode("ws%3A%2F%2Fh%3A1%2Fp%3Fq%3D1"), "ws://h:1/p?q=1");
    EXPECT_EQ(form_decode("%e2%82%AC"), "\xe2\x82\xac");
    EXPECT_EQ(form_decode(""), "");
    EXPECT_FALSE(form_decode("%"));
    EXPECT_FALSE(form_decode("%4"));
    EXPECT_FALSE(form_decode("%zz"));
    EXPECT_FALSE(form_decode("abc%2"));
}

TEST(http_query, parameters_by_name_first_wins_and_absent_is_empty)
{
    const std::string_view q = "target=ws%3A%2F%2Fa%2F&module=echo&module=other&flag&empty=";
    EXPECT_EQ(query_param(q, "target"), "ws://a/");
    EXPECT_EQ(query_param(q, "module"), "echo");
    EXPECT_EQ(query_param(q, "flag"), "");
    EXPECT_EQ(query_param(q, "empty"), "");
    EXPECT_FALSE(query_param(q, "missing"));
    EXPECT_FALSE(query_param(q, "modul"));
    EXPECT_FALSE(query_param("target=%zz", "target"));
    EXPECT_FALSE(query_param("", "target"));
}

TEST(http_query, probe_budget_stays_below_the_scrape_timeout)
{
    using std::chrono::milliseconds;
    using wsp::fleet::detail::probe_budget;
    EXPECT_EQ(probe_budget(std::nullopt, milliseconds(20000)), milliseconds(20000));
    EXPECT_EQ(probe_budget("10", milliseconds(20000)), milliseconds(9500));
    EXPECT_EQ(probe_budget("10", milliseconds(3000)), milliseconds(3000));  // the module's is lower
    EXPECT_EQ(probe_budget("0.8", milliseconds(20000)), milliseconds(400)); // half when offset eats it
    EXPECT_EQ(probe_budget("0.1", milliseconds(20000)), milliseconds(100)); // floor
    EXPECT_EQ(probe_budget("abc", milliseconds(20000)), milliseconds(20000));
    EXPECT_EQ(probe_budget("-5", milliseconds(20000)), milliseconds(20000));
    EXPECT_EQ(probe_budget("nan", milliseconds(20000)), milliseconds(20000));
    EXPECT_EQ(probe_budget("10s", milliseconds(20000)), milliseconds(20000));
}

// Answers "<method> <path> <target param>" so the test sees what the server parsed.
wsp::rt::task<http_reply> echo_handler(void* /*ctx*/, http_request req)
{
    http_reply r;
    r.body = std::string(req.method) + " " + std::string(req.path) + " " +
             query_param(req.query, "target").value_or("-") + " " +
             std::string(req.header("x-test").value_or("-"));
    co_return r;
}

std::string round_trip(std::uint16_t port, const std::string& bytes)
{
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    timeval tv{10, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(fd);
        return "connect failed";
    }
    (void)::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    ::shutdown(fd, SHUT_WR);
    std::string out;
    char buf[4096];
    for (;;) {
        const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) {
            break;
        }
        out.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return out;
}

std::string body_of(const std::string& response)
{
    const auto at = response.find("\r\n\r\n");
    return at == std::string::npos ? std::string{} : response.substr(at + 4);
}

class http_server : public ::testing::Test {
protected:
    void SetUp() override
    {
        auto l = wsp::rt::listener::open(wsp::rt::address::loopback_v4(0));
        ASSERT_TRUE(l);
        listener_.emplace(std::move(*l));
        wsp::rt::cluster_config cc;
        cc.threads = 1;
        cc.handle_signals = false;
        cc.shutdown_grace = 1s;
        cc.reactor.sq_entries = 64;
        cc.reactor.buffer_count = 64;
        cc.reactor.fd_table_size = 256;
        std::string why;
        auto c = wsp::rt::cluster::start(cc, &why);
        if (!c) {
            GTEST_SKIP() << "io_uring unavailable: " << why;
        }
        cluster_ = std::move(*c);
        site_ = std::make_unique<wsp::fleet::http_site>(*listener_,
                                                        wsp::fleet::http_handler{&echo_handler, nullptr});
        ASSERT_TRUE(cluster_->spawn(0, run_site(site_.get(), &finished_)));
        port_ = listener_->local().port();
    }
    void TearDown() override
    {
        if (cluster_) {
            // The stop must run before the cluster's own stop, which drops later spawns.
            ASSERT_TRUE(cluster_->spawn(0, stop_site(site_.get())));
            for (int i = 0; i < 1000 && !finished_.load(); ++i) {
                std::this_thread::sleep_for(5ms);
            }
            EXPECT_TRUE(finished_.load()) << "the site stops on request";
            cluster_->join();
        }
    }
    static wsp::rt::task<void> run_site(wsp::fleet::http_site* s, std::atomic<bool>* finished)
    {
        co_await s->run(wsp::rt::reactor::current());
        finished->store(true);
    }
    static wsp::rt::task<void> stop_site(wsp::fleet::http_site* s) { co_await s->stop(); }

    std::optional<wsp::rt::listener> listener_;
    std::unique_ptr<wsp::rt::cluster> cluster_;
    std::unique_ptr<wsp::fleet::http_site> site_;
    std::uint16_t port_ = 0;
    std::atomic<bool> finished_{false};
};

TEST_F(http_server, answers_a_get_with_the_handler_reply_and_closes)
{
    const std::string r =
        round_trip(port_, "GET /probe?target=ws%3A%2F%2Fa%2F&x=1 HTTP/1.1\r\nHost: h\r\nX-Test: yes\r\n\r\n");
    EXPECT_EQ(r.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << r;
    EXPECT_NE(r.find("Connection: close\r\n"), std::string::npos);
    EXPECT_NE(r.find("Content-Length: 22\r\n"), std::string::npos) << r;
    EXPECT_EQ(body_of(r), "GET /probe ws://a/ yes") << r;
}

TEST_F(http_server, a_request_split_into_bytes_is_parsed_whole)
{
    // The same head delivered across several TCP segments: the parser resumes where it stopped.
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port_);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    const std::string req = "GET /x HTTP/1.1\r\nHost: h\r\n\r\n";
    for (char c : req) {
        (void)::send(fd, &c, 1, MSG_NOSIGNAL);
        ::usleep(1000);
    }
    std::string out;
    char buf[1024];
    for (ssize_t n = 0; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) {
        out.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    EXPECT_EQ(body_of(out), "GET /x - -") << out;
}

TEST_F(http_server, refuses_what_it_cannot_parse_with_400_and_other_methods_with_405)
{
    for (const std::string& bad : {std::string("GARBAGE\r\n\r\n"), std::string("GET /x HTTP/2.0\r\n\r\n"),
                                   std::string("GET /x HTTP/1.1\r\nNo Colon\r\n\r\n"),
                                   std::string("GET /x HTTP/1.1\r\n Folded: x\r\n\r\n"),
                                   std::string("GET /x HTTP/1.1\r\nA: \x01\r\n\r\n"),
                                   std::string("GET /x HTTP/1.1\r\nA: b\rc\r\n\r\n"), std::string(17000, 'a'),
                                   std::string("GET /x HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc")}) {
        const std::string r = round_trip(port_, bad);
        EXPECT_EQ(r.rfind("HTTP/1.1 400 ", 0), 0u) << "for " << bad.substr(0, 30) << ": " << r;
    }
    EXPECT_EQ(round_trip(port_, "POST /x HTTP/1.1\r\nHost: h\r\n\r\n").rfind("HTTP/1.1 405 ", 0), 0u);
    // A client that sends half a head and leaves gets nothing, and the server carries on.
    EXPECT_EQ(round_trip(port_, "GET /x HTT"), "");
    EXPECT_EQ(round_trip(port_, "GET /ok HTTP/1.1\r\n\r\n").rfind("HTTP/1.1 200 ", 0), 0u);
}

TEST_F(http_server, survives_random_bytes)
{
    std::mt19937 rng(1234);
    for (int i = 0; i < 200; ++i) {
        std::string junk(static_cast<std::size_t>(rng() % 300), '\0');
        for (char& c : junk) {
            c = static_cast<char>(rng() % 4 == 0 ? "\r\n: "[rng() % 4] : static_cast<char>(rng()));
        }
        const std::string r = round_trip(port_, junk + "\r\n\r\n");
        EXPECT_TRUE(r.empty() || r.rfind("HTTP/1.1 ", 0) == 0) << r;
    }
    EXPECT_EQ(round_trip(port_, "GET /still HTTP/1.1\r\n\r\n").rfind("HTTP/1.1 200 ", 0), 0u);
    EXPECT_EQ(site_->requests(), 201u);
}

} // namespace
