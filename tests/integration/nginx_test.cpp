// Interop with a server nobody here wrote: Debian's nginx, started on a loopback port, proxying
// to wsprobe-lab. Correctly configured it passes the upgrade through (up); without the
// Upgrade/Connection proxy headers (nginx's default: they are hop-by-hop) the lab never sees an
// upgrade and the check is down in the upgrade phase with the status named.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "tests/integration/harness.h"

namespace {

using namespace wsp::test;

std::uint16_t free_port()
{
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(fd);
    return ntohs(a.sin_port);
}

bool wait_for_port(std::uint16_t port, std::chrono::milliseconds timeout)
{
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
        ::close(fd);
        if (ok) {
            return true;
        }
        ::usleep(20'000);
    }
    return false;
}

TEST(nginx_interop, proxy_with_and_without_upgrade_headers)
{
    const char* nginx = "/usr/sbin/nginx";
    if (::access(nginx, X_OK) != 0) {
        GTEST_SKIP() << "nginx is not installed (tools/scripts/setup.sh --test installs it)";
    }
    lab_server lab;
    const auto port = free_port();
    char tmpl[] = "/tmp/wsprobe-nginx-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    const std::filesystem::path dir(tmpl);
    const std::string upstream = "http://" + lab.authority();
    {
        std::ofstream conf(dir / "nginx.conf");
        conf << "worker_processes 1;\n"
             << "pid " << (dir / "nginx.pid").string() << ";\n"
             << "error_log " << (dir / "error.log").string() << " warn;\n"
             << "events { worker_connections 256; }\n"
             << "http {\n"
             << "  access_log off;\n"
             << "  client_body_temp_path " << dir.string() << ";\n"
             << "  proxy_temp_path " << dir.string() << ";\n"
             << "  fastcgi_temp_path " << dir.string() << ";\n"
             << "  uwsgi_temp_path " << dir.string() << ";\n"
             << "  scgi_temp_path " << dir.string() << ";\n"
             << "  server {\n"
             << "    listen 127.0.0.1:" << port << ";\n"
             << "    location /good/ {\n"
             << "      proxy_pass " << upstream << "/;\n"
             << "      proxy_http_version 1.1;\n"
             << "      proxy_set_header Upgrade $http_upgrade;\n"
             << "      proxy_set_header Connection \"upgrade\";\n"
             << "    }\n"
             << "    location /bad/ {\n"
             << "      proxy_pass " << upstream << "/;\n"
             << "    }\n"
             << "  }\n"
             << "}\n";
    }
    child_process server({nginx, "-e", (dir / "error.log").string(), "-p", dir.string(), "-c",
                          (dir / "nginx.conf").string(), "-g", "daemon off; master_process off;"});
    ASSERT_TRUE(wait_for_port(port, 10s)) << "nginx did not start: " << server.err();

    const std::string base = "ws://127.0.0.1:" + std::to_string(port);
    auto good = check({base + "/good/echo", "--rtt", "echo"});
    ASSERT_TRUE(good->parsed) << good->context();
    EXPECT_EQ(good->status(), "up") << good->context();

    auto bad = check({base + "/bad/echo", "--rtt", "echo"});
    ASSERT_TRUE(bad->parsed) << bad->context();
    EXPECT_EQ(bad->status(), "down");
    EXPECT_EQ(bad->phase(), "upgrade");
    std::int64_t status = 0;
    ASSERT_EQ(bad->doc["negotiated"]["status"].get(status), simdjson::SUCCESS) << bad->context();
    EXPECT_NE(status, 101);
    EXPECT_NE(bad->message().find("Server returned " + std::to_string(status)), std::string::npos) << bad->message();

    server.stop();
    std::filesystem::remove_all(dir);
}

} // namespace
