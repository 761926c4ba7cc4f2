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
#include "tests/integration/net_util.h"

namespace {

using namespace wsp::test;

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
