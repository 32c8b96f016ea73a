#include "tests/tdsd/client_session.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <sqlite3.h>
#include <sys/socket.h>

#include <span>

#include "tests/tdsd/log.hpp"
#include "tests/tdsd/server.hpp"
#include "tests/tdsd/wire.hpp"

namespace tdsd {
namespace {

// Spawned session coroutines end by closing their socket; anything escaping is a bug worth a line.
void report_exception(std::exception_ptr e) {
  if (!e) return;
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    log_event("session task failed: {}", ex.what());
  }
}

// Sends what the socket takes of `bytes` without waiting; 0 on any error, which the
// asynchronous write that follows then reports.
std::size_t send_at_once(asio::ip::tcp::socket& socket, std::span<const std::uint8_t> bytes) {
  const ssize_t sent = ::send(socket.native_handle(), bytes.data(), bytes.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  return sent > 0 ? static_cast<std::size_t>(sent) : 0;
}

// A reply buffer larger than this is freed after its send: one big result must not pin
// its size for the rest of the connection.
constexpr std::size_t keep_reply_buffer = 256 * 1024;

}  // namespace

client_session::client_session(server& srv, tcp::socket socket)
    : server_(srv),
      socket_(std::move(socket)),
      wakeup_(socket_.get_executor()),
      latency_timer_(socket_.get_executor()) {
  const auto [id, spid] = srv.allocate_identity();
  id_ = id;
  spid_ = spid;
  identity_.spid = spid;
  identity_.cancel = &cancel_;
  boost::system::error_code ec;
  const auto remote = socket_.remote_endpoint(ec);
  peer_ = ec ? "?" : fmt::format("{}:{}", remote.address().to_string(), remote.port());
  socket_.set_option(tcp::no_delay(true), ec);
}

void client_session::start(std::shared_ptr<client_session> self) {
  self->server_.register_session(self);
  auto executor = self->socket_.get_executor();
  asio::co_spawn(executor, serve(std::move(self)), report_exception);
}

asio::awaitable<void> client_session::serve(std::shared_ptr<client_session> self) {
  log_event("connect {}", self->who());
  if (self->server_.faults().stall()) {
    log_event("{} stalled (stall fault): never answered", self->who());
    co_await discard_loop(self);
  } else {
    try {
      if (co_await self->handshake()) {
        asio::co_spawn(self->socket_.get_executor(), read_loop(self), report_exception);
        co_await self->process_loop();
      }
    } catch (const protocol_error& e) {
      self->close(fmt::format("protocol error: {}", e.what()));
    } catch (const boost::system::system_error& e) {
      self->close(e.code() == asio::error::eof ? "client closed the connection"
                                                : fmt::format("socket error: {}", e.code().message()));
    } catch (const std::exception& e) {
      self->close(fmt::format("internal error: {}", e.what()));
    }
  }
  self->close("session ended");
  self->server_.unregister_session(self->id_);
}

asio::awaitable<void> client_session::read_loop(std::shared_ptr<client_session> self) {
  std::string reason;
  try {
    for (;;) {
      message msg = co_await self->read_next();
      if (msg.type == packet_type::attention) self->on_attention();
      self->inbox_.push_back(std::move(msg));
      self->wakeup_.cancel();
    }
  } catch (const protocol_error& e) {
    reason = fmt::format("protocol error: {}", e.what());
  } catch (const boost::system::system_error& e) {
    reason = e.code() == asio::error::eof ? "client closed the connection"
                                          : fmt::format("socket error: {}", e.code().message());
  }
  self->reader_done_ = true;
  self->close(reason);
}

asio::awaitable<void> client_session::discard_loop(std::shared_ptr<client_session> self) {
  std::uint8_t sink[4096];
  boost::system::error_code ec;
  while (!ec) {
    co_await self->socket_.async_read_some(asio::buffer(sink), asio::redirect_error(asio::use_awaitable, ec));
  }
}

asio::awaitable<message> client_session::read_next() {
  // Not a coroutine: the plain path awaits read_message's own frame, nothing more.
  // Only called after the handshake, when nothing else reads the socket.
  return tls_ ? read_message(*tls_) : read_message(reader_);
}

asio::awaitable<void> client_session::send(const std::vector<std::uint8_t>& payload, bool end_of_message) {
  // One send at a time (the handshake, then process_loop): the buffer can be reused.
  frame_reply_into(framed_, payload, spid_, end_of_message);
  if (tls_) {
    co_await tls_->write(framed_);
  } else {
    // A reply the socket takes whole leaves now: no completion through the event loop,
    // which would cost a turn of it per query. The rest (or an error) goes the usual way.
    const std::size_t sent = send_at_once(socket_, framed_);
    if (sent < framed_.size()) {
      co_await asio::async_write(socket_, asio::buffer(framed_.data() + sent, framed_.size() - sent),
                                 asio::use_awaitable);
    }
  }
  if (framed_.capacity() > keep_reply_buffer) std::vector<std::uint8_t>().swap(framed_);
}

void client_session::on_attention() {
  log_event("{} attention", who());
  cancel_.cancel();
  latency_timer_.cancel();
  if (db_) sqlite3_interrupt(db_->get());
}

void client_session::close(const std::string& reason) {
  if (closed_) return;
  closed_ = true;
  log_event("close {}: {}", who(), reason);
  boost::system::error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  cancel_.cancel();
  wakeup_.cancel();
  latency_timer_.cancel();
  if (db_) sqlite3_interrupt(db_->get());
}

void client_session::interrupt() {
  cancel_.cancel();
  // db_ is set once at login and only destroyed with the session, which the caller holds.
  if (auto* db = db_.get()) sqlite3_interrupt(db->get());
}

void client_session::post_close(std::string reason) {
  // Runs on the session's strand: socket operations are not thread-safe.
  asio::post(socket_.get_executor(), [self = shared_from_this(), reason = std::move(reason)] { self->close(reason); });
}

std::string client_session::who() const {
  return fmt::format("spid={} peer={}{}", spid_, peer_, user_.empty() ? "" : fmt::format(" user={}", user_));
}

}  // namespace tdsd
