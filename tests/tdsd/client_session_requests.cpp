// The request half of client_session: SQL batches, RPCs, transactions, ATTENTION.
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>
#include <sqlite3.h>

#include <optional>
#include <random>

#include "tests/tdsd/client_session.hpp"
#include "tests/tdsd/inline_policy.hpp"
#include "tests/tdsd/log.hpp"
#include "tests/tdsd/param_reader.hpp"
#include "tests/tdsd/rpc_request.hpp"
#include "tests/tdsd/server.hpp"
#include "tests/tdsd/tokens.hpp"
#include "tests/tdsd/transaction_request.hpp"
#include "tests/tdsd/utf16.hpp"
#include "tests/tdsd/worker.hpp"

namespace tdsd {
namespace {

std::mt19937& random_engine() {
  thread_local std::mt19937 engine{std::random_device{}()};
  return engine;
}

exec_outcome execute_on(std::shared_ptr<client_session> keep_alive, sqlite3* db, cancel_token* cancel,
                        exec_request request) {
  (void)keep_alive;  // the session (and its SQLite connection) must outlive the worker's job
  return execute(db, *cancel, request);
}

// Runs a transaction manager request on the client's SQLite connection.
std::optional<std::string> transaction_on(std::shared_ptr<client_session> keep_alive, sqlite3* db,
                                          transaction_request request) {
  (void)keep_alive;
  return apply_transaction_request(db, request);
}

std::array<std::uint8_t, 8> descriptor_bytes(std::uint64_t id) {
  std::array<std::uint8_t, 8> out{};
  for (int i = 0; i < 8; ++i) out[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(id >> (8 * i));
  return out;
}

}  // namespace

asio::awaitable<void> client_session::process_loop() {
  for (;;) {
    while (inbox_.empty() && !reader_done_ && !closed_) {
      wakeup_.expires_at(asio::steady_timer::time_point::max());
      boost::system::error_code ignored;
      co_await wakeup_.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    }
    if (inbox_.empty() || closed_) co_return;
    message msg = std::move(inbox_.front());
    inbox_.pop_front();
    if (!co_await handle(std::move(msg))) co_return;
  }
}

asio::awaitable<bool> client_session::handle(message msg) {
  switch (msg.type) {
    case packet_type::attention: {
      // The request it cancelled (if any) has been answered: acknowledge in a message of its own.
      cancel_.reset();
      byte_writer w;
      write_done(w, token::done, done_status::attention, 0, 0);
      co_await send(w.data());
      co_return true;
    }
    case packet_type::sql_batch: {
      const std::size_t start = skip_all_headers(msg.payload);
      if ((msg.payload.size() - start) % 2 != 0) throw protocol_error("SQL batch text has an odd byte count");
      exec_request request;
      request.reset_connection = msg.reset_connection;
      request.tsql = utf16le_to_utf8(std::span<const std::uint8_t>(msg.payload).subspan(start));
      co_return co_await run_request(std::move(request));
    }
    case packet_type::rpc:
      co_return co_await handle_rpc(msg);
    case packet_type::transaction_manager:
      co_return co_await handle_transaction(msg);
    default:
      throw protocol_error(fmt::format("unexpected packet type 0x{:02x} after login", static_cast<int>(msg.type)));
  }
}

asio::awaitable<bool> client_session::handle_rpc(const message& msg) {
  rpc_request rpc;
  std::string unsupported;
  try {
    rpc = parse_rpc(msg.payload);
  } catch (const unsupported_request& e) {
    unsupported = e.what();
  }
  // Arguments of co_await calls are named locals: g++ 12 can destroy temporaries there twice.
  server_message refusal;
  if (!unsupported.empty()) {
    refusal = server_message{50000, 16, 1, unsupported};
  } else if (!rpc.is_executesql()) {
    const auto name = rpc.proc_name.empty() ? fmt::format("#{}", rpc.proc_id) : rpc.proc_name;
    refusal = server_message{2812, 16, 62, fmt::format("Could not find stored procedure '{}'.", name)};
  } else if (rpc.params.empty() || rpc.params[0].value.type != sql_value::kind::text) {
    refusal = server_message{214, 16, 2, "Procedure expects parameter '@statement' of type 'ntext/nchar/nvarchar'."};
  }
  if (!refusal.text.empty()) co_return co_await send_error(refusal, token::done_proc);
  exec_request request;
  request.reset_connection = msg.reset_connection;
  request.in_proc = true;
  request.tsql = rpc.params[0].value.bytes;
  // The second parameter declares the others; their values are bound by name.
  for (std::size_t i = 2; i < rpc.params.size(); ++i) request.params.push_back(std::move(rpc.params[i]));
  co_return co_await run_request(std::move(request));
}

asio::awaitable<bool> client_session::run_request(exec_request request) {
  server_.stats().queries++;
  const auto faults = server_.faults().for_database(database_);
  if (faults.drop_percent > 0 &&
      std::uniform_int_distribution<int>(1, 100)(random_engine()) <= faults.drop_percent) {
    close(fmt::format("drop_percent fault ({}%)", faults.drop_percent));
    co_return false;
  }
  if (faults.latency.count() > 0 || faults.jitter.count() > 0) {
    const auto extra = std::uniform_int_distribution<long>(0, static_cast<long>(faults.jitter.count()))(random_engine());
    if (!co_await wait_latency(faults.latency + std::chrono::milliseconds(extra))) {
      if (closed_) co_return false;
      byte_writer nothing;
      co_await send_cancelled(nothing);
      co_return true;
    }
  }
  request.drop_after_rows = faults.drop_after_rows;
  request.transactions = &transactions_;
  request.session = &identity_;
  request.cache = &db_->cache();
  std::optional<exec_outcome> quick;
  if (runs_inline(db_->get(), request)) {
    quick = execute_inline(db_->get(), cancel_, request);
    (quick ? server_.stats().inline_queries : server_.stats().inline_fallbacks)++;
  }
  exec_outcome outcome;
  if (quick) {
    outcome = std::move(*quick);
  } else {
    const std::function<exec_outcome()> job =
        std::bind(execute_on, shared_from_this(), db_->get(), &cancel_, std::move(request));
    outcome = co_await run_on_workers(server_.workers(), job);
  }
  if (closed_) co_return false;
  if (outcome.cancelled) {
    co_await send_cancelled(outcome.tokens);
    co_return true;
  }
  if (outcome.drop) {
    co_await send(outcome.tokens.data(), false);
    close(fmt::format("drop_after_rows fault ({} rows)", faults.drop_after_rows));
    co_return false;
  }
  if (faults.cut_reply_bytes > 0 || faults.fake_done_bytes > 0) {
    auto cut = outcome.tokens.data();
    const std::uint64_t lost = std::max(faults.cut_reply_bytes, faults.fake_done_bytes);
    cut.resize(cut.size() - std::min<std::size_t>(cut.size(), lost));
    if (faults.fake_done_bytes > 0) {
      byte_writer done;
      write_done(done, token::done, done_status::final, 0, 0);
      cut.insert(cut.end(), done.data().begin(), done.data().end());
    }
    co_await send(cut);
    co_return true;
  }
  co_await send(outcome.tokens.data());
  co_return true;
}

asio::awaitable<void> client_session::send_cancelled(byte_writer& partial) {
  // The cancelled request still gets a complete response message (tedious reads one before it
  // looks for the acknowledgement); the queued ATTENTION then gets its DONE 0x20 message.
  write_done(partial, token::done, done_status::final, 0, 0);
  co_await send(partial.data());
}

asio::awaitable<bool> client_session::wait_latency(std::chrono::milliseconds delay) {
  if (cancel_.cancelled()) co_return false;
  latency_timer_.expires_after(delay);
  boost::system::error_code ec;
  co_await latency_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  co_return !cancel_.cancelled() && !closed_;
}

asio::awaitable<bool> client_session::send_error(const server_message& m, std::uint8_t done_kind) {
  byte_writer w;
  write_error_done(w, m, done_kind);
  co_await send(w.data());
  co_return true;
}

asio::awaitable<bool> client_session::handle_transaction(const message& msg) {
  transaction_request request;
  server_message refusal;
  try {
    request = parse_transaction_request(msg.payload);
  } catch (const unsupported_request& e) {
    refusal = server_message{50000, 16, 1, e.what()};
  }
  if (!refusal.text.empty()) co_return co_await send_error(refusal, token::done);
  server_.stats().queries++;
  const std::function<std::optional<std::string>()> job =
      std::bind(transaction_on, shared_from_this(), db_->get(), request);
  const auto error = co_await run_on_workers(server_.workers(), job);
  if (error) {
    refusal = server_message{50000, 16, 1, *error};
    co_return co_await send_error(refusal, token::done);
  }
  // Descriptors are what the client echoes in ALL_HEADERS; SQLite needs none of them.
  byte_writer w;
  if (request.action != transaction_request::kind::begin) {
    const auto old = descriptor_bytes(transactions_.current);
    write_envchange_bytes(w, request.action == transaction_request::kind::commit ? 9 : 10, {}, old);
    transactions_.current = 0;
  }
  if (request.action == transaction_request::kind::begin || request.begin_after) {
    transactions_.current = transactions_.next++;
    write_envchange_bytes(w, 8, descriptor_bytes(transactions_.current), {});
  }
  write_done(w, token::done, done_status::final, 0, 0);
  co_await send(w.data());
  co_return true;
}

}  // namespace tdsd
