#include "engine/fleet/metrics.h"

#include <gtest/gtest.h>

#include "tests/engine/fleet/exposition_check.h"

using namespace wsp::fleet;
using wsp::proto::check_result;
using wsp::proto::check_status;
using wsp::proto::phase;

namespace {

check_result wss_result()
{
    check_result r;
    r.status = check_status::degraded;
    r.url = "wss://chat.example.com/ws";
    r.peer_address = "[2001:db8::1]:443";
    r.set_duration(phase::dns, 5'000'000);
    r.set_duration(phase::tcp, 10'000'000);
    r.set_duration(phase::tls, 20'000'000);
    r.set_duration(phase::upgrade, 30'000'000);
    r.set_duration(phase::rtt, 250'000'000);
    r.set_duration(phase::close, 1'000'000);
    r.total_ns = 316'000'000;
    r.rtt_ns = 250'000'000;
    r.negotiated.http_version = "http/1.1";
    r.negotiated.status = 101;
    r.close.code = 1000;
    wsp::proto::tls_info t;
    t.version = "TLSv1.3";
    t.cipher = "TLS_AES_128_GCM_SHA256";
    t.subject = "CN=chat.example.com";
    t.issuer = "CN=Test \"CA\"";
    t.names = {"chat.example.com", "*.example.com"};
    t.chain_not_after = "2026-01-31T00:00:00Z";
    r.tls = t;
    return r;
}

} // namespace

TEST(probe_response, blackbox_names_and_finer_phases)
{
    const std::string out = render_probe_response(wss_result(), 9.5);
    const auto e = wsp::fleet::test::read_exposition(out);
    ASSERT_EQ(e.problem, "") << out;
    EXPECT_EQ(e.samples.at("probe_success"), 1);
    EXPECT_EQ(e.samples.at("probe_websocket_degraded"), 1);
    EXPECT_DOUBLE_EQ(e.samples.at("probe_duration_seconds"), 0.316);
    EXPECT_DOUBLE_EQ(e.samples.at("probe_timeout_seconds"), 9.5);
    EXPECT_DOUBLE_EQ(e.samples.at("probe_dns_lookup_time_seconds"), 0.005);
    EXPECT_EQ(e.samples.at("probe_ip_protocol"), 6);
    EXPECT_EQ(e.samples.count("probe_ip_addr_hash"), 1u);
    EXPECT_EQ(e.samples.at("probe_http_ssl"), 1);
    EXPECT_DOUBLE_EQ(e.samples.at("probe_http_version"), 1.1);
    EXPECT_EQ(e.samples.at("probe_websocket_status_code"), 101);
    EXPECT_EQ(e.samples.at("probe_websocket_connection_upgraded"), 1);
    EXPECT_EQ(e.samples.at("probe_websocket_failed_due_to_regex"), 0);
    const auto phase_s = [&](const char* p) {
        return e.samples.at(std::string("probe_websocket_duration_seconds{phase=\"") + p + "\"}");
    };
    EXPECT_DOUBLE_EQ(phase_s("resolve"), 0.005);
    EXPECT_DOUBLE_EQ(phase_s("connect"), 0.01);
    EXPECT_DOUBLE_EQ(phase_s("processing"), 0.05); // TLS + upgrade, as the exporter lumps them
    EXPECT_DOUBLE_EQ(phase_s("transfer"), 0.251);
    EXPECT_DOUBLE_EQ(phase_s("tls"), 0.02);
    EXPECT_DOUBLE_EQ(phase_s("upgrade"), 0.03);
    EXPECT_DOUBLE_EQ(phase_s("app_init"), 0);
    EXPECT_DOUBLE_EQ(phase_s("rtt"), 0.25);
    EXPECT_DOUBLE_EQ(phase_s("close"), 0.001);
    EXPECT_DOUBLE_EQ(e.samples.at("probe_websocket_rtt_seconds"), 0.25);
    EXPECT_EQ(e.samples.at("probe_websocket_close_code"), 1000);
    EXPECT_EQ(e.samples.at("probe_ssl_earliest_cert_expiry"), 1769817600);
    EXPECT_EQ(e.samples.at("probe_ssl_last_chain_expiry_timestamp_seconds"), 1769817600);
    EXPECT_EQ(e.samples.at(R"(probe_tls_version_info{version="TLS 1.3"})"), 1);
    EXPECT_EQ(e.samples.at(R"(probe_tls_cipher_info{cipher="TLS_AES_128_GCM_SHA256"})"), 1);
    EXPECT_EQ(
        e.samples.at(
            R"(probe_ssl_last_chain_info{subject="CN=chat.example.com",issuer="CN=Test \"CA\"",subjectalternative="chat.example.com,*.example.com"})"),
        1);
    EXPECT_EQ(e.samples.count(R"(probe_websocket_failure_info{phase="check",code="ok",class="none"})"), 0u);
}

TEST(probe_response, failed_probe)
{
    check_result r;
    r.fail(phase::upgrade, wsp::error{}, "Server returned 200; expected 101 Switching Protocols");
    r.code = "unexpected_status";
    r.cls = wsp::failure_class::handshake;
    r.peer_address = "127.0.0.1:8080";
    r.negotiated.http_version = "http/1.1";
    r.negotiated.status = 200;
    r.set_duration(phase::dns, 1000);
    r.total_ns = 2000;
    const std::string out = render_probe_response(r, 5);
    const auto e = wsp::fleet::test::read_exposition(out);
    ASSERT_EQ(e.problem, "") << out;
    EXPECT_EQ(e.samples.at("probe_success"), 0);
    EXPECT_EQ(e.samples.at("probe_ip_protocol"), 4);
    EXPECT_EQ(e.samples.at("probe_ip_addr_hash"), 144953630.0); // FNV-1a 32 of "127.0.0.1"
    EXPECT_EQ(e.samples.at("probe_http_ssl"), 0);
    EXPECT_EQ(e.samples.at("probe_websocket_status_code"), 200);
    EXPECT_EQ(e.samples.at("probe_websocket_connection_upgraded"), 0);
    EXPECT_EQ(
        e.samples.at(
            R"(probe_websocket_failure_info{phase="upgrade",code="unexpected_status",class="handshake"})"),
        1);
    EXPECT_EQ(e.types.count("probe_tls_version_info"), 0u);
    EXPECT_EQ(out.find("Server returned"), std::string::npos); // sentences stay out of label values
}
