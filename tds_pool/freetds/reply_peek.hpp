#pragma once
// Is a whole TDS reply already waiting in the socket's receive buffer? Then db-lib can
// read it without ever waiting for the network, so the I/O thread may read it itself
// instead of handing the connection to a worker thread and back.

#include <cstddef>
#include <span>

namespace tds_pool::detail {

/// Largest reply looked at (bytes); a longer one is read on a worker as before.
inline constexpr std::size_t max_peeked_reply = 64 * 1024;

/// True when `bytes` are exactly one server message in plain TDS framing: packets of
/// type 0x04 with plausible lengths, the last one (and only the last) carrying the
/// end-of-message status bit, whose payload ends in a final DONE or DONEPROC token (13
/// bytes, no DONE_MORE bit), as every reply does. Anything else (a partial message, TLS
/// records of an encrypted connection, trailing bytes, a message whose tokens stop
/// short or announce more) is false. A token's data can still look like that DONE: the
/// guard of inline_io_guard.hpp bounds what such a reply can cost.
bool is_whole_tds_reply(std::span<const unsigned char> bytes) noexcept;

/// Peeks (without consuming) at what socket `fd` has received: its size when it is
/// is_whole_tds_reply, else 0.
std::size_t whole_reply_size(int fd) noexcept;

/// Takes up to `size` bytes off `fd` without waiting (what whole_reply_size found) into
/// the calling thread's buffer, valid until its next call of either function here: for
/// db-lib to read through a socket_shortcut. Empty when nothing could be read.
std::span<const unsigned char> take_reply(int fd, std::size_t size) noexcept;

}  // namespace tds_pool::detail
