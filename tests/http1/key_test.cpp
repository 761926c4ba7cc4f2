// Tests for http1/key.cpp and detail/base64.cpp: RFC 6455 §1.3 golden pair, key generation
// through an injected entropy source, and strict key validation.
#include "http1/key.h"

#include <gtest/gtest.h>

#include <cstring>
#include <set>
#include <string>

#include "http1/detail/base64.h"

namespace {

using namespace wsp::http1;

// Fills the RFC 6455 §1.3 sample nonce, or fails on request.
class fixed_entropy final : public entropy_source {
public:
    explicit fixed_entropy(bool ok = true) : ok_(ok) {}
    bool fill(std::span<std::uint8_t, 16> out) noexcept override
    {
        std::memcpy(out.data(), "the sample nonce", 16);
        return ok_;
    }

private:
    bool ok_;
};

TEST(compute_accept, rfc6455_section_1_3_golden_pair)
{
    EXPECT_EQ(compute_accept("dGhlIHNhbXBsZSBub25jZQ==").view(), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(compute_accept, depends_on_every_key_byte)
{
    EXPECT_NE(compute_accept("dGhlIHNhbXBsZSBub25jZQ==").view(),
              compute_accept("dGhlIHNhbXBsZSBub25jZq==").view());
    EXPECT_EQ(compute_accept("").view(), "Kfh9QIsMVZcl6xEPYxPHzW8SZ8w=");
}

TEST(make_key, encodes_the_injected_nonce)
{
    fixed_entropy source;
    auto key = make_key(source);
    ASSERT_TRUE(key);
    EXPECT_EQ(key->view(), "dGhlIHNhbXBsZSBub25jZQ==");
}

TEST(make_key, a_failing_source_is_an_error)
{
    fixed_entropy source(false);
    auto key = make_key(source);
    ASSERT_FALSE(key);
    EXPECT_EQ(key.error().name(), "entropy_failed");
    EXPECT_EQ(key.error().cls(), wsp::failure_class::internal);
}

TEST(make_key, openssl_keys_are_valid_and_fresh)
{
    openssl_entropy source;
    std::set<std::string> seen;
    for (int i = 0; i < 32; ++i) {
        auto key = make_key(source);
        ASSERT_TRUE(key);
        EXPECT_TRUE(is_valid_key(key->view()));
        seen.insert(std::string(key->view()));
    }
    EXPECT_EQ(seen.size(), 32u);
}

TEST(is_valid_key, accepts_only_canonical_base64_of_16_bytes)
{
    EXPECT_TRUE(is_valid_key("dGhlIHNhbXBsZSBub25jZQ=="));
    EXPECT_TRUE(is_valid_key("AAAAAAAAAAAAAAAAAAAAAA=="));
    EXPECT_FALSE(is_valid_key(""));
    EXPECT_FALSE(is_valid_key("dGhlIHNhbXBsZSBub25jZQ="));   // short
    EXPECT_FALSE(is_valid_key("dGhlIHNhbXBsZSBub25jZQ===")); // long
    EXPECT_FALSE(is_valid_key("dGhlIHNhbXBsZSBub25jZQAA"));  // no padding
    EXPECT_FALSE(is_valid_key("dGhlIHNhbXBsZSBub25jZR=="));  // non-zero pad bits
    EXPECT_FALSE(is_valid_key("dGhlIHNhbXBs=SBub25jZQ=="));  // padding inside
    EXPECT_FALSE(is_valid_key("dGhlIHNhbXBsZSBub25jZ-=="));  // base64url alphabet
    EXPECT_FALSE(is_valid_key("dGhlIHNhbXBsZSBub25jZQ=A"));
}

TEST(base64, rfc4648_test_vectors)
{
    const std::pair<std::string, std::string> vectors[] = {{"", ""},
                                                           {"f", "Zg=="},
                                                           {"fo", "Zm8="},
                                                           {"foo", "Zm9v"},
                                                           {"foob", "Zm9vYg=="},
                                                           {"fooba", "Zm9vYmE="},
                                                           {"foobar", "Zm9vYmFy"}};
    for (const auto& [plain, encoded] : vectors) {
        std::string out(detail::base64_size(plain.size()), '?');
        detail::base64_encode({reinterpret_cast<const std::uint8_t*>(plain.data()), plain.size()},
                              out.data());
        EXPECT_EQ(out, encoded);
        std::vector<std::uint8_t> back(plain.size());
        ASSERT_TRUE(detail::base64_decode_exact(encoded, back)) << encoded;
        EXPECT_EQ(std::string(back.begin(), back.end()), plain);
    }
}

} // namespace
