// Test helper for the RFC 6455 §5 decoder: feeds an input in a given chunking (each chunk flush
// against a guard page) and records the event sequence in a normalised, printable form, so that
// whole, two-way-split and byte-at-a-time runs can be compared for equality.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tests/support/guarded.h"
#include "ws/decoder.h"

namespace wsp::ws::test {

using event_log = std::vector<std::string>;

// Printable form of payload bytes: quoted when short and printable, hex when short, else length
// and hash (std::hash is optimised even in sanitizer builds, and stable within one process).
inline std::string render_bytes(std::string_view b)
{
    if (b.size() > 48) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "<%zu bytes hash=%016zx>", b.size(), std::hash<std::string_view>{}(b));
        return buf;
    }
    bool printable = true;
    for (unsigned char c : b) {
        printable = printable && c >= 0x20 && c < 0x7F && c != '\'';
    }
    if (printable) {
        return "'" + std::string(b) + "'";
    }
    std::string out = "x";
    for (unsigned char c : b) {
        char buf[4];
        std::snprintf(buf, sizeof buf, "%02x", c);
        out += buf;
    }
    return out;
}

inline std::string data_line(std::string_view bytes)
{
    return "data " + render_bytes(bytes);
}

class event_recorder {
public:
    event_recorder() : pending_(scratch()) { pending_.clear(); }

    void add(const event& ev)
    {
        if (ev.kind == event_kind::payload) {
            pending_.append(reinterpret_cast<const char*>(ev.payload.data()), ev.payload.size());
            has_pending_ = true;
            return;
        }
        flush();
        const std::string op(to_string(ev.op));
        const std::string z = ev.compressed ? " z" : "";
        switch (ev.kind) {
        case event_kind::frame_header:
            log_.push_back("header " + op + " fin=" + (ev.fin ? "1" : "0") + z +
                           " len=" + std::to_string(ev.length));
            break;
        case event_kind::message_end:
            log_.push_back("end " + op + z + " len=" + std::to_string(ev.length));
            break;
        case event_kind::control: {
            const std::string_view body(reinterpret_cast<const char*>(ev.payload.data()), ev.payload.size());
            if (ev.op == opcode::close) {
                log_.push_back("close " + std::to_string(ev.close_code) + " " +
                               render_bytes(ev.close_reason()));
            } else {
                log_.push_back(op + " " + render_bytes(body));
            }
            break;
        }
        default: log_.push_back("unexpected event kind"); break;
        }
    }
    void add_error(const wsp::error& e)
    {
        flush();
        log_.push_back("error " + std::string(e.name()));
    }
    event_log take()
    {
        flush();
        return std::move(log_);
    }

private:
    void flush()
    {
        if (has_pending_) {
            log_.push_back(data_line(pending_));
            pending_.clear();
            has_pending_ = false;
        }
    }
    // One payload buffer reused by every recorder (tests are single-threaded), so large vectors do
    // not allocate on every split.
    static std::string& scratch()
    {
        static std::string s;
        return s;
    }
    event_log log_;
    std::string& pending_;
    bool has_pending_ = false;
};

// Copies `bytes` so that its last byte sits flush against a guard page. One mapping is reused (and
// grown when needed) so that thousands of splits of a 64 KiB vector stay fast; the view is valid
// until the next call.
inline std::span<std::uint8_t> place_flush(std::string_view bytes)
{
    static std::unique_ptr<wsp::test::guarded_buffer> area;
    if (!area || area->size() < bytes.size()) {
        area.reset();
        area = std::make_unique<wsp::test::guarded_buffer>(
            std::string(std::max<std::size_t>(bytes.size(), 4096), '\0'));
    }
    std::uint8_t* begin = area->data() + area->size() - bytes.size();
    if (!bytes.empty()) {
        std::memcpy(begin, bytes.data(), bytes.size());
    }
    return {begin, bytes.size()};
}

// Feeds `input` cut at the given offsets (ascending, each in (0, size)) and returns the log.
// Checks the decoder's contract on the way: consumed within bounds, need_more consumes all,
// payload views inside the chunk, and a failed decoder repeats its error.
inline event_log decode_chunked(const decoder_options& opts, std::string_view input,
                                const std::vector<std::size_t>& cuts)
{
    decoder dec(opts);
    event_recorder rec;
    std::size_t begin = 0;
    for (std::size_t c = 0; c <= cuts.size(); ++c) {
        const std::size_t end = c < cuts.size() ? cuts[c] : input.size();
        std::span<std::uint8_t> in = place_flush(input.substr(begin, end - begin));
        begin = end;
        for (int guard = 0;; ++guard) {
            if (guard > 1000000) {
                ADD_FAILURE() << "decoder does not make progress";
                return rec.take();
            }
            auto r = dec.next(in);
            if (!r) {
                rec.add_error(r.error());
                auto again = dec.next(in);
                EXPECT_FALSE(again.has_value());
                if (!again) {
                    EXPECT_EQ(again.error(), r.error()) << "failed decoder must repeat its error";
                }
                EXPECT_TRUE(dec.failed());
                return rec.take();
            }
            EXPECT_LE(r->consumed, in.size());
            const event& ev = r->ev;
            if (ev.kind == event_kind::payload) {
                EXPECT_GE(ev.payload.data(), in.data());
                EXPECT_LE(ev.payload.data() + ev.payload.size(), in.data() + r->consumed);
            }
            if (ev.kind == event_kind::control) {
                EXPECT_LE(ev.payload.size(), max_control_payload);
            }
            in = in.subspan(r->consumed);
            if (ev.kind == event_kind::need_more) {
                EXPECT_TRUE(in.empty()) << "need_more must consume all input";
                break;
            }
            rec.add(ev);
        }
    }
    return rec.take();
}

inline event_log decode_whole(const decoder_options& opts, std::string_view input)
{
    return decode_chunked(opts, input, {});
}

inline event_log decode_bytewise(const decoder_options& opts, std::string_view input)
{
    std::vector<std::size_t> cuts;
    for (std::size_t i = 1; i < input.size(); ++i) {
        cuts.push_back(i);
    }
    return decode_chunked(opts, input, cuts);
}

// Runs `input` whole, at every two-way split and one byte at a time; all must give `expected`.
inline void expect_events(const decoder_options& opts, std::string_view input, const event_log& expected)
{
    EXPECT_EQ(decode_whole(opts, input), expected) << "whole input";
    for (std::size_t i = 1; i < input.size(); ++i) {
        const auto got = decode_chunked(opts, input, {i});
        if (got != expected) {
            EXPECT_EQ(got, expected) << "split at " << i;
            break;
        }
    }
    EXPECT_EQ(decode_bytewise(opts, input), expected) << "one byte at a time";
}

inline decoder_options client_opts()
{
    decoder_options o;
    o.local = role::client;
    return o;
}

inline decoder_options server_opts()
{
    decoder_options o;
    o.local = role::server;
    return o;
}

inline std::string bytes(std::initializer_list<int> v)
{
    std::string s;
    for (int b : v) {
        s.push_back(static_cast<char>(b));
    }
    return s;
}

} // namespace wsp::ws::test
