// tls/cert_gen.cpp: generated certificates carry the requested names, validity and extensions.
#include "tls/cert_gen.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <openssl/pem.h>

#include "tests/tls/tls_fixture.h"
#include "tls/detail/x509_info.h"

namespace wsp::tls::test {
namespace {

detail::x509_ptr parse(const std::string& pem)
{
    detail::bio_ptr in(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    return detail::x509_ptr(PEM_read_bio_X509(in.get(), nullptr, nullptr, nullptr));
}

int key_type(const std::string& pem)
{
    detail::bio_ptr in(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    detail::pkey_ptr key(PEM_read_bio_PrivateKey(in.get(), nullptr, nullptr, nullptr));
    return key ? EVP_PKEY_get_base_id(key.get()) : 0;
}

TEST(cert_gen, leaf_has_requested_names_validity_and_issuer)
{
    const auto& p = pki::get();
    auto leaf = parse(p.valid.certificate);
    ASSERT_TRUE(leaf);
    const auto s = detail::summarize(leaf.get());
    EXPECT_EQ(s.subject, "CN=localhost");
    EXPECT_EQ(s.issuer, "CN=wsprobe test CA");
    EXPECT_EQ(s.san_dns, (std::vector<std::string>{"localhost", "ws.test"}));
    EXPECT_EQ(s.san_ip, (std::vector<std::string>{"127.0.0.1", "::1"}));
    EXPECT_EQ(s.not_before, p.now - day);
    EXPECT_EQ(s.not_after, p.valid_not_after);
    EXPECT_EQ(X509_check_ca(leaf.get()), 0);
    EXPECT_EQ(X509_check_purpose(leaf.get(), X509_PURPOSE_SSL_SERVER, 0), 1);
    EXPECT_EQ(X509_check_purpose(leaf.get(), X509_PURPOSE_SSL_CLIENT, 0), 1);
    EXPECT_EQ(key_type(p.valid.private_key), EVP_PKEY_EC);

    auto ca = parse(p.ca.pem().certificate);
    ASSERT_TRUE(ca);
    EXPECT_EQ(X509_check_ca(ca.get()), 1);
    EXPECT_EQ(X509_check_issued(ca.get(), leaf.get()), X509_V_OK);
    EXPECT_NE(X509_check_issued(parse(p.other_ca.pem().certificate).get(), leaf.get()), X509_V_OK);
}

TEST(cert_gen, self_signed_leaf_is_its_own_issuer_but_not_a_ca)
{
    auto cert = parse(pki::get().self_signed.certificate);
    ASSERT_TRUE(cert);
    EXPECT_EQ(X509_NAME_cmp(X509_get_subject_name(cert.get()), X509_get_issuer_name(cert.get())), 0);
    EXPECT_EQ(X509_verify(cert.get(), X509_get0_pubkey(cert.get())), 1); // signed by its own key
    // A non-CA key usage: it may not sign certificates, itself included.
    EXPECT_EQ(X509_check_issued(cert.get(), cert.get()), X509_V_ERR_KEYUSAGE_NO_CERTSIGN);
    EXPECT_EQ(X509_check_ca(cert.get()), 0);
}

TEST(cert_gen, rsa_keys_and_serials_differ)
{
    const auto& p = pki::get();
    auto rsa = p.ca.issue({"rsa", {"rsa.test"}, {}, p.now, p.now + day, key_kind::rsa_2048});
    ASSERT_TRUE(rsa);
    EXPECT_EQ(key_type(rsa->private_key), EVP_PKEY_RSA);
    auto a = parse(p.valid.certificate);
    auto b = parse(p.expired.certificate);
    EXPECT_NE(ASN1_INTEGER_cmp(X509_get0_serialNumber(a.get()), X509_get0_serialNumber(b.get())), 0);
}

TEST(cert_gen, bad_ip_text_fails_cleanly)
{
    const auto& p = pki::get();
    auto bad = p.ca.issue({"x", {}, {"not-an-ip"}, p.now, p.now + day});
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error(), errc::cert_generation_failed);
}

TEST(cert_gen, far_future_dates_use_generalized_time)
{
    const auto& p = pki::get();
    const std::int64_t y2100 = epoch_from_civil(2100, 1, 1, 0, 0, 0);
    auto leaf = p.ca.issue({"long", {"long.test"}, {}, p.now, y2100});
    ASSERT_TRUE(leaf);
    EXPECT_EQ(detail::summarize(parse(leaf->certificate).get()).not_after, y2100);
}

TEST(cert_gen, pem_file_is_private_and_exact)
{
    const char* build = std::getenv("WSP_BUILD_DIR");
    const auto path = std::filesystem::path(build != nullptr ? build : "/tmp") / "tls_cert_gen_test.key";
    ASSERT_TRUE(write_pem_file(path.string(), pki::get().valid.private_key));
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    EXPECT_EQ(text.str(), pki::get().valid.private_key);
    std::filesystem::remove(path);
    EXPECT_EQ(write_pem_file("/nonexistent/dir/x.pem", "x").error(), errc::file_write_failed);
}

// SAN iPAddress entries come back as RFC 5952 text (longest zero run compressed, lower case).
TEST(cert_gen, ip_sans_are_reported_in_rfc5952_form)
{
    const auto& p = pki::get();
    auto leaf = make_self_signed({"ips",
                                  {},
                                  {"2001:DB8:0:0:1:0:0:1", "fe80::", "10.0.0.255", "1:0:0:2:0:0:0:3"},
                                  p.now - day,
                                  p.now + day});
    ASSERT_TRUE(leaf);
    auto cert = parse(leaf->certificate);
    ASSERT_TRUE(cert);
    const auto s = detail::summarize(cert.get());
    EXPECT_EQ(s.san_ip, (std::vector<std::string>{"2001:db8::1:0:0:1", "fe80::", "10.0.0.255", "1:0:0:2::3"}));
}

} // namespace
} // namespace wsp::tls::test
