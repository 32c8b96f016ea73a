#pragma once
// Closing a connection without destroying the response still in flight.

#include "gateway/http/http_types.hpp"

namespace gateway {

class client_stream;  // gateway/http/client_stream.hpp

/// How a connection ends.
enum class close_kind {
    /// The client may still be sending (a body not read, a parse error, pipelined
    /// requests left): linger.
    may_have_input,
    /// Every request was read to its end: close at once unless input is waiting.
    input_complete,
    /// Every request was read to its end and the last one said the client closes
    /// (`Connection: close`, or HTTP/1.0 without keep-alive): a client may send nothing
    /// after that (RFC 9112 9.6), so it is not asked whether input is waiting.
    client_closes,
};

/// On TLS first sends close_notify. Then, unless `kind` says every request was read
/// and nothing more is waiting, sends FIN and reads and discards what the client still
/// sends (bounded in time and bytes) before closing: closing a socket with unread
/// input makes the kernel send a reset, and a reset can make the client lose the
/// response it has not read yet. nginx lingers on the same condition.
/// `stream` must stay alive until the returned awaitable completes.
asio::awaitable<void> close_gracefully(client_stream& stream, close_kind kind = close_kind::may_have_input);

}  // namespace gateway
