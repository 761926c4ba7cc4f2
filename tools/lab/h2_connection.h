// A wsprobe-lab connection that speaks HTTP/2 (RFC 9113 §3.4: h2c with prior knowledge on plain
// listeners, and on TLS listeners whose client sent the preface after ALPN h2, RFC 9113 §3.3):
// h2_conversation.h pumped over a byte pipe (pipe.h, tls_pipe.h).
#pragma once

#include "engine/runtime/task.h"
#include "tools/lab/buffer_pool.h"
#include "tools/lab/pipe.h"
#include "tools/lab/session.h"
#include "tools/lab/tls_pipe.h"

namespace wsp::lab {

// Serves the connection to completion and closes the pipe. `received` holds every byte read so
// far, starting with the whole client preface. Bounds: send_timeout per write (a client that does
// not read is reset), hold_timeout without any stream or byte (GOAWAY, then FIN), and those of
// h2_conversation. On shutdown (env->stopping) echo streams get close 1001, then GOAWAY. Never
// throws on peer input.
template <byte_pipe Pipe>
[[nodiscard]] rt::task<void> serve_h2(session_env* env, Pipe* pipe, pooled_buffer received);

extern template rt::task<void> serve_h2<tcp_pipe>(session_env* env, tcp_pipe* pipe, pooled_buffer received);
extern template rt::task<void> serve_h2<tls_pipe>(session_env* env, tls_pipe* pipe, pooled_buffer received);

} // namespace wsp::lab
