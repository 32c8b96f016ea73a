#include "tests/tdsd/control.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <fmt/format.h>

#include <charconv>
#include <optional>
#include <sstream>
#include <vector>

#include "tests/tdsd/log.hpp"
#include "tests/tdsd/server.hpp"

namespace tdsd {
namespace {

using tcp = asio::ip::tcp;

std::vector<std::string> words_of(std::string_view line) {
  std::istringstream in{std::string(line)};
  std::vector<std::string> words;
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

std::optional<long long> number_of(const std::string& text) {
  long long v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size() || v < 0) return std::nullopt;
  return v;
}

std::optional<bool> switch_of(const std::string& text) {
  if (text == "on") return true;
  if (text == "off") return false;
  return std::nullopt;
}

std::string stats_line(server& srv) {
  auto& s = srv.stats();
  return fmt::format(
      "ok connections={} logins={} queries={} failed_logins={} accepted={} peak_connections={} "
      "tls_sessions={} tls_login_only={} tls_refused={} tls_failures={} inline_queries={} inline_fallbacks={}",
      s.connections.load(), s.logins.load(), s.queries.load(), s.failed_logins.load(), s.accepted.load(),
      s.peak_connections.load(), s.tls_sessions.load(), s.tls_login_only.load(), s.tls_refused.load(),
      s.tls_failures.load(), s.inline_queries.load(), s.inline_fallbacks.load());
}

std::string database_command(server& srv, const std::vector<std::string>& w) {
  const auto& cmd = w[0];
  const std::size_t want = cmd == "latency" ? 4 : 3;
  if (w.size() != want) {
    return fmt::format("error: usage: {} DB {}", cmd, cmd == "latency" ? "FIXED_MS JITTER_MS" : "N");
  }
  if (!srv.catalog().find(w[1])) return fmt::format("error: unknown database {}", w[1]);
  const auto a = number_of(w[2]);
  const auto b = want == 4 ? number_of(w[3]) : std::optional<long long>(0);
  if (!a || !b) return "error: expected non-negative numbers";
  if (cmd == "latency") {
    srv.faults().set_latency(w[1], std::chrono::milliseconds(*a), std::chrono::milliseconds(*b));
  } else if (cmd == "drop_after_rows") {
    srv.faults().set_drop_after_rows(w[1], static_cast<std::uint64_t>(*a));
  } else if (cmd == "cut_reply") {
    srv.faults().set_cut_reply(w[1], static_cast<std::uint64_t>(*a));
  } else if (cmd == "fake_done") {
    srv.faults().set_fake_done(w[1], static_cast<std::uint64_t>(*a));
  } else {
    if (*a > 100) return "error: percent must be 0..100";
    srv.faults().set_drop_percent(w[1], static_cast<int>(*a));
  }
  return "ok";
}

std::string switch_command(server& srv, const std::vector<std::string>& w) {
  const auto on = w.size() == 2 ? switch_of(w[1]) : std::nullopt;
  if (!on) return fmt::format("error: usage: {} on|off", w[0]);
  if (w[0] == "stall") {
    srv.faults().set_stall(*on);
  } else {
    srv.faults().set_refuse_logins(*on);
  }
  return "ok";
}

asio::awaitable<void> control_session(server* srv, tcp::socket socket) {
  asio::streambuf buffer(64 * 1024);
  for (;;) {
    boost::system::error_code ec;
    const std::size_t n = co_await asio::async_read_until(socket, buffer, '\n', asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    std::string line(asio::buffers_begin(buffer.data()), asio::buffers_begin(buffer.data()) + static_cast<std::ptrdiff_t>(n));
    buffer.consume(n);
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    const std::string reply = run_control_command(*srv, line) + "\n";
    co_await asio::async_write(socket, asio::buffer(reply), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
  }
}

}  // namespace

std::string run_control_command(server& srv, std::string_view line) {
  const auto w = words_of(line);
  if (w.empty()) return "error: empty command";
  log_event("control: {}", line);
  const auto& cmd = w[0];
  if (cmd == "latency" || cmd == "drop_after_rows" || cmd == "drop_percent" || cmd == "cut_reply" || cmd == "fake_done") return database_command(srv, w);
  if (cmd == "stall" || cmd == "refuse_logins") return switch_command(srv, w);
  if (w.size() != 1) return fmt::format("error: {} takes no arguments", cmd);
  if (cmd == "stats") return stats_line(srv);
  if (cmd == "reset") {
    srv.faults().reset();
    srv.stats().peak_connections.store(srv.stats().connections.load());
    return "ok";
  }
  if (cmd == "kill_connections") {
    srv.kill_connections("kill_connections (control command)");
    return "ok";
  }
  if (cmd == "down") {
    srv.down();
    return "ok";
  }
  if (cmd == "up") {
    const auto error = srv.up();
    return error.empty() ? "ok" : "error: " + error;
  }
  return fmt::format("error: unknown command '{}'", cmd);
}

asio::awaitable<void> control_accept_loop(server* srv, std::shared_ptr<tcp::acceptor> acceptor) {
  for (;;) {
    boost::system::error_code ec;
    tcp::socket socket = co_await acceptor->async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::operation_aborted || !acceptor->is_open()) co_return;
    if (ec) continue;
    asio::co_spawn(acceptor->get_executor(), control_session(srv, std::move(socket)), asio::detached);
  }
}

}  // namespace tdsd
