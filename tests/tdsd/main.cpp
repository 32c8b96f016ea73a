// tdsd: a TDS 7.4 server on SQLite, the local stand-in for SQL Server in tests and demos.
#include <sqlite3.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <fmt/format.h>

#include <sys/resource.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <iostream>
#include <optional>
#include <string>

#include "tests/tdsd/config.hpp"
#include "tests/tdsd/database_catalog.hpp"
#include "tests/tdsd/log.hpp"
#include "tests/tdsd/server.hpp"

namespace {

struct options {
  std::string config;
  std::optional<int> port;
};

int usage() {
  std::fprintf(stderr, "usage: tdsd --config FILE [--port N]\n");
  return 2;
}

std::optional<options> parse_args(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--config" && i + 1 < argc) {
      o.config = argv[++i];
    } else if (arg == "--port" && i + 1 < argc) {
      o.port = std::stoi(argv[++i]);
    } else {
      return std::nullopt;
    }
  }
  if (o.config.empty()) return std::nullopt;
  return o;
}

// Each client holds a socket and three SQLite files (db, -wal, -shm): a soft limit of 1024
// descriptors would cap tdsd near 250 clients, so take what the hard limit allows.
void raise_file_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

// With TDSD_EXIT_WITH_PARENT=1, tdsd shuts down once the process that started it is gone,
// so a test runner killed mid-test leaves no server behind. Polled: works whichever thread
// of the parent started us (PR_SET_PDEATHSIG follows the thread, not the process).
void watch_parent(boost::asio::steady_timer& timer, pid_t parent, tdsd::server& srv, boost::asio::io_context& io) {
  timer.expires_after(std::chrono::seconds(1));
  timer.async_wait([&timer, parent, &srv, &io](const boost::system::error_code& ec) {
    if (ec) return;
    if (getppid() != parent) {
      tdsd::log_event("parent process {} exited: shutting down", parent);
      srv.stop();
      io.stop();
      return;
    }
    watch_parent(timer, parent, srv, io);
  });
}

// SQLite work runs here, never on the socket thread; latency waits do not hold a worker.
constexpr std::size_t worker_threads = 64;

}  // namespace

int main(int argc, char** argv) {
  std::optional<options> opts;
  try {
    opts = parse_args(argc, argv);
  } catch (const std::exception&) {
    return usage();
  }
  if (!opts) return usage();
  raise_file_limit();
  // SQLite counts every allocation under a process-wide mutex unless told not to; tdsd
  // never reads those counters, and every query allocates (SQLite's own tuning advice).
  sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  // A closed stdout/stderr pipe must not kill tdsd before it removes its temp databases.
  std::signal(SIGPIPE, SIG_IGN);
  try {
    auto config = tdsd::load_config(opts->config);
    if (opts->port) config.listen.port = static_cast<std::uint16_t>(*opts->port);
    tdsd::database_catalog catalog(config.databases);
    boost::asio::thread_pool workers(worker_threads);
    boost::asio::io_context io(1);
    tdsd::server srv(io, workers, std::move(config), catalog);
    srv.start();
    boost::asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code& ec, int signum) {
      if (ec) return;
      tdsd::log_event("signal {}: shutting down", signum);
      srv.stop();
      io.stop();
    });
    boost::asio::steady_timer parent_watch(io);
    if (const char* v = std::getenv("TDSD_EXIT_WITH_PARENT"); v && std::string_view(v) == "1") {
      watch_parent(parent_watch, getppid(), srv, io);
    }
    const auto control = srv.control_endpoint();
    const auto listen = srv.listen_endpoint();
    // The control line first: whoever waits for "listening on" can rely on it being there.
    std::cout << fmt::format("tdsd control on {}:{}\n", control.address().to_string(), control.port()) << std::flush;
    std::cout << fmt::format("tdsd listening on {}:{}\n", listen.address().to_string(), listen.port()) << std::flush;
    io.run();
    workers.join();
    tdsd::log_event("stopped");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tdsd: %s\n", e.what());
    return 1;
  }
  return 0;
}
