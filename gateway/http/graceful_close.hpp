#pragma once
// Closing a connection without destroying the response still in flight.

#include "gateway/http/http_types.hpp"

namespace gateway {

class client_stream;  // gateway/http/client_stream.hpp

/// On TLS first sends close_notify and waits (bounded) for the client's. Then sends FIN, then reads and discards what the client still sends (bounded in time and
/// bytes) before closing: closing a socket with unread input makes the kernel send a
/// reset, and a reset can make the client lose the response it has not read yet.
/// `stream` must stay alive until the returned awaitable completes.
asio::awaitable<void> close_gracefully(client_stream& stream);

}  // namespace gateway
