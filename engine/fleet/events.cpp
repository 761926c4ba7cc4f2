#include "engine/fleet/events.h"

#include "engine/fleet/detail/text.h"
#include "proto/json_writer.h"
#include "proto/render.h"

namespace wsp::fleet {
namespace {

constexpr std::size_t min_redacted_length = 4;
constexpr std::string_view redacted = "<redacted>";

void replace_all(std::string& text, std::string_view secret)
{
    if (secret.size() < min_redacted_length) {
        return;
    }
    for (auto at = text.find(secret); at != std::string::npos; at = text.find(secret, at + redacted.size())) {
        text.replace(at, secret.size(), redacted);
    }
}

void head(proto::json_writer& w, std::string_view event, const fleet_check& check, std::int64_t unix_ns)
{
    w.key("event").value(event);
    w.key("time").value(detail::format_utc_timestamp(unix_ns));
    w.key("check").value(check.id);
    w.key("labels").begin_object();
    for (const auto& [name, value] : check.labels) {
        w.key(name).value(value);
    }
    w.end_object();
}

} // namespace

std::optional<state_change> state_tracker::observe(proto::check_status status, std::int64_t now_ns) noexcept
{
    if (current_ == status) {
        return std::nullopt;
    }
    state_change c;
    c.previous = current_;
    c.current = status;
    c.since_ns = since_ns_;
    if (current_) {
        c.lasted_ns = now_ns - since_ns_;
    }
    c.at_ns = now_ns;
    current_ = status;
    since_ns_ = now_ns;
    return c;
}

void redact_secrets(const fleet_check& check, std::string& text)
{
    for (const auto& h : check.spec.headers) {
        if (h.secret) {
            replace_all(text, h.value);
        }
    }
    for (const auto& o : check.app_options) {
        if (o.secret) {
            replace_all(text, o.value);
        }
    }
}

std::string render_result_event(const fleet_check& check, const proto::check_result& r, std::int64_t unix_ns)
{
    std::string result = proto::render_json(r);
    while (!result.empty() && result.back() == '\n') {
        result.pop_back();
    }
    std::string out;
    out.reserve(result.size() + 128);
    proto::json_writer w(out);
    w.begin_object();
    head(w, "result", check, unix_ns);
    w.key("result");
    // render_json's object is spliced in as the value of "result"; the writer has just written the
    // key and its colon, so the closing brace below completes a valid object.
    out += result;
    out += "}\n";
    redact_secrets(check, out);
    return out;
}

std::string render_state_change_event(const fleet_check& check, const state_change& change,
                                      const proto::check_result& r)
{
    std::string out;
    proto::json_writer w(out);
    w.begin_object();
    head(w, "state_change", check, change.at_ns);
    w.key("from");
    if (change.previous) {
        w.value(proto::to_string(*change.previous));
    } else {
        w.null();
    }
    w.key("to").value(proto::to_string(change.current));
    w.key("lasted_ms");
    if (change.lasted_ns) {
        w.value(static_cast<double>(*change.lasted_ns) / 1e6);
    } else {
        w.null();
    }
    w.key("since");
    if (change.previous) {
        w.value(detail::format_utc_timestamp(change.since_ns));
    } else {
        w.null();
    }
    w.key("code").value(r.code);
    w.key("class").value(wsp::to_string(r.cls));
    w.key("message").value(r.sentence);
    w.end_object();
    out += '\n';
    redact_secrets(check, out);
    return out;
}

} // namespace wsp::fleet
