// --compare-transports: both runs side by side and the verdict on them (RFC 8441 §3 for when a
// client uses HTTP/2 for a WebSocket at all).
#include "engine/probe/compare.h"

#include <algorithm>
#include <utility>

#include "engine/probe/errc.h"
#include "engine/runtime/clock.h"
#include "h2/error.h"

namespace wsp::probe {
namespace {

using proto::check_result;
using proto::check_status;
using proto::transport_agreement;

constexpr std::string_view http1_label = "HTTP/1.1: ";
constexpr std::string_view h2_label = "HTTP/2: ";

bool works(const check_result& r) noexcept
{
    return r.status != check_status::down;
}

// RFC 8441 §3: a client sends an extended CONNECT only after the server's SETTINGS carry
// ENABLE_CONNECT_PROTOCOL = 1, and RFC 9113 §3.2 uses h2 over TLS only when ALPN selects it.
// Without either, browsers open an HTTP/1.1 connection for the WebSocket: nothing fails for them.
// RFC 9113 §3.3: h2c with prior knowledge is a guess no browser makes; a server that answers the
// preface with no SETTINGS at all (h2_not_negotiated: closed, reset or HTTP/1.1 bytes;
// h2_settings_timeout: silence) does not speak HTTP/2 there. Over TLS, ALPN chose h2, so a
// missing SETTINGS is the server's HTTP/2 failing, not HTTP/2 being absent.
bool h2_not_offered(const check_result& h2, proto::http2_mode h2_mode) noexcept
{
    if (h2.status != check_status::down) {
        return false;
    }
    if (h2.code == wsp::error(errc::h2_not_negotiated).name() ||
        h2.code == wsp::error(h2::errc::connect_protocol_not_enabled).name()) {
        return true;
    }
    return h2_mode == proto::http2_mode::prior_knowledge &&
           h2.code == wsp::error(errc::h2_settings_timeout).name();
}

check_status worse(check_status a, check_status b) noexcept
{
    return static_cast<std::uint8_t>(a) >= static_cast<std::uint8_t>(b) ? a : b;
}

void add_warnings(check_result& to, const check_result& from, std::string_view label)
{
    for (const auto& w : from.warnings) {
        to.warnings.push_back(std::string(label) + w);
    }
}

std::string disagreement(const check_result& http1, const check_result& h2, proto::http2_mode h2_mode)
{
    const bool h2c = h2_mode == proto::http2_mode::prior_knowledge;
    if (works(http1)) {
        return "HTTP/1.1 upgrade works but HTTP/2 extended CONNECT fails: " + h2.sentence +
               (h2c ? "; clients that use h2c with prior knowledge will fail"
                    : "; browsers that use HTTP/2 will fail");
    }
    return "HTTP/2 extended CONNECT works but the HTTP/1.1 upgrade fails: " + http1.sentence +
           "; clients that use HTTP/1.1 (curl, most WebSocket libraries) will fail";
}

std::string both_fail(const check_result& http1, const check_result& h2)
{
    if (http1.sentence == h2.sentence) {
        return "Both HTTP/1.1 and HTTP/2 fail: " + http1.sentence;
    }
    return "Both transports fail. HTTP/1.1: " + http1.sentence + "; HTTP/2: " + h2.sentence;
}

} // namespace

proto::http2_mode compare_h2_mode(const proto::check_spec& spec) noexcept
{
    return spec.url.secure ? proto::http2_mode::require : proto::http2_mode::prior_knowledge;
}

proto::compare_result combine_transports(check_result http1, check_result h2, proto::http2_mode h2_mode)
{
    proto::compare_result out;
    check_result& c = out.combined;
    c.url = http1.url.empty() ? h2.url : http1.url;
    c.total_ns = std::max(http1.total_ns, h2.total_ns);
    c.attempts = std::max(http1.attempts, h2.attempts);
    c.status = check_status::up;
    c.code = "ok";
    if (h2_not_offered(h2, h2_mode)) {
        out.agreement = transport_agreement::h2_not_offered;
        c.status = http1.status;
        c.failed_phase = http1.failed_phase;
        c.code = http1.code;
        c.cls = http1.cls;
        c.sentence = http1.sentence;
        add_warnings(c, http1, http1_label);
        c.warnings.push_back(std::string(h2_label) + "WebSocket over HTTP/2 is not offered (" + h2.sentence +
                             "); clients use HTTP/1.1");
    } else if (works(http1) != works(h2)) {
        out.agreement = transport_agreement::disagree;
        const check_result& failing = works(http1) ? h2 : http1;
        c.fail(failing.failed_phase.value_or(proto::phase::upgrade), errc::transports_disagree,
               disagreement(http1, h2, h2_mode));
        add_warnings(c, http1, http1_label);
        add_warnings(c, h2, h2_label);
    } else if (!works(http1)) {
        c.status = check_status::down;
        c.failed_phase = http1.failed_phase;
        c.code = http1.code;
        c.cls = http1.cls;
        c.sentence = both_fail(http1, h2);
        add_warnings(c, http1, http1_label);
        add_warnings(c, h2, h2_label);
    } else {
        c.status = worse(http1.status, h2.status);
        add_warnings(c, http1, http1_label);
        add_warnings(c, h2, h2_label);
    }
    out.http1 = std::move(http1);
    out.h2 = std::move(h2);
    return out;
}

namespace {

rt::task<void> run_into(probe_env env, const proto::check_spec* spec, check_result* out)
{
    *out = co_await run_check(env, spec);
}

} // namespace

rt::task<proto::compare_result> run_compare(probe_env env, const proto::check_spec* spec, http1_tls h1)
{
    proto::check_spec http1_spec = *spec;
    http1_spec.http2 = proto::http2_mode::off;
    http1_spec.tls.offer_h2 = false;
    proto::check_spec h2_spec = *spec;
    h2_spec.http2 = compare_h2_mode(*spec);
    h2_spec.tls.offer_h2 = spec->url.secure;
    probe_env http1_env = env;
    http1_env.tls = h1.context;
    http1_env.tls_cache = h1.cache;

    check_result http1_res;
    check_result h2_res;
    const std::int64_t start = rt::mono_now();
    rt::scope both;
    both.spawn(run_into(http1_env, &http1_spec, &http1_res));
    both.spawn(run_into(env, &h2_spec, &h2_res));
    co_await both.join();
    auto out = combine_transports(std::move(http1_res), std::move(h2_res), h2_spec.http2);
    out.combined.total_ns = rt::mono_now() - start;
    co_return out;
}

} // namespace wsp::probe
