// Upgrade phase: the HTTP/1.1 request (RFC 6455 §4.1) and the validated 101, bytes after the head kept.
#include "engine/probe/detail/attempt.h"

#include <cstring>

#include "http1/handshake.h"
#include "http1/request.h"

namespace wsp::probe::detail {
// Response head lines for --verbose, prefixed "< ", with Set-Cookie values redacted.
std::string response_transcript(std::string_view head)
{
    std::string out;
    while (!head.empty()) {
        auto nl = head.find('\n');
        std::string_view line = head.substr(0, nl);
        head = nl == std::string_view::npos ? std::string_view{} : head.substr(nl + 1);
        if (!line.empty() && line.back() == '\r') {
            line.remove_suffix(1);
        }
        if (line.empty()) {
            break;
        }
        out += "< ";
        const auto colon = line.find(':');
        std::string name(line.substr(0, colon == std::string_view::npos ? 0 : colon));
        std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
        if (name == "set-cookie" || name == "authorization") {
            out += line.substr(0, colon);
            out += ": <redacted>";
        } else {
            // Printable ASCII only: a hostile server must not drive the terminal.
            for (char c : line) {
                const auto u = static_cast<unsigned char>(c);
                out += (u >= 0x20 && u < 0x7f) || c == '\t' ? c : '?';
            }
        }
        out += '\n';
    }
    return out;
}

// Upgrade phase over an established connection. On success `leftover` is how many bytes at the
// start of buf->inbox are frame data that arrived with the head.
rt::task<bool> upgrade(attempt& a, byte_pipe& pipe, conn_buffers* buf,
                       std::int64_t connected_ns, std::size_t* leftover, std::int64_t* upgraded_ns)
{
    const auto& spec = a.spec;
    std::vector<std::string_view> subs(spec.subprotocols.begin(), spec.subprotocols.end());
    std::vector<std::string_view> exts(spec.extensions.begin(), spec.extensions.end());
    std::vector<http1::custom_header> headers;
    headers.reserve(spec.headers.size());
    for (const auto& h : spec.headers) {
        headers.push_back({h.name, h.value, h.secret, false});
    }
    http1::upgrade_request req;
    req.secure = spec.url.secure;
    req.host = spec.url.host;
    req.port = spec.url.port;
    req.target = spec.url.target;
    req.subprotocols = subs;
    req.extensions = exts;
    req.origin = spec.origin ? std::string_view(*spec.origin) : std::string_view{};
    req.headers = headers;

    auto key = http1::make_key(*a.env.entropy);
    if (!key) {
        a.res.fail(phase::upgrade, key.error(), "Could not get random bytes for Sec-WebSocket-Key");
        co_return false;
    }
    auto written = http1::write_upgrade_request(buf->request, req, *key);
    if (!written) {
        a.res.fail(phase::upgrade, written.error().code, written.error().sentence);
        co_return false;
    }
    if (a.env.transcript) {
        if (auto t = http1::render_transcript(req, *key)) {
            std::string_view text = *t;
            while (!text.empty()) {
                const auto nl = text.find('\n');
                a.res.transcript += "> ";
                a.res.transcript += text.substr(0, nl);
                a.res.transcript += '\n';
                text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
            }
        }
    }
    const rt::deadline until = a.until(spec.timeouts.upgrade);
    const auto* req_bytes = reinterpret_cast<const std::byte*>(buf->request.data());
    const rt::io_result sent = co_await pipe.send({req_bytes, *written}, until);
    if (!sent.ok()) {
        const wsp::error e = sent.error();
        a.res.set_duration(phase::upgrade, rt::mono_now() - connected_ns);
        if (e == rt::errc::timeout) {
            a.res.fail(phase::upgrade, errc::upgrade_timeout,
                       "Could not send the upgrade request within " + ms_text(spec.timeouts.upgrade));
        } else {
            a.res.fail(phase::upgrade, errc::reset_during_upgrade,
                       "The connection failed while sending the upgrade request: " + std::string(e.describe()));
        }
        co_return false;
    }

    std::array<std::string_view, 8> offered_subs_storage{};
    (void)offered_subs_storage;
    http1::client_offer offer;
    offer.key = key->view();
    offer.subprotocols = subs;
    offer.extensions = exts;
    offer.expect_subprotocol = spec.expect_subprotocol ? std::string_view(*spec.expect_subprotocol) : std::string_view{};
    offer.require_subprotocol = spec.expect_subprotocol.has_value();

    std::array<http1::header, 64> storage{};
    auto* head = reinterpret_cast<char*>(buf->inbox.data());
    std::size_t len = 0;
    std::size_t prev = 0;
    for (;;) {
        auto chunk = co_await pipe.recv(until);
        if (chunk.what != pipe_read::kind::data) {
            a.res.set_duration(phase::upgrade, chunk.stamp_ns - connected_ns);
            if (len > 0 && a.env.transcript) {
                a.res.transcript += response_transcript({head, len});
            }
            const std::string got = len == 0 ? "" : " after " + std::to_string(len) + " bytes of an incomplete HTTP response";
            if (chunk.what == pipe_read::kind::eof) {
                a.res.fail(phase::upgrade, errc::closed_before_response,
                           "The server closed the connection without answering the upgrade request" + got);
            } else if (chunk.error == rt::errc::timeout) {
                a.res.fail(phase::upgrade, errc::upgrade_timeout,
                           "No response to the upgrade request within " + ms_text(spec.timeouts.upgrade) + got);
            } else if (chunk.error.module() == "tls") {
                // TLS 1.3: the client's handshake completes before the server judges its
                // certificate, so a refusal (certificate_required) arrives with the first read.
                // It is a TLS failure, reported as one.
                const std::string& why = pipe.tls_failure_text();
                a.res.fail(phase::tls, chunk.error, why.empty() ? std::string(chunk.error.describe()) : why);
            } else {
                a.res.fail(phase::upgrade, errc::reset_during_upgrade,
                           "The connection was reset during the upgrade" + got + " (" +
                               std::string(chunk.error.describe()) + ")");
            }
            co_return false;
        }
        const auto bytes = chunk.bytes;
        const std::size_t n = std::min(bytes.size(), buf->inbox.size() - len);
        std::memcpy(head + len, bytes.data(), n);
        len += n;
        auto checked = http1::check_upgrade_response({head, len}, prev, storage, offer);
        prev = len;
        if (!checked) {
            const auto& f = checked.error();
            a.res.set_duration(phase::upgrade, chunk.stamp_ns - connected_ns);
            if (f.status != 0) {
                a.res.negotiated.status = static_cast<std::uint16_t>(f.status);
            }
            if (a.env.transcript) {
                a.res.transcript += response_transcript({head, len});
            }
            a.res.fail(phase::upgrade, f.code, f.sentence);
            co_return false;
        }
        if (checked->has_value()) {
            const auto& neg = **checked;
            a.res.set_duration(phase::upgrade, chunk.stamp_ns - connected_ns);
            *upgraded_ns = chunk.stamp_ns;
            a.res.negotiated.status = 101;
            if (!neg.subprotocol.empty()) {
                a.res.negotiated.subprotocol = std::string(neg.subprotocol);
            }
            for (const auto& e : neg.extensions()) {
                a.res.negotiated.extensions.emplace_back(e.params.empty() ? std::string(e.name)
                                                                          : std::string(e.name) + "; " +
                                                                                std::string(e.params));
            }
            if (a.env.transcript) {
                a.res.transcript += response_transcript({head, neg.head_length});
            }
            *leftover = len - neg.head_length;
            std::memmove(buf->inbox.data(), buf->inbox.data() + neg.head_length, *leftover);
            co_return true;
        }
        if (len == buf->inbox.size()) {
            // Cannot happen with the parser's head limit below the buffer size; kept as a bound.
            a.res.fail(phase::upgrade, errc::internal, "The upgrade response head does not fit the buffer");
            co_return false;
        }
    }
}

} // namespace wsp::probe::detail
