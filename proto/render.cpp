#include "proto/render.h"

#include "proto/json_writer.h"
#include "proto/text_style.h"
#include "proto/verdict.h"

namespace wsp::proto {
namespace {

using text::pad;
using text::red;
using text::reset;

std::string phase_detail(const check_result& r, phase p)
{
    switch (p) {
    case phase::tcp:
        return r.peer_address.empty() ? "" : "connected to " + r.peer_address;
    case phase::tls: {
        if (!r.tls) {
            return "";
        }
        std::string s = r.tls->version + " " + r.tls->cipher;
        if (!r.tls->alpn.empty()) {
            s += ", ALPN " + r.tls->alpn;
        }
        if (r.tls->resumed) {
            s += ", resumed";
        }
        s += ", certificate expires " + r.tls->chain_not_after + " (" + std::to_string(r.tls->days_left) +
             " days)";
        return s;
    }
    case phase::upgrade: {
        std::string s = r.negotiated.status ? std::to_string(*r.negotiated.status) : "";
        if (r.negotiated.http_version == "h2") {
            s += " over h2";
        }
        if (r.negotiated.fallback_reason) {
            s += " over " + r.negotiated.http_version + " (fallback: " + *r.negotiated.fallback_reason + ")";
        }
        if (r.negotiated.subprotocol) {
            s += ", subprotocol " + *r.negotiated.subprotocol;
        }
        for (const auto& e : r.negotiated.extensions) {
            s += ", extension " + e;
        }
        return s;
    }
    case phase::close: {
        if (!r.close.code) {
            return "";
        }
        std::string s = std::to_string(*r.close.code) + " by " + std::string(to_string(r.close.by));
        if (!r.close.reason.empty()) {
            s += " (" + r.close.reason + ")";
        }
        s += r.close.clean ? ", clean" : ", not clean";
        return s;
    }
    default:
        return "";
    }
}

} // namespace

std::string render_text(const check_result& r, text_style style)
{
    std::string out;
    out += "wsprobe check ";
    out += r.url;
    out += '\n';
    for (std::size_t i = 0; i < phase_count; ++i) {
        const auto p = static_cast<phase>(i);
        const bool failed = r.failed_phase == p;
        if (!r.phase_ns[i] && !failed) {
            continue;
        }
        out += "  ";
        pad(out, to_string(p), 10);
        const std::string detail =
            failed ? (style.color ? std::string(red) + "FAILED" + std::string(reset) : "FAILED")
                   : phase_detail(r, p);
        if (detail.empty()) {
            out += r.phase_ns[i] ? format_ms(*r.phase_ns[i]) : "-";
        } else {
            pad(out, r.phase_ns[i] ? format_ms(*r.phase_ns[i]) : "-", 11);
            out += detail;
        }
        out += '\n';
    }
    out += text::status_word(r.status, style.color);
    if (r.status == check_status::down) {
        out += " at ";
        out += r.failed_phase ? to_string(*r.failed_phase) : "check";
        out += ": ";
        out += r.sentence;
        out += " [";
        out += r.code;
        out += ']';
    } else {
        out += " in ";
        out += format_ms(r.total_ns);
        if (r.rtt_ns) {
            out += ", rtt ";
            out += format_ms(*r.rtt_ns);
        }
    }
    if (r.attempts > 1) {
        out += " (after " + std::to_string(r.attempts) + " attempts)";
    }
    out += '\n';
    for (const auto& w : r.warnings) {
        out += "  warning: ";
        out += w;
        out += '\n';
    }
    return out;
}

std::string render_json(const check_result& r)
{
    std::string out;
    json_writer w(out);
    write_json(w, r);
    out += '\n';
    return out;
}

void write_json(json_writer& w, const check_result& r)
{
    const auto ms = [](std::int64_t ns) { return static_cast<double>(ns) / 1e6; };
    w.begin_object();
    w.key("url").value(r.url);
    w.key("status").value(to_string(r.status));
    w.key("failed_phase");
    if (r.failed_phase) {
        w.value(to_string(*r.failed_phase));
    } else {
        w.null();
    }
    w.key("code").value(r.code);
    w.key("class").value(wsp::to_string(r.cls));
    w.key("message").value(r.sentence);
    w.key("warnings").begin_array();
    for (const auto& s : r.warnings) {
        w.value(s);
    }
    w.end_array();
    w.key("attempts").value(r.attempts);
    w.key("peer").value(r.peer_address);
    w.key("phases_ms").begin_object();
    for (std::size_t i = 0; i < phase_count; ++i) {
        w.key(to_string(static_cast<phase>(i)));
        if (r.phase_ns[i]) {
            w.value(ms(*r.phase_ns[i]));
        } else {
            w.null();
        }
    }
    w.end_object();
    w.key("total_ms").value(ms(r.total_ns));
    w.key("rtt_ms");
    if (r.rtt_ns) {
        w.value(ms(*r.rtt_ns));
    } else {
        w.null();
    }
    w.key("negotiated").begin_object();
    w.key("http_version").value(r.negotiated.http_version);
    w.key("status");
    if (r.negotiated.status) {
        w.value(static_cast<unsigned>(*r.negotiated.status));
    } else {
        w.null();
    }
    w.key("subprotocol");
    if (r.negotiated.subprotocol) {
        w.value(*r.negotiated.subprotocol);
    } else {
        w.null();
    }
    w.key("fallback_reason");
    if (r.negotiated.fallback_reason) {
        w.value(*r.negotiated.fallback_reason);
    } else {
        w.null();
    }
    w.key("extensions").begin_array();
    for (const auto& e : r.negotiated.extensions) {
        w.value(e);
    }
    w.end_array();
    w.end_object();
    w.key("tls");
    if (r.tls) {
        const auto& t = *r.tls;
        w.begin_object();
        w.key("version").value(t.version);
        w.key("cipher").value(t.cipher);
        w.key("alpn").value(t.alpn);
        w.key("subject").value(t.subject);
        w.key("issuer").value(t.issuer);
        w.key("names").begin_array();
        for (const auto& n : t.names) {
            w.value(n);
        }
        w.end_array();
        w.key("not_after").value(t.not_after);
        w.key("chain_not_after").value(t.chain_not_after);
        w.key("days_left").value(t.days_left);
        w.key("verify").value(t.verify);
        w.key("resumed").value(t.resumed);
        w.end_object();
    } else {
        w.null();
    }
    w.key("close").begin_object();
    w.key("by").value(to_string(r.close.by));
    w.key("code");
    if (r.close.code) {
        w.value(static_cast<unsigned>(*r.close.code));
    } else {
        w.null();
    }
    w.key("reason").value(r.close.reason);
    w.key("clean").value(r.close.clean);
    w.end_object();
    w.end_object();
}

} // namespace wsp::proto
