// Reads RFC 6455 events from a connection: received plaintext is copied into a small per-check
// inbox (so a kernel buffer goes straight back to the ring) and fed to the ws decoder.
#pragma once

#include <cstdint>
#include <span>

#include "engine/probe/pipe.h"
#include "engine/runtime/clock.h"
#include "engine/runtime/task.h"
#include "ws/decoder.h"

namespace wsp::probe {

struct read_outcome {
    enum class kind : std::uint8_t { event = 0, eof = 1, error = 2 };
    kind what = kind::eof;
    ws::event ev;         // for kind::event; payload views are valid until the next read
    wsp::error error;     // for kind::error: decoder (ws errc) or socket/timeout (rt errc)
    std::int64_t stamp_ns = 0; // reap time of the bytes that completed this outcome
    [[nodiscard]] bool is_event() const noexcept { return what == kind::event; }
};

class frame_reader {
public:
    // `inbox` must outlive the reader and hold at least one read of the pipe (16 KiB).
    frame_reader(byte_pipe& p, ws::decoder_options opts, std::span<std::uint8_t> inbox) noexcept
        : pipe_(&p), dec_(opts), inbox_(inbox)
    {
    }

    // Bytes that arrived with the 101 head; must fit the inbox. Returns false if they do not.
    [[nodiscard]] bool preload(std::span<const std::uint8_t> bytes, std::int64_t stamp_ns) noexcept;

    // The next decoder event, or eof, or an error (errc::timeout from the runtime when `until`
    // passed; the stream stays usable after a timeout).
    [[nodiscard]] rt::task<read_outcome> next(rt::deadline until);

    // Waits for the peer to close TCP (any further bytes are discarded): true on EOF.
    [[nodiscard]] rt::task<bool> wait_eof(rt::deadline until);

    // Bytes received but not yet decoded: what followed the last event in the same read. Valid
    // until the next call to next(); a caller that goes on without this reader carries them over
    // together with decoder() (which may be inside a fragmented message).
    [[nodiscard]] std::span<const std::uint8_t> pending() const noexcept
    {
        return inbox_.subspan(pos_, len_ - pos_);
    }
    // Reap time of the read the pending bytes came from.
    [[nodiscard]] std::int64_t pending_stamp_ns() const noexcept { return stamp_ns_; }
    // The decoder state after the last event.
    [[nodiscard]] const ws::decoder& decoder() const noexcept { return dec_; }

private:
    byte_pipe* pipe_;
    ws::decoder dec_;
    std::span<std::uint8_t> inbox_;
    std::size_t pos_ = 0;
    std::size_t len_ = 0;
    std::int64_t stamp_ns_ = 0;
};

} // namespace wsp::probe
