// tcp_pipe: socket options, half-close and close over the runtime's io_uring operations.
#include "tools/lab/pipe.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

namespace wsp::lab {

rt::task<void> tcp_pipe::configure()
{
    const int one = 1;
    (void)co_await rt::setsockopt_op(*r_, sock_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

rt::task<void> tcp_pipe::shutdown_send()
{
    (void)co_await rt::shutdown_op(*r_, sock_, SHUT_WR);
}

rt::task<void> tcp_pipe::stop_receiving()
{
    if (stream_.armed()) {
        co_await stream_.stop();
    }
}

rt::task<void> tcp_pipe::close(rt::close_mode mode)
{
    // The multishot receive holds a reference to the file, so it must end before the close. It is
    // ended through the socket rather than with IORING_OP_ASYNC_CANCEL, whose lookup in the
    // kernel walks the ring's armed poll requests (tens of thousands on a busy lab): SHUT_RD makes
    // the pending receive complete with EOF, its final CQE. Bytes consumed meanwhile are dropped.
    if (stream_.armed()) {
        (void)co_await rt::shutdown_op(*r_, sock_, SHUT_RD);
        while (stream_.armed()) {
            auto c = co_await stream_.next();
        }
    }
    (void)co_await rt::close_socket(*r_, sock_, mode);
}

} // namespace wsp::lab
