// h2 error vocabulary: stable names, classes, and RFC 7540 §7 error code names.
#include "h2/error.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

using wsp::h2::errc;

TEST(h2_error, every_code_has_a_distinct_snake_case_name)
{
    std::set<std::string_view> seen;
    const auto last = static_cast<std::uint16_t>(errc::already_responded);
    for (std::uint16_t c = 1; c <= last; ++c) {
        const wsp::error e(domain_of(errc::ok), c);
        const std::string_view n = e.name();
        EXPECT_NE(n, "unknown") << c;
        EXPECT_TRUE(seen.insert(n).second) << n;
        for (char ch : n) {
            EXPECT_TRUE((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_') << n;
        }
        EXPECT_FALSE(e.describe().empty()) << n;
        EXPECT_NE(e.cls(), wsp::failure_class::none) << n;
    }
    EXPECT_EQ(seen.size(), last);
}

TEST(h2_error, names_and_classes_are_stable)
{
    struct row {
        errc code;
        std::string_view name;
        wsp::failure_class cls;
    };
    const row rows[] = {
        {errc::connect_protocol_not_enabled, "connect_protocol_not_enabled", wsp::failure_class::handshake},
        {errc::unexpected_status, "unexpected_status", wsp::failure_class::handshake},
        {errc::subprotocol_mismatch, "subprotocol_mismatch", wsp::failure_class::handshake},
        {errc::stream_reset, "stream_reset", wsp::failure_class::protocol},
        {errc::goaway, "goaway", wsp::failure_class::protocol},
        {errc::session_error, "session_error", wsp::failure_class::protocol},
        {errc::invalid_header, "invalid_header", wsp::failure_class::config},
        {errc::connection_specific_header, "connection_specific_header", wsp::failure_class::config},
        {errc::send_buffer_full, "send_buffer_full", wsp::failure_class::limit},
    };
    for (const row& r : rows) {
        const wsp::error e = r.code;
        EXPECT_EQ(e.name(), r.name);
        EXPECT_EQ(e.cls(), r.cls) << r.name;
        EXPECT_EQ(e.module(), "h2");
        EXPECT_TRUE(e == r.code);
    }
}

TEST(h2_error, rfc7540_error_code_names)
{
    EXPECT_EQ(wsp::h2::error_code_name(0x0), "NO_ERROR");
    EXPECT_EQ(wsp::h2::error_code_name(0x1), "PROTOCOL_ERROR");
    EXPECT_EQ(wsp::h2::error_code_name(0x2), "INTERNAL_ERROR");
    EXPECT_EQ(wsp::h2::error_code_name(0x3), "FLOW_CONTROL_ERROR");
    EXPECT_EQ(wsp::h2::error_code_name(0x4), "SETTINGS_TIMEOUT");
    EXPECT_EQ(wsp::h2::error_code_name(0x5), "STREAM_CLOSED");
    EXPECT_EQ(wsp::h2::error_code_name(0x6), "FRAME_SIZE_ERROR");
    EXPECT_EQ(wsp::h2::error_code_name(0x7), "REFUSED_STREAM");
    EXPECT_EQ(wsp::h2::error_code_name(0x8), "CANCEL");
    EXPECT_EQ(wsp::h2::error_code_name(0x9), "COMPRESSION_ERROR");
    EXPECT_EQ(wsp::h2::error_code_name(0xa), "CONNECT_ERROR");
    EXPECT_EQ(wsp::h2::error_code_name(0xb), "ENHANCE_YOUR_CALM");
    EXPECT_EQ(wsp::h2::error_code_name(0xc), "INADEQUATE_SECURITY");
    EXPECT_EQ(wsp::h2::error_code_name(0xd), "HTTP_1_1_REQUIRED");
    EXPECT_EQ(wsp::h2::error_code_name(0xe), "UNKNOWN_ERROR");
    EXPECT_EQ(wsp::h2::error_code_name(0xffffffff), "UNKNOWN_ERROR");
}

TEST(h2_error, out_of_range_code_is_unknown_internal)
{
    const wsp::error e(domain_of(errc::ok), 9999);
    EXPECT_EQ(e.name(), "unknown");
    EXPECT_EQ(e.cls(), wsp::failure_class::internal);
}
