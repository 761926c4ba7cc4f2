// tls/context.cpp: option validation and the sentences build() gives for configuration mistakes.
#include "tls/context.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "tests/tls/tls_fixture.h"

namespace wsp::tls::test {
namespace {

bool has(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

std::filesystem::path scratch_dir()
{
    const char* build = std::getenv("WSP_BUILD_DIR");
    auto dir = std::filesystem::path(build != nullptr ? build : "/tmp") / "tls_context_test";
    std::filesystem::create_directories(dir);
    return dir;
}

TEST(context, client_default_uses_the_system_store)
{
    auto b = context_builder::client();
    auto c = b.build();
    ASSERT_TRUE(c) << b.error_text();
    EXPECT_EQ(c->kind(), role::client);
    EXPECT_NE(c->native_handle(), nullptr);
    EXPECT_EQ(SSL_CTX_get_verify_mode(c->native_handle()), SSL_VERIFY_PEER);
    EXPECT_EQ(SSL_CTX_get_min_proto_version(c->native_handle()), TLS1_2_VERSION);
    EXPECT_TRUE(b.error_text().empty());
}

TEST(context, missing_ca_file_names_the_path)
{
    auto b = context_builder::client();
    b.ca_file("/nonexistent/ca.pem");
    auto c = b.build();
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error(), errc::ca_file_unusable);
    EXPECT_EQ(c.error().cls(), wsp::failure_class::config);
    EXPECT_TRUE(has(b.error_text(), "/nonexistent/ca.pem")) << b.error_text();
}

TEST(context, ca_pem_without_certificates_is_rejected)
{
    auto b = context_builder::client();
    b.ca_pem("not a certificate");
    auto c = b.build();
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error(), errc::ca_file_unusable);
}

TEST(context, files_written_by_the_generator_load)
{
    const auto& p = pki::get();
    const auto dir = scratch_dir();
    const std::string ca = (dir / "ca.pem").string();
    const std::string cert = (dir / "leaf.pem").string();
    const std::string key = (dir / "leaf.key").string();
    ASSERT_TRUE(write_pem_file(ca, p.ca.pem().certificate));
    ASSERT_TRUE(write_pem_file(cert, p.valid.certificate));
    ASSERT_TRUE(write_pem_file(key, p.valid.private_key));
    auto cb = context_builder::client();
    cb.ca_file(ca);
    auto sb = context_builder::server();
    sb.certificate_file(cert, key);
    auto c = connect(must_build(std::move(cb)), must_build(std::move(sb)), "localhost");
    EXPECT_TRUE(c.result.client) << c.client.failure_text();
    std::filesystem::remove_all(dir);
}

TEST(context, server_needs_a_matching_certificate_and_key)
{
    const auto& p = pki::get();
    auto none = context_builder::server();
    EXPECT_EQ(none.build().error(), errc::certificate_unusable);
    EXPECT_TRUE(has(none.error_text(), "needs a certificate")) << none.error_text();

    auto mismatched = context_builder::server();
    mismatched.certificate_pem(p.valid.certificate, p.expired.private_key);
    EXPECT_EQ(mismatched.build().error(), errc::certificate_unusable);
    EXPECT_TRUE(has(mismatched.error_text(), "does not match")) << mismatched.error_text();

    auto garbage = context_builder::server();
    garbage.certificate_pem("junk", p.valid.private_key);
    EXPECT_EQ(garbage.build().error(), errc::certificate_unusable);

    auto missing = context_builder::server();
    missing.certificate_file("/nonexistent/cert.pem", "/nonexistent/key.pem");
    EXPECT_EQ(missing.build().error(), errc::certificate_unusable);
    EXPECT_TRUE(has(missing.error_text(), "/nonexistent/cert.pem")) << missing.error_text();
}

TEST(context, invalid_options_are_rejected_with_a_reason)
{
    auto empty_alpn = context_builder::client();
    empty_alpn.alpn({"h2", ""});
    EXPECT_EQ(empty_alpn.build().error(), errc::invalid_option);
    EXPECT_TRUE(has(empty_alpn.error_text(), "ALPN")) << empty_alpn.error_text();

    auto long_alpn = context_builder::client();
    long_alpn.alpn({std::string(256, 'a')});
    EXPECT_EQ(long_alpn.build().error(), errc::invalid_option);

    auto inverted = context_builder::client();
    inverted.min_version(tls_version::tls1_3).max_version(tls_version::tls1_2);
    EXPECT_EQ(inverted.build().error(), errc::invalid_option);

    auto suites = context_builder::client();
    suites.ciphersuites("TLS_NOT_A_SUITE");
    EXPECT_EQ(suites.build().error(), errc::invalid_option);
    EXPECT_TRUE(has(suites.error_text(), "TLS_NOT_A_SUITE")) << suites.error_text();

    auto list = context_builder::client();
    list.cipher_list("NOT-A-CIPHER");
    EXPECT_EQ(list.build().error(), errc::invalid_option);

    auto mtls = server_builder(pki::get().valid);
    mtls.require_client_certificate(true);
    EXPECT_EQ(mtls.build().error(), errc::invalid_option);
    EXPECT_TRUE(has(mtls.error_text(), "ca_file")) << mtls.error_text();
}

TEST(context, copies_share_one_ssl_ctx)
{
    const auto a = must_build(client_builder());
    const context b = a; // NOLINT(performance-unnecessary-copy-initialization): the copy is the point
    EXPECT_EQ(a.native_handle(), b.native_handle());
    EXPECT_NE(SSL_CTX_get_mode(a.native_handle()) & SSL_MODE_RELEASE_BUFFERS, 0);
}

} // namespace
} // namespace wsp::tls::test
