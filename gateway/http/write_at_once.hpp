#pragma once
// Writing a whole message without a trip through the event loop when the socket takes
// it at once. An asynchronous write that completes immediately still has its completion
// posted to the event loop's queue (Asio never calls it inline): per small answer one
// more pass through the scheduler, its lock and a coroutine resumption. A plain TCP
// socket almost always has room for a small answer, so the write is tried first with
// MSG_DONTWAIT (the socket's own mode is left alone) and only what it did not take is
// written asynchronously. Used for the client (client_stream) and upstream
// (upstream_stream) sides alike: each has a write_now that sends what fits.

#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <cstddef>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_suffix.hpp>
#include <boost/beast/core/error.hpp>

namespace gateway {

/// Sends what socket `fd` takes at once of `buffers` (their first 8 non-empty pieces),
/// never waiting. Returns the bytes sent: 0 with `ec` clear when the socket would block.
template <class ConstBuffers>
std::size_t send_at_once(int fd, const ConstBuffers& buffers, boost::beast::error_code& ec) {
    ec = {};
    std::array<iovec, 8> pieces{};
    std::size_t count = 0;
    for (auto it = boost::asio::buffer_sequence_begin(buffers); it != boost::asio::buffer_sequence_end(buffers); ++it) {
        const boost::asio::const_buffer piece(*it);
        if (piece.size() == 0) continue;
        if (count == pieces.size()) break;
        pieces[count++] = {const_cast<void*>(piece.data()), piece.size()};
    }
    if (count == 0) return 0;
    msghdr message{};
    message.msg_iov = pieces.data();
    message.msg_iovlen = count;
    for (;;) {
        const ssize_t sent = ::sendmsg(fd, &message, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (sent >= 0) return static_cast<std::size_t>(sent);
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) ec.assign(errno, boost::asio::error::get_system_category());
        return 0;
    }
}

/// Writes all of `buffers` to `stream`: what its write_now takes at once, the rest with
/// an asynchronous write (as the peer reads, bounded by the stream's deadline).
template <class Stream, class ConstBuffers>
boost::asio::awaitable<boost::beast::error_code> write_whole(Stream& stream, const ConstBuffers& buffers) {
    boost::beast::error_code ec;
    const std::size_t sent = stream.write_now(buffers, ec);
    if (ec || sent == boost::asio::buffer_size(buffers)) co_return ec;
    boost::beast::buffers_suffix<ConstBuffers> rest(buffers);
    rest.consume(sent);
    auto [write_ec, written] =
        co_await boost::asio::async_write(stream, rest, boost::asio::as_tuple(boost::asio::use_awaitable));
    co_return write_ec;
}

}  // namespace gateway
