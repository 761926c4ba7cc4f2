// The TLS scenarios' certificates (RFC 5280 §4.1 validity and §4.2.1.6 subjectAltName) and
// server contexts (RFC 8446 §4.2.1 versions, §4.3.2 CertificateRequest, RFC 7301 §3.2 ALPN).
#include "tools/lab/tls_scenarios.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>
#include <system_error>
#include <utility>

#include "tls/cert_gen.h"
#include "tls/context.h"

namespace wsp::lab {
namespace {

constexpr std::int64_t day = 86'400;

using failure = tl::unexpected<std::string>;

// A not-after `days` whole days from now (negative: in the past), plus an hour so a client's
// floor((not_after - now) / day) shows exactly `days` while the lab runs.
std::int64_t days_ahead(std::int64_t now, std::int64_t days)
{
    return now + days * day + 3'600;
}

// A leaf for every name a loopback client may use: localhost, 127.0.0.1, ::1.
tls::cert_request loopback_leaf(std::string common_name, std::int64_t not_before, std::int64_t not_after)
{
    tls::cert_request r;
    r.common_name = std::move(common_name);
    r.dns_names = {"localhost"};
    r.ip_addresses = {"127.0.0.1", "::1"};
    r.not_before = not_before;
    r.not_after = not_after;
    return r;
}

tls::cert_request authority(std::string common_name, std::int64_t now)
{
    tls::cert_request r;
    r.common_name = std::move(common_name);
    r.not_before = now - day;
    r.not_after = days_ahead(now, 3'650);
    return r;
}

std::string generation_failed(std::string_view what, const wsp::error& e)
{
    return "cannot generate the " + std::string(what) + " certificate: " + std::string(e.describe());
}

tl::expected<tls::pem_pair, std::string> issue(const tls::certificate_authority& ca,
                                               const tls::cert_request& req, std::string_view what)
{
    auto p = ca.issue(req);
    if (!p) {
        return failure(generation_failed(what, p.error()));
    }
    return std::move(*p);
}

tl::expected<void, std::string> make_directory(const std::string& dir)
{
    namespace fs = std::filesystem;
    std::error_code ec;
    const bool created = fs::create_directories(dir, ec);
    if (ec) {
        return failure("--tls-dir " + dir + ": cannot create the directory: " + ec.message());
    }
    if (!fs::is_directory(dir, ec)) {
        return failure("--tls-dir " + dir + ": not a directory");
    }
    if (created) {
        // Private keys go in here: owner only.
        fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, ec);
    }
    if (::access(dir.c_str(), W_OK | X_OK) != 0) {
        return failure("--tls-dir " + dir + ": the directory is not writable: " + std::strerror(errno));
    }
    return {};
}

tl::expected<void, std::string> write_file(const std::string& dir, std::string_view name,
                                           std::string_view pem)
{
    const std::string path = (std::filesystem::path(dir) / name).string();
    if (!tls::write_pem_file(path, pem)) {
        return failure("--tls-dir: cannot write " + path);
    }
    return {};
}

// A server context for `id`, adjusted by `tweak` (versions, client certificates, ALPN).
tl::expected<tls_listener, std::string> listener(std::string_view name, const rt::address& address,
                                                 const tls::pem_pair& id,
                                                 const std::function<void(tls::context_builder&)>& tweak)
{
    auto b = tls::context_builder::server();
    b.certificate_pem(id.certificate, id.private_key);
    if (tweak) {
        tweak(b);
    }
    auto ctx = b.build();
    if (!ctx) {
        return failure("cannot set up the TLS scenario " + std::string(name) + ": " + b.error_text());
    }
    return tls_listener{std::string(name), address, std::move(*ctx)};
}

// Every certificate the scenarios and the files need, from two CAs.
struct material {
    tls::pem_pair ca;
    tls::pem_pair valid, expired, not_yet_valid, self_signed, wrong_host, untrusted, expiring, client, proxy;
};

tl::expected<material, std::string> generate(std::int64_t now)
{
    auto ca = tls::certificate_authority::create(authority("wsprobe-lab CA", now));
    if (!ca) {
        return failure(generation_failed("CA", ca.error()));
    }
    // Signs the `untrusted` leaf; its certificate is never written, so no client trusts it.
    auto rogue = tls::certificate_authority::create(authority("wsprobe-lab untrusted CA", now));
    if (!rogue) {
        return failure(generation_failed("second CA", rogue.error()));
    }
    material m;
    m.ca = ca->pem();
    const std::int64_t start = now - day;
    tls::cert_request wrong_host;
    wrong_host.common_name = "wrong.example";
    wrong_host.dns_names = {"wrong.example", "other.example"};
    wrong_host.not_before = start;
    wrong_host.not_after = days_ahead(now, 90);
    tls::cert_request client;
    client.common_name = "wsprobe-lab client";
    client.not_before = start;
    client.not_after = days_ahead(now, 90);
    struct job {
        const tls::certificate_authority* by;
        tls::cert_request req;
        tls::pem_pair* out;
        std::string_view what;
    };
    // The common names appear in the probe's sentences ("The certificate for CN=wsprobe-lab past
    // expired on ..."), so they name the certificate, not the verdict.
    const job jobs[] = {
        {&*ca, loopback_leaf("wsprobe-lab valid", start, days_ahead(now, 90)), &m.valid, "valid"},
        {&*ca, loopback_leaf("wsprobe-lab past", now - 100 * day, days_ahead(now, -10)), &m.expired,
         "expired"},
        {&*ca, loopback_leaf("wsprobe-lab future", now + 10 * day, now + 100 * day), &m.not_yet_valid,
         "not-yet-valid"},
        {&*ca, wrong_host, &m.wrong_host, "wrong-host"},
        {&*rogue, loopback_leaf("wsprobe-lab untrusted", start, days_ahead(now, 90)), &m.untrusted,
         "untrusted"},
        {&*ca, loopback_leaf("wsprobe-lab short-lived", now - 85 * day, days_ahead(now, 5)), &m.expiring,
         "expiring"},
        {&*ca, client, &m.client, "client"},
        {&*ca, loopback_leaf("wsprobe-lab nginx", start, days_ahead(now, 90)), &m.proxy, "nginx"},
    };
    for (const job& j : jobs) {
        auto p = issue(*j.by, j.req, j.what);
        if (!p) {
            return failure(p.error());
        }
        *j.out = std::move(*p);
    }
    auto self = tls::make_self_signed(loopback_leaf("localhost", start, days_ahead(now, 90)));
    if (!self) {
        return failure(generation_failed("self-signed", self.error()));
    }
    m.self_signed = std::move(*self);
    return m;
}

} // namespace

const std::vector<tls_scenario_info>& tls_scenario_list()
{
    static const std::vector<tls_scenario_info> list = {
        {"valid", "signed by ca.pem for localhost, 127.0.0.1 and ::1, 90 days left"},
        {"expired", "expired 10 days ago"},
        {"not-yet-valid", "valid from 10 days from now"},
        {"self-signed", "self-signed, for localhost and 127.0.0.1"},
        {"wrong-host", "signed by ca.pem for wrong.example and other.example only"},
        {"untrusted", "signed by a second CA that is not written to the directory"},
        {"expiring", "signed by ca.pem, 5 days left"},
        {"tls12-only", "the valid certificate, server speaks TLS 1.2 at most"},
        {"mtls", "the valid certificate, requires a client certificate signed by ca.pem"},
        {"alpn-h2-only", "the valid certificate, accepts only ALPN h2 (then HTTP/2) and alerts otherwise"},
        {"h2", "the valid certificate, ALPN h2 and http/1.1: HTTP/2 (RFC 8441) or HTTP/1.1"},
    };
    return list;
}

tl::expected<std::vector<tls_listener>, std::string>
prepare_tls_scenarios(const std::string& dir, std::int64_t now, const rt::address& address)
{
    auto made = make_directory(dir);
    if (!made) {
        return failure(made.error());
    }
    auto m = generate(now);
    if (!m) {
        return failure(m.error());
    }
    const std::pair<std::string_view, std::string_view> files[] = {
        {tls_ca_file, m->ca.certificate},
        {tls_client_cert_file, m->client.certificate},
        {tls_client_key_file, m->client.private_key},
        {tls_proxy_cert_file, m->proxy.certificate},
        {tls_proxy_key_file, m->proxy.private_key},
    };
    for (const auto& [name, pem] : files) {
        auto w = write_file(dir, name, pem);
        if (!w) {
            return failure(w.error());
        }
    }
    const std::string ca_pem = m->ca.certificate;
    const std::pair<std::string_view, const tls::pem_pair*> plain[] = {
        {"valid", &m->valid},
        {"expired", &m->expired},
        {"not-yet-valid", &m->not_yet_valid},
        {"self-signed", &m->self_signed},
        {"wrong-host", &m->wrong_host},
        {"untrusted", &m->untrusted},
        {"expiring", &m->expiring},
    };
    std::vector<tls_listener> out;
    for (const auto& [name, id] : plain) {
        auto l = listener(name, address, *id, {});
        if (!l) {
            return failure(l.error());
        }
        out.push_back(std::move(*l));
    }
    // RFC 8446 §4.2.1: a TLS 1.3 client finds no common version and gets protocol_version.
    auto tls12 = listener("tls12-only", address, m->valid,
                          [](tls::context_builder& b) { b.max_version(tls::tls_version::tls1_2); });
    // RFC 8446 §4.3.2, §4.4.2.4: CertificateRequest; no certificate -> certificate_required.
    auto mtls = listener("mtls", address, m->valid, [&ca_pem](tls::context_builder& b) {
        b.ca_pem(ca_pem).require_client_certificate(true);
    });
    // RFC 7301 §3.2: no overlap -> fatal no_application_protocol.
    auto h2_only = listener("alpn-h2-only", address, m->valid, [](tls::context_builder& b) {
        b.alpn({"h2"}).on_alpn_mismatch(tls::alpn_mismatch::alert);
    });
    // RFC 7301 §3.2, RFC 9113 §3.2: h2 for clients that offer it (the lab then speaks HTTP/2,
    // h2_connection.h), http/1.1 otherwise; a client offering neither still gets HTTP/1.1. The
    // other listeners select no protocol, so they stay HTTP/1.1-only servers.
    auto h2 = listener("h2", address, m->valid, [](tls::context_builder& b) {
        b.alpn({"h2", "http/1.1"}).on_alpn_mismatch(tls::alpn_mismatch::ignore);
    });
    for (auto* l : {&tls12, &mtls, &h2_only, &h2}) {
        if (!*l) {
            return failure(l->error());
        }
        out.push_back(std::move(**l));
    }
    return out;
}

} // namespace wsp::lab
