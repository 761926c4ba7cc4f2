// Connect phases of a check: DNS (c-ares on the reactor), TCP (each address in turn), TLS.
#include "engine/probe/detail/attempt.h"

#include <ctime>

#include "engine/dns/error.h"
#include "tls/error.h"
#include "tls/session.h"

namespace wsp::probe::detail {
// DNS phase. Literals need no lookup (the phase is not run and has no duration).
rt::task<bool> resolve(attempt& a, address_list* out)
{
    const auto& url = a.spec.url;
    if (url.kind != proto::host_kind::name) {
        auto addr = rt::address::parse(url.host, url.port);
        if (!addr) {
            a.res.fail(phase::dns, addr.error(), "The address " + url.host + " is not a valid IP literal");
            co_return false;
        }
        out->items[0] = *addr;
        out->count = 1;
        co_return true;
    }
    if (a.env.dns == nullptr) {
        a.res.fail(phase::dns, errc::internal, "No DNS resolver is available to look up " + url.host);
        co_return false;
    }
    const auto family = static_cast<dns::address_family>(a.spec.family);
    const std::int64_t start = rt::mono_now();
    const std::int64_t budget = std::max<std::int64_t>(1, std::min(to_ns(a.spec.timeouts.dns), a.overall_end_ns - start));
    auto r = co_await a.env.dns->resolve(url.host, family, budget);
    a.res.set_duration(phase::dns, (r ? r->done_ns : rt::mono_now()) - start);
    if (!r) {
        a.res.fail(phase::dns, r.error(), dns::failure_sentence(url.host, family, r.error()));
        co_return false;
    }
    for (const auto& found : r->addresses()) {
        auto addr = rt::address::from_sockaddr(found.data(), found.length);
        if (addr && out->count < out->items.size()) {
            out->items[out->count] = *addr;
            out->items[out->count].set_port(url.port);
            ++out->count;
        }
    }
    if (out->count == 0) {
        a.res.fail(phase::dns, errc::no_address, "DNS lookup of " + url.host + " returned no usable address");
        co_return false;
    }
    co_return true;
}

namespace {

std::string connect_sentence(const wsp::error& e, const std::string& peer, proto::millis timeout)
{
    if (e == rt::errc::connection_refused) {
        return "Connection refused by " + peer + " (nothing is listening on that port, or a firewall rejects it)";
    }
    if (e == rt::errc::timeout || e == rt::errc::connection_timed_out) {
        return "TCP connect to " + peer + " did not complete within " + ms_text(timeout) +
               " (host down, or a firewall drops the packets)";
    }
    if (e == rt::errc::network_unreachable || e == rt::errc::host_unreachable) {
        return "No route to " + peer + " (" + std::string(e.describe()) + ")";
    }
    if (e == rt::errc::fd_table_full) {
        return "Too many connections open in this wsprobe reactor to connect to " + peer;
    }
    return "TCP connect to " + peer + " failed: " + std::string(e.describe());
}

} // namespace

// TCP phase: tries each address in order until one connects. On success fills `out`.
rt::task<bool> connect(attempt& a, const address_list& addrs, rt::connected* out)
{
    rt::connect_options opt;
    if (a.spec.source_address) {
        auto src = rt::address::parse(*a.spec.source_address, 0);
        if (!src) {
            a.res.fail(phase::tcp, errc::bad_source_address,
                       "--source " + *a.spec.source_address + " is not an IPv4 or IPv6 address");
            co_return false;
        }
        opt.source = *src;
    }
    opt.until = a.until(a.spec.timeouts.connect);
    const std::int64_t start = rt::mono_now();
    wsp::error last;
    std::string last_peer;
    for (std::size_t i = 0; i < addrs.count; ++i) {
        last_peer = addrs.items[i].to_string();
        if (a.env.guard.judge != nullptr) {
            std::string refusal = a.env.guard.judge(a.env.guard.ctx, addrs.items[i].data(), addrs.items[i].size());
            if (!refusal.empty()) {
                a.res.set_duration(phase::tcp, rt::mono_now() - start);
                a.res.peer_address = last_peer;
                a.res.fail(phase::tcp, errc::address_blocked, std::move(refusal));
                co_return false;
            }
        }
        auto c = co_await rt::connect_tcp(*a.env.reactor, addrs.items[i], opt);
        if (c) {
            a.res.set_duration(phase::tcp, c->done_ns - start);
            a.res.peer_address = last_peer;
            *out = *c;
            co_return true;
        }
        last = c.error();
        if (last == rt::errc::timeout || last == rt::errc::fd_table_full || a.overall_expired()) {
            break; // the shared deadline is gone, or trying elsewhere cannot help
        }
    }
    a.res.set_duration(phase::tcp, rt::mono_now() - start);
    a.res.peer_address = last_peer;
    const wsp::error code = last == rt::errc::timeout ? wsp::error(errc::connect_timeout) : last;
    a.res.fail(phase::tcp, code, connect_sentence(last, last_peer, a.spec.timeouts.connect));
    co_return false;
}

// Records a warning; `degrade` lowers an otherwise healthy verdict to degraded.
void warn(attempt& a, std::string why, bool degrade)
{
    a.res.warnings.push_back(std::move(why));
    a.degraded = a.degraded || degrade;
}

// TLS phase (wss): handshake with SNI/ALPN/verification from the context, then the facts.
rt::task<bool> tls_phase(attempt& a, byte_pipe& pipe, std::optional<tls::session>* session, std::int64_t connected_ns,
                         std::int64_t* done_ns)
{
    if (a.env.tls == nullptr) {
        a.res.fail(phase::tls, errc::internal, "No TLS context was configured for wss:// checks");
        co_return false;
    }
    const auto& spec = a.spec;
    auto s = tls::session::client(*a.env.tls, spec.url.host, spec.tls.resume ? a.env.tls_cache : nullptr,
                                  spec.url.authority());
    if (!s) {
        a.res.fail(phase::tls, s.error(), "Could not start a TLS session: " + std::string(s.error().describe()));
        co_return false;
    }
    session->emplace(std::move(*s));
    auto r = co_await pipe.start_tls(&**session, a.until(spec.timeouts.tls), done_ns);
    a.res.set_duration(phase::tls, *done_ns - connected_ns);
    if (!r) {
        const wsp::error& e = r.error();
        if (e == rt::errc::timeout) {
            a.res.fail(phase::tls, errc::tls_timeout,
                       "The TLS handshake did not complete within " + ms_text(spec.timeouts.tls));
        } else if (e.module() == "tls") {
            const std::string& why = (*session)->failure_text();
            a.res.fail(phase::tls, e, why.empty() ? std::string(e.describe()) : why);
        } else {
            a.res.fail(phase::tls, errc::tls_connection_failed,
                       "The connection failed during the TLS handshake: " + std::string(e.describe()));
        }
        co_return false;
    }
    const tls::tls_facts f = (*session)->facts();
    proto::tls_info info;
    info.version = f.version;
    info.cipher = f.cipher;
    info.alpn = f.alpn;
    info.subject = f.leaf_subject;
    info.issuer = f.issuer;
    info.names = f.san_dns;
    info.names.insert(info.names.end(), f.san_ip.begin(), f.san_ip.end());
    info.not_after = f.leaf_not_after_iso;
    info.chain_not_after = f.chain_not_after_iso;
    info.days_left = f.chain_days_left(static_cast<std::int64_t>(std::time(nullptr)));
    info.resumed = f.resumed;
    if (f.verify_code != 0) {
        info.verify = f.verify_text;
        warn(a, "Certificate problem ignored (--insecure): " + f.verify_text, false);
    }
    // An unverifiable chain (accepted only with --insecure) is already reported above; the
    // expiry window judges certificates that verified, so --insecure on an expired one stays up.
    if (f.verify_code == 0 && info.days_left < static_cast<std::int64_t>(spec.tls.cert_warn_days)) {
        warn(a, "The certificate chain expires in " + std::to_string(info.days_left) + " days (" +
                    info.chain_not_after + "), within the " + std::to_string(spec.tls.cert_warn_days) +
                    "-day warning window");
    }
    a.res.tls = std::move(info);
    co_return true;
}

} // namespace wsp::probe::detail
