#include "tests/tdsd/server.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "tests/tdsd/client_session.hpp"
#include "tests/tdsd/control.hpp"
#include "tests/tdsd/log.hpp"

namespace tdsd {
namespace {

std::shared_ptr<tcp::acceptor> bind_acceptor(asio::io_context& io, const tcp::endpoint& endpoint) {
  auto acceptor = std::make_shared<tcp::acceptor>(io);
  acceptor->open(endpoint.protocol());
  acceptor->set_option(asio::socket_base::reuse_address(true));
  acceptor->bind(endpoint);
  acceptor->listen(asio::socket_base::max_listen_connections);
  return acceptor;
}

// Each accepted socket gets its own strand; the session runs there.
asio::awaitable<void> accept_loop(server* srv, std::shared_ptr<tcp::acceptor> acceptor, asio::io_context* io) {
  for (;;) {
    tcp::socket socket(asio::make_strand(*io));
    boost::system::error_code ec;
    co_await acceptor->async_accept(socket, asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::operation_aborted || !acceptor->is_open()) co_return;
    if (ec) {
      log_event("accept failed: {}", ec.message());
      continue;
    }
    srv->stats().accepted++;
    client_session::start(std::make_shared<client_session>(*srv, std::move(socket)));
  }
}

tcp::endpoint endpoint_of(const endpoint_config& e) {
  return tcp::endpoint(asio::ip::make_address(e.address), e.port);
}

}  // namespace

server::server(asio::io_context& io, asio::thread_pool& workers, server_config config, database_catalog& catalog)
    : io_(io), workers_(workers), config_(std::move(config)), catalog_(catalog), faults_(config_.faults) {
  if (config_.tls.mode != tls_mode::off) tls_ = std::make_unique<tls_context>(config_.tls);
}

void server::start() {
  listen_endpoint_ = endpoint_of(config_.listen);
  open_listener();
  control_ = bind_acceptor(io_, endpoint_of(config_.control));
  control_endpoint_ = control_->local_endpoint();
  asio::co_spawn(io_, control_accept_loop(this, control_), asio::detached);
}

void server::open_listener() {
  listener_ = bind_acceptor(io_, listen_endpoint_);
  listen_endpoint_ = listener_->local_endpoint();  // port 0 resolves here, and `up` reuses it
  asio::co_spawn(io_, accept_loop(this, listener_, &io_), asio::detached);
}

void server::down() {
  if (listener_) {
    boost::system::error_code ignored;
    listener_->close(ignored);
    listener_.reset();
  }
  kill_connections("server down (control command)");
  log_event("listener down on {}", listen_endpoint_.port());
}

std::string server::up() {
  if (listener_) return {};
  try {
    open_listener();
  } catch (const boost::system::system_error& e) {
    return fmt::format("cannot listen on port {}: {}", listen_endpoint_.port(), e.code().message());
  }
  log_event("listener up on {}", listen_endpoint_.port());
  return {};
}

void server::kill_connections(const std::string& reason) {
  std::vector<std::shared_ptr<client_session>> live;
  {
    std::lock_guard lock(sessions_mutex_);
    for (const auto& [id, weak] : sessions_) {
      if (auto s = weak.lock()) live.push_back(std::move(s));
    }
  }
  for (const auto& s : live) s->post_close(reason);
}

void server::stop() {
  if (stopped_) return;
  stopped_ = true;
  boost::system::error_code ignored;
  if (listener_) listener_->close(ignored);
  if (control_) control_->close(ignored);
  std::lock_guard lock(sessions_mutex_);
  for (const auto& [id, weak] : sessions_) {
    if (auto s = weak.lock()) s->interrupt();
  }
}

void server::register_session(const std::shared_ptr<client_session>& session) {
  std::lock_guard lock(sessions_mutex_);
  sessions_[session->id()] = session;
  const auto open_now = ++stats_.connections;
  // under sessions_mutex_: the peak cannot miss a concurrent registration
  if (open_now > stats_.peak_connections.load()) stats_.peak_connections.store(open_now);
}

std::pair<std::uint64_t, std::uint16_t> server::allocate_identity() {
  std::lock_guard lock(sessions_mutex_);
  const auto spid = next_spid_;
  next_spid_ = next_spid_ >= 32000 ? 51 : static_cast<std::uint16_t>(next_spid_ + 1);
  return {next_id_++, spid};
}

void server::unregister_session(std::uint64_t id) {
  std::lock_guard lock(sessions_mutex_);
  if (sessions_.erase(id)) stats_.connections--;
}

}  // namespace tdsd
