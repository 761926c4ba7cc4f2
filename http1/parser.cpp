// HTTP/1.x head parsing for the upgrade (RFC 7230 §3.1 start lines, §3.2 header fields, §3.5
// line ends): one line at a time, each checked when its LF arrives, views into the input.
#include "http1/parser.h"

#include <algorithm>
#include <cstring>

#include "http1/detail/chars.h"

namespace wsp::http1 {
namespace {

using detail::is_ows;
using detail::is_target_char;
using detail::is_tchar;

constexpr std::string_view version_prefix = "HTTP/1.";

// Limits for a line occupying [start, end): `end` is the LF's index for a complete line, or the
// input size for a partial one. A limit is crossed at a byte index: the line's at
// start + max_line_length (a content byte), the head's at max_head_size. When both are crossed the
// earlier index wins, so a prefix of the input reports the same limit as the whole.
errc check_limits(std::size_t start, std::size_t end, bool complete, const parse_limits& limits) noexcept
{
    const std::size_t line_cross = start + limits.max_line_length;
    const std::size_t last = complete ? end : end - 1; // the last byte of this line present
    const bool line_over = line_cross < end;
    const bool head_over = limits.max_head_size <= last;
    if (head_over && (!line_over || limits.max_head_size <= line_cross)) {
        return errc::head_too_large;
    }
    return line_over ? errc::line_too_long : errc::ok;
}

// The first bytes of a status line must be "HTTP/1."; checked on partial lines too, so that a
// server speaking something else fails at once instead of at the head limit.
bool status_prefix_ok(std::string_view line) noexcept
{
    const std::size_t n = std::min(line.size(), version_prefix.size());
    return line.substr(0, n) == version_prefix.substr(0, n);
}

// The reason for a bad octet: a CR here is a CR without its LF.
errc octet_error(char c, errc otherwise) noexcept { return c == '\r' ? errc::bad_line_ending : otherwise; }

// "HTTP/1.0" or "HTTP/1.1" at the start of `s`; sets minor and removes it.
bool take_version(std::string_view& s, int& minor) noexcept
{
    // RFC 7230 §2.6: HTTP-version = "HTTP/" DIGIT "." DIGIT; only 1.0 and 1.1 are HTTP/1.
    if (s.size() < 8 || s.substr(0, 7) != version_prefix || (s[7] != '0' && s[7] != '1')) {
        return false;
    }
    minor = s[7] - '0';
    s.remove_prefix(8);
    return true;
}

// RFC 7230 §3.1.2: status-line = HTTP-version SP status-code SP reason-phrase. A missing reason
// with its SP also missing ("HTTP/1.1 101") is accepted.
errc parse_status_line(std::string_view line, response_head& out) noexcept
{
    if (!take_version(line, out.minor_version) || line.size() < 4 || line[0] != ' ') {
        return errc::malformed_status_line;
    }
    int status = 0;
    for (std::size_t i = 1; i <= 3; ++i) {
        if (line[i] < '0' || line[i] > '9') {
            return octet_error(line[i], errc::malformed_status_line);
        }
        status = status * 10 + (line[i] - '0');
    }
    // RFC 7230 §3.1.2: status-code = 3DIGIT; the first digit is the class, 1 to 9 here.
    if (status < 100) {
        return errc::malformed_status_line;
    }
    line.remove_prefix(4);
    if (!line.empty()) {
        if (line[0] != ' ') {
            return octet_error(line[0], errc::malformed_status_line);
        }
        line.remove_prefix(1);
    }
    // RFC 7230 §3.1.2: reason-phrase = *( HTAB / SP / VCHAR / obs-text ).
    if (const std::size_t bad = detail::find_non_field_char(line); bad < line.size()) {
        return octet_error(line[bad], errc::malformed_status_line);
    }
    out.status = status;
    out.reason = line;
    return errc::ok;
}

// RFC 7230 §3.1.1: request-line = method SP request-target SP HTTP-version.
errc parse_request_line(std::string_view line, request_head& out) noexcept
{
    std::size_t i = 0;
    while (i < line.size() && is_tchar(line[i])) {
        ++i;
    }
    if (i == 0 || i == line.size() || line[i] != ' ') {
        return i < line.size() ? octet_error(line[i], errc::malformed_request_line)
                               : errc::malformed_request_line;
    }
    out.method = line.substr(0, i);
    const std::size_t target_start = ++i;
    while (i < line.size() && is_target_char(line[i])) {
        ++i;
    }
    if (i == target_start || i == line.size() || line[i] != ' ') {
        return i < line.size() ? octet_error(line[i], errc::malformed_request_line)
                               : errc::malformed_request_line;
    }
    out.target = line.substr(target_start, i - target_start);
    std::string_view rest = line.substr(i + 1);
    if (!take_version(rest, out.minor_version) || !rest.empty()) {
        return errc::malformed_request_line;
    }
    return errc::ok;
}

// RFC 7230 §3.2: header-field = field-name ":" OWS field-value OWS.
errc parse_header_line(std::string_view line, header& out) noexcept
{
    // RFC 7230 §3.2.4: obs-fold (and whitespace before the first header, §3) is rejected.
    if (is_ows(line[0])) {
        return errc::obs_fold;
    }
    std::size_t i = 0;
    while (i < line.size() && is_tchar(line[i])) {
        ++i;
    }
    if (i == line.size()) {
        return errc::malformed_header; // RFC 7230 §3.2: no colon
    }
    if (line[i] != ':') {
        if (!is_ows(line[i])) {
            return octet_error(line[i], errc::invalid_field_name); // RFC 7230 §3.2.6: token
        }
        std::size_t j = i;
        while (j < line.size() && is_ows(line[j])) {
            ++j;
        }
        if (j == line.size()) {
            return errc::malformed_header;
        }
        // RFC 7230 §3.2.4: no whitespace is allowed between the field-name and colon.
        return line[j] == ':' ? errc::whitespace_before_colon : errc::invalid_field_name;
    }
    if (i == 0) {
        return errc::malformed_header; // RFC 7230 §3.2: field-name is a non-empty token
    }
    out.name = line.substr(0, i);
    std::size_t v = i + 1;
    while (v < line.size() && is_ows(line[v])) {
        ++v;
    }
    // RFC 7230 §3.2: field-content is VCHAR / obs-text with SP or HTAB inside; CTLs are invalid.
    if (const std::size_t bad = v + detail::find_non_field_char(line.substr(v)); bad < line.size()) {
        return octet_error(line[bad], errc::invalid_field_value);
    }
    std::size_t e = line.size();
    while (e > v && is_ows(line[e - 1])) {
        --e;
    }
    out.value = line.substr(v, e - v);
    return errc::ok;
}

errc parse_start_line(std::string_view line, response_head& out) noexcept
{
    return parse_status_line(line, out);
}
errc parse_start_line(std::string_view line, request_head& out) noexcept
{
    return parse_request_line(line, out);
}
constexpr bool is_response(const response_head&) noexcept { return true; }
constexpr bool is_response(const request_head&) noexcept { return false; }
constexpr errc start_line_error(const response_head&) noexcept { return errc::malformed_status_line; }
constexpr errc start_line_error(const request_head&) noexcept { return errc::malformed_request_line; }

template <class Head>
wsp::expected<parse_result> fail_at(Head& out, std::size_t offset, errc code) noexcept
{
    out.error_offset = offset;
    return wsp::fail(code);
}

// Checks lines from `from`, which is 0 or the start of a line. From 0 it also fills `out` and
// `storage`; from elsewhere it only checks, and the caller refills from 0 once complete.
template <class Head>
wsp::expected<parse_result> walk(std::string_view buf, std::size_t from, std::span<header> storage, Head& out,
                                 const parse_limits& limits) noexcept
{
    const bool fill = from == 0;
    const std::size_t capacity = std::min(storage.size(), limits.max_headers);
    const char* const base = buf.data();
    std::size_t count = 0;
    std::size_t s = from;
    for (;;) {
        const std::size_t rest = buf.size() - s;
        const void* lf = rest == 0 ? nullptr : std::memchr(base + s, '\n', rest);
        const bool complete = lf != nullptr;
        const std::size_t e =
            complete ? static_cast<std::size_t>(static_cast<const char*>(lf) - base) : buf.size();
        if (s == 0 && is_response(out) && !status_prefix_ok(buf.substr(0, e))) {
            return fail_at(out, 0, errc::malformed_status_line);
        }
        if (rest != 0) {
            if (const errc lim = check_limits(s, e, complete, limits); lim != errc::ok) {
                return fail_at(out, s, lim);
            }
        }
        if (!complete) {
            return parse_result{};
        }
        // RFC 7230 §3.5: a bare LF ends a line as CRLF does; the CR is not content.
        const std::size_t content_end = (e > s && base[e - 1] == '\r') ? e - 1 : e;
        const std::string_view line(base + s, content_end - s);
        if (s == 0) {
            if (line.empty()) {
                return fail_at(out, 0, start_line_error(out));
            }
            if (const errc c = parse_start_line(line, out); c != errc::ok) {
                return fail_at(out, 0, c);
            }
        } else if (line.empty()) {
            if (!fill) {
                return parse_result{parse_state::complete, e + 1};
            }
            if (count > capacity) {
                return fail_at(out, s, errc::too_many_headers);
            }
            out.headers = storage.first(count);
            return parse_result{parse_state::complete, e + 1};
        } else {
            header h;
            if (const errc c = parse_header_line(line, h); c != errc::ok) {
                return fail_at(out, s, c);
            }
            if (fill && count < capacity) {
                storage[count] = h;
            }
            ++count;
        }
        s = e + 1;
    }
}

template <class Head>
wsp::expected<parse_result> parse_head(std::string_view buf, std::size_t prev_len, std::span<header> storage,
                                       Head& out, const parse_limits& limits) noexcept
{
    out.error_offset = 0;
    // Resume at the start of the line that was incomplete at the previous call.
    std::size_t from = 0;
    if (prev_len != 0) {
        const std::size_t lf = buf.substr(0, std::min(prev_len, buf.size())).rfind('\n');
        from = lf == std::string_view::npos ? 0 : lf + 1;
    }
    auto r = walk(buf, from, storage, out, limits);
    if (from != 0 && r && r->complete()) {
        return walk(buf, 0, storage, out, limits);
    }
    return r;
}

} // namespace

wsp::expected<parse_result> parse_response(std::string_view buf, std::size_t prev_len,
                                           std::span<header> storage, response_head& out,
                                           const parse_limits& limits) noexcept
{
    return parse_head(buf, prev_len, storage, out, limits);
}

wsp::expected<parse_result> parse_request(std::string_view buf, std::size_t prev_len,
                                          std::span<header> storage, request_head& out,
                                          const parse_limits& limits) noexcept
{
    return parse_head(buf, prev_len, storage, out, limits);
}

const header* find_header(std::span<const header> headers, std::string_view name) noexcept
{
    for (const header& h : headers) {
        if (detail::iequals(h.name, name)) {
            return &h;
        }
    }
    return nullptr;
}

std::size_t count_headers(std::span<const header> headers, std::string_view name) noexcept
{
    return static_cast<std::size_t>(std::count_if(
        headers.begin(), headers.end(), [&](const header& h) { return detail::iequals(h.name, name); }));
}

} // namespace wsp::http1
