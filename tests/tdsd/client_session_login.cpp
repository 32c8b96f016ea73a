// The handshake half of client_session: PRELOGIN, LOGIN7, authentication, login reply.
#include <fmt/format.h>

#include "tests/tdsd/client_session.hpp"
#include "tests/tdsd/log.hpp"
#include "tests/tdsd/login7.hpp"
#include "tests/tdsd/prelogin.hpp"
#include "tests/tdsd/tls_channel.hpp"
#include "tests/tdsd/server.hpp"
#include "tests/tdsd/tokens.hpp"
#include "tests/tdsd/worker.hpp"

namespace tdsd {
namespace {

std::vector<std::uint8_t> login_reply(const std::string& database) {
  byte_writer w;
  write_envchange_text(w, 1, database, "master");
  write_message(w, token::info, {5701, 0, 2, fmt::format("Changed database context to '{}'.", database)});
  write_envchange_bytes(w, 7, std::span<const std::uint8_t>(default_collation), {});
  write_envchange_text(w, 2, "us_english", "");
  write_message(w, token::info, {5703, 0, 1, "Changed language setting to us_english."});
  write_login_ack(w);
  write_envchange_text(w, 4, "4096", "4096");
  write_done(w, token::done, done_status::final, 0, 0);
  return std::move(w.data());
}

const login_config* find_login(const server_config& config, const std::string& user) {
  for (const auto& l : config.logins) {
    if (l.user == user) return &l;
  }
  return nullptr;
}

std::unique_ptr<sqlite_connection> open_database(const database_entry* db, connection_identity* identity) {
  return std::make_unique<sqlite_connection>(db->path, identity, db->sharing());
}

}  // namespace

asio::awaitable<bool> client_session::handshake() {
  message msg = co_await read_message(socket_);
  tls_scope scope = tls_scope::none;
  if (msg.type == packet_type::prelogin) {
    scope = co_await answer_prelogin(msg);
    if (scope == tls_scope::refuse) co_return false;
    if (scope != tls_scope::none) co_await start_tls(scope);
    msg = co_await read_next();
  } else if (server_.config().tls.mode == tls_mode::required) {
    // Without PRELOGIN there is no way to agree on encryption: Force Encryption refuses.
    server_.stats().tls_refused++;
    close("LOGIN7 without PRELOGIN while tls mode is required");
    co_return false;
  }
  // ENCRYPT_OFF: only LOGIN7 travels inside TLS; the login reply and all after it are plain.
  if (scope == tls_scope::login_only) tls_.reset();
  if (msg.type != packet_type::login7) {
    throw protocol_error(fmt::format("expected LOGIN7, got packet type 0x{:02x}", static_cast<int>(msg.type)));
  }
  const login_request request = parse_login7(msg.payload);
  co_return co_await login(request);
}

asio::awaitable<tls_scope> client_session::answer_prelogin(const message& prelogin) {
  check_prelogin(prelogin.payload);
  const encryption client = client_encryption(prelogin.payload);
  const encryption_choice choice = negotiate_encryption(server_.config().tls.mode, client);
  const auto reply = prelogin_reply(choice.answer);
  co_await send(reply);
  if (choice.scope == tls_scope::refuse) {
    // The reply said ENCRYPT_REQ, so the client can tell its user why it is turned away.
    server_.stats().tls_refused++;
    close("client does not support encryption (ENCRYPT_NOT_SUP) and tls mode is required");
  }
  co_return choice.scope;
}

asio::awaitable<void> client_session::start_tls(tls_scope scope) {
  tls_ = std::make_unique<tls_channel>(server_.tls()->get(), socket_);
  try {
    co_await tls_->handshake(spid_);
  } catch (...) {
    server_.stats().tls_failures++;
    throw;
  }
  const bool whole = scope == tls_scope::whole_session;
  (whole ? server_.stats().tls_sessions : server_.stats().tls_login_only)++;
  log_event("{} TLS {} ({})", who(), tls_->description(), whole ? "whole session" : "LOGIN7 only");
}

asio::awaitable<bool> client_session::login(const login_request& request) {
  user_ = request.user;
  identity_.login_textsize = login_textsize(request.odbc);
  identity_.textsize = identity_.login_textsize;
  identity_.login_options = server_.config().user_options;
  identity_.options = identity_.login_options;
  const auto failed = fmt::format("Login failed for user '{}'.", request.user);
  // Arguments of co_await calls are named locals: g++ 12 can destroy temporaries there twice.
  std::string why;
  const login_config* account = find_login(server_.config(), request.user);
  if (server_.faults().refuse_logins()) {
    why = "refuse_logins fault";
  } else if (!account) {
    why = "unknown user";
  } else if (account->password != request.password) {
    why = "wrong password";
  }
  if (!why.empty()) co_return co_await refuse_login(why, 18456, failed);

  std::string wanted = request.database;
  if (wanted.empty()) {
    const auto& first = account->databases.front();
    wanted = first == "*" ? server_.catalog().first().name : first;
  }
  const database_entry* db = server_.catalog().find(wanted);
  const auto cannot_open = fmt::format("Cannot open database \"{}\" requested by the login. The login failed.", wanted);
  if (!db || !account->may_open(wanted)) {
    why = fmt::format("database {} not allowed or unknown", wanted);
    co_return co_await refuse_login(why, 4060, cannot_open);
  }
  std::string open_error;
  try {
    const std::function<std::unique_ptr<sqlite_connection>()> job = std::bind(open_database, db, &identity_);
    db_ = co_await run_on_workers(server_.workers(), job);
  } catch (const std::exception& e) {
    open_error = e.what();
  }
  if (!db_) {
    why = fmt::format("cannot open {}: {}", db->path, open_error);
    co_return co_await refuse_login(why, 4060, cannot_open);
  }
  database_ = db->name;
  server_.stats().logins++;
  log_event("login ok {} database={} app={}", who(), database_, request.app);
  const auto reply = login_reply(database_);
  co_await send(reply);
  co_return true;
}

asio::awaitable<bool> client_session::refuse_login(const std::string& why, int number, const std::string& text) {
  server_.stats().failed_logins++;
  log_event("login failed {}: {}", who(), why);
  byte_writer w;
  const std::uint8_t severity = number == 4060 ? 11 : 14;
  write_error_done(w, server_message{number, severity, 1, text});
  co_await send(w.data());
  close(fmt::format("login failed ({})", why));
  co_return false;
}

}  // namespace tdsd
