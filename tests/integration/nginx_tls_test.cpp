// Interop over TLS with a server nobody here wrote: Debian's nginx terminates TLS (RFC 8446) on a
// loopback port with the certificate wsprobe-lab wrote (nginx.pem, signed by the lab's ca.pem)
// and proxies the upgrade (RFC 6455 §4, Upgrade/Connection forwarded) to the lab's ws://
// listener; `wsprobe check wss://...` is up and its tls facts are nginx's certificate.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "tests/integration/tls_harness.h"
#include "tests/integration/net_util.h"

namespace {

using namespace wsp::test;

TEST(nginx_tls_interop, terminates_tls_and_proxies_the_upgrade_to_the_lab)
{
    const char* nginx = "/usr/sbin/nginx";
    if (::access(nginx, X_OK) != 0) {
        GTEST_SKIP() << "nginx is not installed (tools/scripts/setup.sh --test installs it)";
    }
    tls_lab lab;
    const auto port = free_port();
    char tmpl[] = "/tmp/wsprobe-nginx-tls-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    const std::filesystem::path dir(tmpl);
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
             << "    listen 127.0.0.1:" << port << " ssl;\n"
             << "    ssl_certificate " << lab.file("nginx.pem") << ";\n"
             << "    ssl_certificate_key " << lab.file("nginx-key.pem") << ";\n"
             << "    ssl_protocols TLSv1.2 TLSv1.3;\n"
             << "    location / {\n"
             << "      proxy_pass http://" << lab.plain_authority() << ";\n"
             << "      proxy_http_version 1.1;\n"
             << "      proxy_set_header Upgrade $http_upgrade;\n"
             << "      proxy_set_header Connection \"upgrade\";\n"
             << "    }\n"
             << "  }\n"
             << "}\n";
    }
    child_process server({nginx, "-e", (dir / "error.log").string(), "-p", dir.string(), "-c",
                          (dir / "nginx.conf").string(), "-g", "daemon off; master_process off;"});
    ASSERT_TRUE(wait_for_port(port, 10s)) << "nginx did not start: " << server.err();

    const std::string url = "wss://127.0.0.1:" + std::to_string(port) + "/echo";
    auto r = check({url, "--ca", lab.file("ca.pem"), "--rtt", "echo", "--payload", "through nginx"});
    ASSERT_TRUE(r->parsed) << r->context();
    EXPECT_EQ(r->status(), "up") << r->context();
    EXPECT_EQ(r->run.exit_code, 0) << r->context();
    EXPECT_EQ(int64_t(r->doc["negotiated"]["status"]), 101);
    // The certificate is nginx's, not one of the lab's own listeners'.
    EXPECT_EQ(str_at(*r, "tls", "subject"), "CN=wsprobe-lab nginx");
    EXPECT_EQ(str_at(*r, "tls", "issuer"), "CN=wsprobe-lab CA");
    EXPECT_EQ(str_at(*r, "tls", "verify"), "ok");
    EXPECT_NE(str_at(*r, "tls", "version"), "<null>");
    EXPECT_FALSE(r->doc["phases_ms"]["rtt"].is_null());

    // The same proxy without the lab's CA: nginx's certificate is not publicly trusted.
    auto untrusted = check({url});
    ASSERT_TRUE(untrusted->parsed) << untrusted->context();
    EXPECT_EQ(untrusted->phase(), "tls") << untrusted->context();
    EXPECT_EQ(untrusted->code(), "untrusted_issuer") << untrusted->context();

    server.stop();
    std::filesystem::remove_all(dir);
}

} // namespace
