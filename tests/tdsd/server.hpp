#pragma once
// The tdsd server: TDS listener, control listener, live sessions, faults and counters.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/thread_pool.hpp>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "tests/tdsd/config.hpp"
#include "tests/tdsd/database_catalog.hpp"
#include "tests/tdsd/fault_state.hpp"
#include "tests/tdsd/tls_context.hpp"

namespace tdsd {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

class client_session;

/// Counters reported by the control command `stats`.
struct server_stats {
  std::atomic<std::uint64_t> connections{0};  // open right now
  std::atomic<std::uint64_t> peak_connections{0};  // most open at once since start or reset
  std::atomic<std::uint64_t> accepted{0};
  std::atomic<std::uint64_t> logins{0};
  std::atomic<std::uint64_t> failed_logins{0};
  std::atomic<std::uint64_t> queries{0};
  std::atomic<std::uint64_t> inline_queries{0};    // run on the socket thread (inline_policy.hpp)
  std::atomic<std::uint64_t> inline_fallbacks{0};  // cut off there at the budget, run again on a worker
  std::atomic<std::uint64_t> tls_sessions{0};    // handshakes done, the whole session encrypted
  std::atomic<std::uint64_t> tls_login_only{0};  // handshakes done, LOGIN7 encrypted only
  std::atomic<std::uint64_t> tls_refused{0};     // clients that would not encrypt under mode required
  std::atomic<std::uint64_t> tls_failures{0};    // handshakes that failed
};

/// Owns the listeners and knows every live session (for kill_connections and down).
class server {
 public:
  /// `workers` runs SQLite; `io` runs sockets (one thread). Loads the TLS certificate
  /// when `config.tls.mode` is not off (throws std::runtime_error if it cannot).
  server(asio::io_context& io, asio::thread_pool& workers, server_config config, database_catalog& catalog);

  /// Binds the TDS and control listeners and starts accepting; throws on bind errors.
  void start();
  /// Where the TDS listener is bound.
  tcp::endpoint listen_endpoint() const { return listen_endpoint_; }
  /// Where the control listener is bound.
  tcp::endpoint control_endpoint() const { return control_endpoint_; }

  /// Stops listening and closes every client connection.
  void down();
  /// Listens again on the same port; returns an error text, empty on success.
  std::string up();
  /// Closes every client connection, giving `reason` in the log.
  void kill_connections(const std::string& reason);
  /// Shuts everything down (signal): listeners, sessions, running queries.
  void stop();

  /// Called by a session when it starts and ends.
  void register_session(const std::shared_ptr<client_session>& session);
  /// A new session id and SPID (SPIDs start at 51 like SQL Server's user sessions).
  std::pair<std::uint64_t, std::uint16_t> allocate_identity();
  /// Called by a session when it ends.
  void unregister_session(std::uint64_t id);

  /// Runtime faults.
  fault_state& faults() { return faults_; }
  /// Counters.
  server_stats& stats() { return stats_; }
  /// The loaded configuration.
  const server_config& config() const { return config_; }
  /// The databases.
  const database_catalog& catalog() const { return catalog_; }
  /// The TLS context; null when tls mode is off.
  const tls_context* tls() const { return tls_.get(); }
  /// The SQLite worker pool.
  asio::thread_pool& workers() { return workers_; }

 private:
  void open_listener();

  asio::io_context& io_;
  asio::thread_pool& workers_;
  server_config config_;
  database_catalog& catalog_;
  fault_state faults_;
  server_stats stats_;
  std::unique_ptr<tls_context> tls_;
  std::shared_ptr<tcp::acceptor> listener_;
  std::shared_ptr<tcp::acceptor> control_;
  tcp::endpoint listen_endpoint_;
  tcp::endpoint control_endpoint_;
  std::mutex sessions_mutex_;
  std::map<std::uint64_t, std::weak_ptr<client_session>> sessions_;
  std::uint64_t next_id_ = 1;
  std::uint16_t next_spid_ = 51;
  bool stopped_ = false;
};

}  // namespace tdsd
