// Negotiation through tls/context.cpp options: ALPN (RFC 7301), version limits (RFC 8446 §4.2.1)
// and client certificates (RFC 8446 §4.3.2, §4.4.2.4).
#include <gtest/gtest.h>

#include "tests/tls/tls_fixture.h"

namespace wsp::tls::test {
namespace {

bool has(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

std::string negotiated_alpn(std::vector<std::string> offered, std::vector<std::string> accepted)
{
    auto cctx = must_build(std::move(client_builder().alpn(std::move(offered))));
    auto sctx = must_build(std::move(server_builder(pki::get().valid).alpn(std::move(accepted))));
    auto c = connect(cctx, sctx, "localhost");
    EXPECT_TRUE(c.result.client) << c.client.failure_text();
    EXPECT_TRUE(c.result.server) << c.server.failure_text();
    EXPECT_EQ(c.client.facts().alpn, c.server.facts().alpn);
    return c.client.facts().alpn;
}

TEST(alpn, server_preference_picks_h2_or_http11)
{
    EXPECT_EQ(negotiated_alpn({"h2", "http/1.1"}, {"h2", "http/1.1"}), "h2");
    EXPECT_EQ(negotiated_alpn({"http/1.1", "h2"}, {"h2", "http/1.1"}), "h2");
    EXPECT_EQ(negotiated_alpn({"http/1.1"}, {"h2", "http/1.1"}), "http/1.1");
    EXPECT_EQ(negotiated_alpn({"h2", "http/1.1"}, {"http/1.1"}), "http/1.1");
    EXPECT_EQ(negotiated_alpn({}, {"h2", "http/1.1"}), "");
    EXPECT_EQ(negotiated_alpn({"h2"}, {}), "");
}

TEST(alpn, no_overlap_alert_is_reported_on_both_sides)
{
    auto cctx = must_build(std::move(client_builder().alpn({"h2"})));
    auto sctx = must_build(std::move(server_builder(pki::get().valid).alpn({"http/1.1"})));
    auto c = connect(cctx, sctx, "localhost");
    ASSERT_FALSE(c.result.client);
    EXPECT_EQ(c.result.client.error(), errc::no_alpn_overlap);
    EXPECT_TRUE(has(c.client.failure_text(), "(h2)")) << c.client.failure_text();
    EXPECT_TRUE(has(c.client.failure_text(), "no application protocol")) << c.client.failure_text();
    ASSERT_FALSE(c.result.server);
    EXPECT_EQ(c.result.server.error(), errc::no_alpn_overlap);
}

TEST(alpn, ignored_alpn_fails_only_when_required)
{
    auto sctx = must_build(std::move(
        server_builder(pki::get().valid).alpn({"http/1.1"}).on_alpn_mismatch(alpn_mismatch::ignore)));
    auto relaxed = connect(must_build(std::move(client_builder().alpn({"h2"}))), sctx, "localhost");
    ASSERT_TRUE(relaxed.result.client) << relaxed.client.failure_text();
    EXPECT_EQ(relaxed.client.facts().alpn, "");
    auto strict =
        connect(must_build(std::move(client_builder().alpn({"h2"}).require_alpn(true))), sctx, "localhost");
    ASSERT_FALSE(strict.result.client);
    EXPECT_EQ(strict.result.client.error(), errc::no_alpn_overlap);
    EXPECT_TRUE(has(strict.client.failure_text(), "selected none")) << strict.client.failure_text();
}

TEST(version, server_max_12_refuses_client_min_13)
{
    auto cctx = must_build(std::move(client_builder().min_version(tls_version::tls1_3)));
    auto sctx = must_build(std::move(server_builder(pki::get().valid).max_version(tls_version::tls1_2)));
    auto c = connect(cctx, sctx, "localhost");
    ASSERT_FALSE(c.result.client);
    EXPECT_EQ(c.result.client.error(), errc::protocol_version);
    EXPECT_TRUE(has(c.client.failure_text(), "protocol version")) << c.client.failure_text();
    ASSERT_FALSE(c.result.server);
    EXPECT_EQ(c.result.server.error(), errc::protocol_version);
    EXPECT_FALSE(c.server.failure_text().empty());
}

TEST(version, tls12_is_negotiated_when_the_server_caps_it)
{
    auto sctx = must_build(std::move(server_builder(pki::get().valid).max_version(tls_version::tls1_2)));
    auto c = connect(must_build(std::move(client_builder().alpn({"h2"}))), sctx, "localhost");
    ASSERT_TRUE(c.result.client) << c.client.failure_text();
    EXPECT_EQ(c.client.facts().version, "TLSv1.2");
    EXPECT_FALSE(c.client.facts().cipher.empty());
}

TEST(version, chosen_ciphersuite_is_reported)
{
    auto cctx = must_build(std::move(client_builder().ciphersuites("TLS_CHACHA20_POLY1305_SHA256")));
    auto c = connect(cctx, must_build(server_builder(pki::get().valid)), "localhost");
    ASSERT_TRUE(c.result.client) << c.client.failure_text();
    EXPECT_EQ(c.client.facts().cipher, "TLS_CHACHA20_POLY1305_SHA256");
}

context mtls_server(std::optional<tls_version> max = std::nullopt)
{
    auto b = server_builder(pki::get().valid);
    b.require_client_certificate(true).ca_pem(pki::get().ca.pem().certificate);
    if (max) {
        b.max_version(*max);
    }
    return must_build(std::move(b));
}

TEST(mtls, client_certificate_is_accepted_and_visible_to_the_server)
{
    const auto& p = pki::get();
    auto cctx =
        must_build(std::move(client_builder().certificate_pem(p.client.certificate, p.client.private_key)));
    auto c = connect(cctx, mtls_server(), "localhost");
    ASSERT_TRUE(c.result.client) << c.client.failure_text();
    ASSERT_TRUE(c.result.server) << c.server.failure_text();
    EXPECT_EQ(c.server.facts().leaf_subject, "CN=probe-client");
    EXPECT_EQ(c.server.facts().verify_code, 0);
}

TEST(mtls, missing_client_certificate_tls13_alert_arrives_after_the_handshake)
{
    auto c = connect(must_build(client_builder()), mtls_server(), "localhost");
    // RFC 8446 §4.4: the TLS 1.3 client finishes before the server judges its certificate.
    ASSERT_TRUE(c.result.client) << c.client.failure_text();
    ASSERT_FALSE(c.result.server);
    EXPECT_EQ(c.result.server.error(), errc::client_certificate_required);
    std::vector<std::byte> buf(64);
    auto r = c.client.read_plain(buf);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), errc::client_certificate_required);
    EXPECT_TRUE(has(c.client.failure_text(), "certificate required")) << c.client.failure_text();
}

TEST(mtls, missing_client_certificate_tls12_fails_the_handshake_with_the_alert_name)
{
    auto c = connect(must_build(client_builder()), mtls_server(tls_version::tls1_2), "localhost");
    ASSERT_FALSE(c.result.client);
    EXPECT_EQ(c.result.client.error(), errc::alert_received);
    EXPECT_TRUE(has(c.client.failure_text(),
                    "The server aborted the handshake with a fatal alert: handshake failure"))
        << c.client.failure_text();
    ASSERT_FALSE(c.result.server);
    EXPECT_EQ(c.result.server.error(), errc::client_certificate_required);
}

TEST(mtls, client_certificate_from_an_unknown_ca_is_rejected)
{
    const auto& p = pki::get();
    auto cctx =
        must_build(std::move(client_builder().certificate_pem(p.foreign.certificate, p.foreign.private_key)));
    auto c = connect(cctx, mtls_server(), "localhost");
    ASSERT_FALSE(c.result.server);
    EXPECT_EQ(c.result.server.error(), errc::untrusted_issuer);
    std::vector<std::byte> buf(64);
    auto r = c.client.read_plain(buf);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), errc::alert_received);
    EXPECT_TRUE(has(c.client.failure_text(), "unknown CA")) << c.client.failure_text();
}

} // namespace
} // namespace wsp::tls::test
