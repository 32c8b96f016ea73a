#pragma once
// The control port: one text command per line, answered `ok ...` or `error: ...`.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <memory>
#include <string>
#include <string_view>

namespace tdsd {

namespace asio = boost::asio;
class server;

/// Runs one control command against the server and returns the reply line (no newline).
std::string run_control_command(server& srv, std::string_view line);

/// Accepts control connections until the acceptor is closed.
asio::awaitable<void> control_accept_loop(server* srv, std::shared_ptr<asio::ip::tcp::acceptor> acceptor);

}  // namespace tdsd
