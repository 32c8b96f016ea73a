#pragma once
// One TDS client connection: handshake, then requests run on the worker pool while a
// reader keeps watching the socket for ATTENTION.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>

#include "tests/tdsd/cancel_token.hpp"
#include "tests/tdsd/executor.hpp"
#include "tests/tdsd/packet.hpp"
#include "tests/tdsd/prelogin.hpp"
#include "tests/tdsd/sqlite_connection.hpp"
#include "tests/tdsd/tls_channel.hpp"
#include "tests/tdsd/tokens.hpp"

namespace tdsd {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

class server;
struct login_request;

/// A client connection; lives on its socket's strand.
class client_session : public std::enable_shared_from_this<client_session> {
 public:
  /// Takes over an accepted socket (bound to its own strand).
  client_session(server& srv, tcp::socket socket);

  /// Registers the session and starts serving it.
  static void start(std::shared_ptr<client_session> self);
  /// Closes the connection from any thread (control commands, shutdown).
  void post_close(std::string reason);
  /// Wakes the running query from any thread (shutdown): cancel token and sqlite3_interrupt.
  void interrupt();
  /// The registry key.
  std::uint64_t id() const { return id_; }

 private:
  static asio::awaitable<void> serve(std::shared_ptr<client_session> self);
  static asio::awaitable<void> read_loop(std::shared_ptr<client_session> self);
  static asio::awaitable<void> discard_loop(std::shared_ptr<client_session> self);

  // Handshake (client_session_login.cpp).
  asio::awaitable<bool> handshake();
  asio::awaitable<tls_scope> answer_prelogin(const message& prelogin);
  asio::awaitable<void> start_tls(tls_scope scope);
  asio::awaitable<bool> login(const login_request& request);
  asio::awaitable<bool> refuse_login(const std::string& why, int number, const std::string& text);

  // Requests (client_session_requests.cpp).
  asio::awaitable<void> process_loop();
  asio::awaitable<bool> handle(message msg);
  asio::awaitable<bool> run_request(exec_request request);
  asio::awaitable<bool> handle_rpc(const message& msg);
  asio::awaitable<bool> handle_transaction(const message& msg);
  asio::awaitable<bool> send_error(const server_message& m, std::uint8_t done_kind);
  asio::awaitable<void> send_cancelled(byte_writer& partial);
  asio::awaitable<bool> wait_latency(std::chrono::milliseconds delay);

  asio::awaitable<message> read_next();
  asio::awaitable<void> send(const std::vector<std::uint8_t>& payload, bool end_of_message = true);
  void on_attention();
  void close(const std::string& reason);
  std::string who() const;

  server& server_;
  tcp::socket socket_;
  buffered_socket reader_{socket_};   // plain requests after the handshake
  std::vector<std::uint8_t> framed_;  // the reply being sent, its capacity reused
  std::unique_ptr<tls_channel> tls_;  // set while TDS packets travel inside TLS
  std::uint64_t id_;
  std::uint16_t spid_;
  std::string peer_;
  asio::steady_timer wakeup_;
  asio::steady_timer latency_timer_;
  std::deque<message> inbox_;
  bool reader_done_ = false;
  bool closed_ = false;
  cancel_token cancel_;
  connection_identity identity_;
  std::unique_ptr<sqlite_connection> db_;
  std::string database_;
  std::string user_;
  transaction_ids transactions_;  // written by the worker running this session's request only
};

}  // namespace tdsd
