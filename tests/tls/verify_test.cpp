// tls/detail/diagnose.cpp through real handshakes: each certificate problem yields its own errc
// and a sentence naming the date, issuer or names; insecure mode completes but records it.
#include <gtest/gtest.h>

#include "tests/tls/tls_fixture.h"
#include "tls/detail/diagnose.h"

namespace wsp::tls::test {
namespace {

bool has(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

struct verify_case {
    connected c;
    wsp::error client_error;
};

verify_case attempt(const pem_pair& leaf, std::string_view host, bool insecure = false)
{
    auto cctx = must_build(std::move(client_builder().insecure(insecure)));
    verify_case v{connect(cctx, must_build(server_builder(leaf)), host), {}};
    if (!v.c.result.client) {
        v.client_error = v.c.result.client.error();
    }
    return v;
}

TEST(verify, expired_leaf_names_the_date)
{
    const auto& p = pki::get();
    auto v = attempt(p.expired, "localhost");
    EXPECT_EQ(v.client_error, errc::certificate_expired);
    EXPECT_EQ(v.client_error.cls(), wsp::failure_class::tls);
    EXPECT_TRUE(has(v.c.client.failure_text(), "expired on " + iso8601(p.expired_not_after)))
        << v.c.client.failure_text();
    EXPECT_TRUE(has(v.c.client.failure_text(), "CN=old.test")) << v.c.client.failure_text();
    // The server sees the client's RFC 8446 §6.2 alert.
    ASSERT_FALSE(v.c.result.server);
    EXPECT_EQ(v.c.result.server.error(), errc::alert_received);
    EXPECT_TRUE(has(v.c.server.failure_text(), "certificate expired")) << v.c.server.failure_text();
}

TEST(verify, not_yet_valid_leaf_names_the_date)
{
    const auto& p = pki::get();
    auto v = attempt(p.not_yet_valid, "localhost");
    EXPECT_EQ(v.client_error, errc::certificate_not_yet_valid);
    EXPECT_TRUE(has(v.c.client.failure_text(), "not valid until " + iso8601(p.future_not_before)))
        << v.c.client.failure_text();
}

TEST(verify, wrong_host_lists_the_names_the_certificate_has)
{
    auto v = attempt(pki::get().wrong_host, "localhost");
    EXPECT_EQ(v.client_error, errc::hostname_mismatch);
    const std::string& t = v.c.client.failure_text();
    EXPECT_TRUE(has(t, "host name localhost")) << t;
    EXPECT_TRUE(has(t, "other.example, *.other.example, 10.9.9.9")) << t;
}

TEST(verify, wildcard_matches_one_label_only)
{
    EXPECT_FALSE(attempt(pki::get().wrong_host, "a.other.example").client_error);
    EXPECT_EQ(attempt(pki::get().wrong_host, "a.b.other.example").client_error, errc::hostname_mismatch);
}

TEST(verify, ip_literal_is_checked_against_san_ip)
{
    auto v = attempt(pki::get().valid, "10.0.0.1");
    EXPECT_EQ(v.client_error, errc::ip_address_mismatch);
    const std::string& t = v.c.client.failure_text();
    EXPECT_TRUE(has(t, "IP address 10.0.0.1")) << t;
    EXPECT_TRUE(has(t, "localhost, ws.test, 127.0.0.1, ::1")) << t;
    EXPECT_FALSE(attempt(pki::get().wrong_host, "10.9.9.9").client_error);
}

TEST(verify, self_signed_leaf_is_untrusted)
{
    auto v = attempt(pki::get().self_signed, "localhost");
    EXPECT_EQ(v.client_error, errc::self_signed);
    EXPECT_TRUE(has(v.c.client.failure_text(), "self-signed (issuer CN=selfie)"))
        << v.c.client.failure_text();
}

TEST(verify, unknown_issuer_is_named)
{
    auto v = attempt(pki::get().foreign, "localhost");
    EXPECT_EQ(v.client_error, errc::untrusted_issuer);
    EXPECT_TRUE(has(v.c.client.failure_text(), "issued by CN=untrusted CA")) << v.c.client.failure_text();
}

TEST(verify, system_store_does_not_trust_the_local_ca)
{
    auto cctx = must_build(context_builder::client());
    auto c = connect(cctx, must_build(server_builder(pki::get().valid)), "localhost");
    ASSERT_FALSE(c.result.client);
    EXPECT_EQ(c.result.client.error(), errc::untrusted_issuer);
}

TEST(verify, insecure_completes_but_records_the_problem)
{
    const auto& p = pki::get();
    struct expectation {
        const pem_pair* leaf;
        std::string_view host;
        errc code;
    };
    const expectation cases[] = {
        {&p.expired, "localhost", errc::certificate_expired},
        {&p.not_yet_valid, "localhost", errc::certificate_not_yet_valid},
        {&p.wrong_host, "localhost", errc::hostname_mismatch},
        {&p.valid, "10.0.0.1", errc::ip_address_mismatch},
        {&p.self_signed, "localhost", errc::self_signed},
        {&p.foreign, "localhost", errc::untrusted_issuer},
    };
    for (const auto& e : cases) {
        auto v = attempt(*e.leaf, e.host, true);
        ASSERT_TRUE(v.c.result.client) << e.host << " " << v.c.client.failure_text();
        EXPECT_EQ(*v.c.result.client, status::done);
        ASSERT_TRUE(v.c.result.server);
        const tls_facts f = v.c.client.facts();
        EXPECT_NE(f.verify_code, 0);
        EXPECT_NE(f.verify_text, "ok");
        EXPECT_EQ(f.verify_error, e.code) << f.verify_text;
        EXPECT_FALSE(f.leaf_subject.empty());
        EXPECT_FALSE(v.c.client.failure()); // recorded, not failed
    }
}

TEST(verify, verify_time_from_the_caller_moves_the_validity_check)
{
    const auto& p = pki::get();
    // The same expired certificate is fine when the caller verifies "as of" last month.
    auto cctx = must_build(std::move(client_builder().verify_time(p.expired_not_after - 5 * day)));
    auto c = connect(cctx, must_build(server_builder(p.expired)), "localhost");
    ASSERT_TRUE(c.result.client) << c.client.failure_text();
    EXPECT_EQ(c.client.facts().leaf_days_left(p.expired_not_after - 5 * day), 5);
    EXPECT_LT(c.client.facts().leaf_days_left(p.now), 0);
}

TEST(verify, every_verify_code_maps_to_a_tls_errc)
{
    EXPECT_EQ(detail::errc_for_verify(X509_V_OK), errc::ok);
    EXPECT_EQ(detail::errc_for_verify(X509_V_ERR_CERT_REVOKED), errc::certificate_invalid);
    EXPECT_EQ(detail::errc_for_verify(X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN), errc::untrusted_issuer);
    detail::verify_record rec;
    rec.code = X509_V_ERR_CERT_REVOKED;
    rec.depth = 1;
    rec.cert.subject = "CN=mid";
    const auto info = detail::verify_failure(rec, "h", false);
    EXPECT_EQ(info.code, errc::certificate_invalid);
    EXPECT_TRUE(has(info.text, "certificate revoked")) << info.text;
    EXPECT_TRUE(has(info.text, "The CA certificate CN=mid")) << info.text;
}

} // namespace
} // namespace wsp::tls::test
