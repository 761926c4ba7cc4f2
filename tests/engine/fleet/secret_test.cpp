#include "engine/fleet/secret.h"

#include <gtest/gtest.h>

#include <map>

#include "engine/fleet/detail/text.h"

using namespace wsp::fleet;

namespace {

constexpr std::string_view hex_key = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

master_key test_key()
{
    return *parse_master_key(hex_key);
}

master_key other_key()
{
    return *parse_master_key("ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff");
}

// Re-encodes a sealed value with its decoded blob changed by `edit`.
template <class Edit> std::string edited(std::string_view sealed, Edit edit)
{
    auto blob = *detail::base64_decode(sealed.substr(sealed_prefix.size()));
    edit(blob);
    return std::string(sealed_prefix) + detail::base64_encode(blob);
}

secret_sources fake_sources(std::map<std::string, std::string, std::less<>> env,
                            std::map<std::string, std::string, std::less<>> files)
{
    secret_sources s;
    s.env = [env](std::string_view n) -> std::optional<std::string> {
        auto it = env.find(n);
        return it == env.end() ? std::nullopt : std::optional<std::string>(it->second);
    };
    s.read_file = [files](std::string_view p) -> std::optional<std::string> {
        auto it = files.find(p);
        return it == files.end() ? std::nullopt : std::optional<std::string>(it->second);
    };
    return s;
}

} // namespace

TEST(master_key, parses_hex_and_base64)
{
    const auto a = parse_master_key(hex_key);
    ASSERT_TRUE(a);
    const auto b = parse_master_key(master_key_text(*a) + "\n");
    ASSERT_TRUE(b);
    EXPECT_TRUE(std::equal(a->bytes().begin(), a->bytes().end(), b->bytes().begin()));
    EXPECT_EQ(a->bytes()[31], 0x1f);
}

TEST(master_key, refuses_wrong_lengths_and_alphabets)
{
    for (std::string_view bad :
         {std::string_view(""), hex_key.substr(2), std::string_view("zz"),
          std::string_view("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=="), // 31 bytes
          std::string_view("g00102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")}) {
        auto k = parse_master_key(bad);
        ASSERT_FALSE(k) << bad;
        EXPECT_EQ(k.error(), errc::bad_master_key);
    }
}

TEST(master_key, generated_keys_differ)
{
    auto a = generate_master_key();
    auto b = generate_master_key();
    ASSERT_TRUE(a && b);
    EXPECT_NE(master_key_text(*a), master_key_text(*b));
    EXPECT_TRUE(parse_master_key(master_key_text(*a)));
}

TEST(master_key, environment_wins_over_the_key_file)
{
    const std::string env_key(hex_key);
    const std::string file_key = master_key_text(other_key()) + "\n";
    auto both = load_master_key(fake_sources({{"WSPROBE_MASTER_KEY", env_key}}, {{"/k", file_key}}), "/k");
    ASSERT_TRUE(both && *both);
    EXPECT_EQ((*both)->bytes()[0], 0x00);
    auto file_only = load_master_key(fake_sources({}, {{"/k", file_key}}), "/k");
    ASSERT_TRUE(file_only && *file_only);
    EXPECT_EQ((*file_only)->bytes()[0], 0xff);
    auto none = load_master_key(fake_sources({}, {}), std::nullopt);
    ASSERT_TRUE(none);
    EXPECT_FALSE(*none);
    auto missing = load_master_key(fake_sources({}, {}), "/nope");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error(), errc::secret_unavailable);
    auto bad = load_master_key(fake_sources({{"WSPROBE_MASTER_KEY", "short"}}, {}), std::nullopt);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error(), errc::bad_master_key);
}

TEST(sealed, round_trips_and_uses_a_fresh_nonce)
{
    const master_key key = test_key();
    for (std::string_view plain : {std::string_view(""), std::string_view("s3cr3t-token"),
                                   std::string_view("a longer value with\nnewlines and \xc3\xa9")}) {
        auto a = seal_secret(plain, key);
        auto b = seal_secret(plain, key);
        ASSERT_TRUE(a && b);
        EXPECT_TRUE(is_sealed(*a));
        EXPECT_NE(*a, *b); // a random 96-bit nonce per sealing
        EXPECT_EQ(a->find(plain.empty() ? "\x01" : plain), std::string::npos);
        EXPECT_EQ(*open_secret(*a, key), plain);
        EXPECT_EQ(*open_secret(*b, key), plain);
    }
}

TEST(sealed, every_bit_flip_is_detected)
{
    const master_key key = test_key();
    const std::string sealed = *seal_secret("bearer abc", key);
    const std::size_t blob_size = detail::base64_decode(sealed.substr(sealed_prefix.size()))->size();
    ASSERT_EQ(blob_size, 12 + 10 + 16u);
    for (std::size_t byte = 0; byte < blob_size; ++byte) {
        for (int bit = 0; bit < 8; ++bit) {
            const std::string t =
                edited(sealed, [&](auto& b) { b[byte] ^= static_cast<std::uint8_t>(1 << bit); });
            auto r = open_secret(t, key);
            ASSERT_FALSE(r) << byte << ":" << bit;
            EXPECT_EQ(r.error(), errc::secret_tampered);
        }
    }
}

TEST(sealed, truncation_extension_and_wrong_key_are_detected)
{
    const master_key key = test_key();
    const std::string sealed = *seal_secret("bearer abc", key);
    const std::size_t blob_size = detail::base64_decode(sealed.substr(sealed_prefix.size()))->size();
    for (std::size_t keep = 0; keep < blob_size; ++keep) {
        auto r = open_secret(edited(sealed, [&](auto& b) { b.resize(keep); }), key);
        ASSERT_FALSE(r) << keep;
        EXPECT_EQ(r.error(), keep < 28 ? errc::bad_secret_format : errc::secret_tampered) << keep;
    }
    auto longer = open_secret(edited(sealed, [](auto& b) { b.push_back(0); }), key);
    ASSERT_FALSE(longer);
    EXPECT_EQ(longer.error(), errc::secret_tampered);
    auto wrong = open_secret(sealed, other_key());
    ASSERT_FALSE(wrong);
    EXPECT_EQ(wrong.error(), errc::secret_tampered);
}

TEST(sealed, malformed_texts)
{
    const master_key key = test_key();
    for (std::string_view bad : {"", "enc:v1:", "enc:v2:AAAA", "enc:v1:not base64!", "plain"}) {
        auto r = open_secret(bad, key);
        ASSERT_FALSE(r) << bad;
        EXPECT_EQ(r.error(), errc::bad_secret_format) << bad;
    }
}

TEST(resolve_secret, from_each_source)
{
    const master_key key = test_key();
    const auto sources = fake_sources({{"TOKEN", "from-env"}}, {{"/run/secret", "from-file\r\n"}});
    EXPECT_EQ(*resolve_secret({secret_kind::literal, "plain"}, sources, nullptr), "plain");
    EXPECT_EQ(*resolve_secret({secret_kind::env, "TOKEN"}, sources, nullptr), "from-env");
    EXPECT_EQ(*resolve_secret({secret_kind::file, "/run/secret"}, sources, nullptr), "from-file");
    const std::string sealed = *seal_secret("from-seal", key);
    EXPECT_EQ(*resolve_secret({secret_kind::sealed, sealed}, sources, &key), "from-seal");

    EXPECT_EQ(resolve_secret({secret_kind::env, "NOPE"}, sources, nullptr).error(), errc::secret_unavailable);
    EXPECT_EQ(resolve_secret({secret_kind::file, "/nope"}, sources, nullptr).error(),
              errc::secret_unavailable);
    EXPECT_EQ(resolve_secret({secret_kind::sealed, sealed}, sources, nullptr).error(), errc::no_master_key);
    EXPECT_EQ(resolve_secret({secret_kind::env, "TOKEN"}, secret_sources{}, nullptr).error(),
              errc::secret_unavailable);
}
