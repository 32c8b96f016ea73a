#include "tds_pool/freetds/connection.hpp"

#include <sybfront.h>
#include <sybdb.h>

#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <limits>
#include <mutex>
#include <span>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <fmt/format.h>

#include "tds_pool/freetds/reply_peek.hpp"
#include "tds_pool/freetds/row_reader.hpp"
#include "tds_pool/freetds/rpc_binding.hpp"
#include "tds_pool/freetds/session_state.hpp"
#include "tds_pool/freetds/socket_shortcut.hpp"
#include "tds_pool/tls/tls_relay.hpp"

namespace tds_pool {
namespace {

constexpr DBINT login_failed_number = 18456;

// A request this small goes out in one or two TDS packets.
constexpr std::size_t max_inline_request = 8 * 1024;

/// What a request may take in the send queue, generously: UTF-16 text, the parameter
/// declaration, TDS headers.
std::size_t request_size_estimate(const query& q) {
    std::size_t estimate = 1024 + 4 * q.sql.size();
    for (const auto& p : q.params) {
        estimate += 64 + 4 * p.name.size();
        if (const auto* text = std::get_if<std::string>(&p.value)) estimate += 2 * text->size();
        if (const auto* bytes = std::get_if<std::vector<std::uint8_t>>(&p.value)) estimate += bytes->size();
    }
    return estimate;
}

/// net.ipv4.tcp_notsent_lowat, read once: what a socket without its own
/// TCP_NOTSENT_LOWAT may keep unsent before a write would wait (unlimited by default).
std::size_t system_unsent_limit() {
    static const std::size_t limit = [] {
        std::ifstream file("/proc/sys/net/ipv4/tcp_notsent_lowat");
        unsigned long long value = 0;
        if (file >> value && value > 0) return static_cast<std::size_t>(value);
        return std::numeric_limits<std::size_t>::max();
    }();
    return limit;
}

int whole_seconds(std::chrono::milliseconds timeout) {
    // db-lib time-outs are whole seconds; 0 would mean "wait forever".
    const auto ms = timeout.count();
    return static_cast<int>(ms <= 0 ? 1 : (ms + 999) / 1000);
}

db_error open_failure(const connection_target& target, const detail::diagnostics& diag) {
    if (diag.server_error && diag.server_error->number == login_failed_number) {
        return {errc::login_failed,
                fmt::format("login failed for user '{}' on {}", target.user, target.address()),
                diag.server_error};
    }
    std::string reason = diag.server_error ? diag.server_error->message : diag.last_db_message;
    if (reason.empty()) {
        reason = "connection failed";
    }
    return {errc::tenant_db_unavailable,
            fmt::format("cannot connect to {}: {}", target.address(), reason), diag.server_error};
}

// db-lib keeps the login time-out in a process-wide setting: set it under a lock right
// before each dbopen so pools with different settings do not mix them up.
std::mutex login_timeout_mutex;

/// Where dbopen dials, and for an encrypted target the relay session in between.
struct dial_plan {
    std::string address;
    std::shared_ptr<tls::relay_link> relay;
};

/// The server itself, or for an encrypted target the relay's loopback port in front of a
/// secured connection to it.
outcome<dial_plan> plan_dial(const connection_target& target, const connect_options& options) {
    if (!target.tls.encrypt) {
        // "host:port" reaches the server without a freetds.conf entry (FreeTDS 1.3).
        return dial_plan{target.address(), nullptr};
    }
    auto secured = tls::secure_connect(target, std::chrono::steady_clock::now() + options.login_timeout);
    if (auto* error = std::get_if<db_error>(&secured)) {
        return std::move(*error);
    }
    auto relayed = tls::tls_relay::instance().serve(std::move(std::get<tls::secured_server>(secured)),
                                                    options.login_timeout);
    if (!relayed) {
        return relayed.error();
    }
    return dial_plan{fmt::format("127.0.0.1:{}", relayed.value().port), std::move(relayed.value().link)};
}

}  // namespace

const char* link_encryption_name(link_encryption e) noexcept {
    switch (e) {
    case link_encryption::not_required: return "not_required";
    case link_encryption::encrypted: return "encrypted";
    case link_encryption::verified: return "verified";
    }
    return "not_required";
}

outcome<std::unique_ptr<connection>> connection::open(const connection_target& target,
                                                      const connect_options& options) {
    detail::ensure_freetds_initialized();
    auto dial = plan_dial(target, options);
    if (!dial) {
        return dial.error();
    }
    LOGINREC* login = dblogin();
    if (login == nullptr) {
        return db_error{errc::tenant_db_unavailable, "cannot allocate a FreeTDS login"};
    }
    DBSETLUSER(login, target.user.c_str());
    DBSETLPWD(login, target.password.c_str());
    DBSETLAPP(login, options.app_name.c_str());
    DBSETLDBNAME(login, target.database.c_str());
    // Fixed 7.4: with auto-detection a fallback login can ignore the login time-out.
    DBSETLVERSION(login, DBVERSION_74);
    DBSETLCHARSET(login, "UTF-8");

    auto diag = std::make_unique<detail::diagnostics>();
    DBPROCESS* proc = nullptr;
    {
        detail::login_scope scope(*diag);
        std::unique_lock lock(login_timeout_mutex);
        dbsetlogintime(whole_seconds(options.login_timeout));
        lock.unlock();
        proc = dbopen(login, dial.value().address.c_str());
    }
    dbloginfree(login);
    if (proc == nullptr) {
        if (dial.value().relay) dial.value().relay->finish();
        return open_failure(target, *diag);
    }
    std::unique_ptr<connection> opened(new connection(proc, std::move(diag)));
    opened->relay_ = std::move(dial.value().relay);
    if (target.tls.encrypt) {
        opened->encryption_ = target.tls.trust_server_certificate ? link_encryption::encrypted
                                                                  : link_encryption::verified;
    }
    return opened;
}

connection::connection(DBPROCESS* proc, std::unique_ptr<detail::diagnostics> diag)
    : proc_(proc), diag_(std::move(diag)) {
    dbsetuserdata(proc_, reinterpret_cast<BYTE*>(diag_.get()));
    enable_keepalive();
    learn_send_buffer();
}

connection::~connection() {
    hand_back_relay();
    dbclose(proc_);
    if (relay_) relay_->finish();
}

void connection::hand_back_relay() {
    if (relay_) relay_->hand_back();
}

void connection::enable_keepalive() {
    // The query time-out does not notice a silently dropped network while idle.
    const int fd = dbiordesc(proc_);
    if (fd < 0) {
        return;
    }
    int on = 1, idle = 30, interval = 10, count = 3;
    ::setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on));
    ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
    ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof(interval));
    ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof(count));
}

void connection::learn_send_buffer() {
    const int fd = dbiordesc(proc_);
    socklen_t size = sizeof(send_buffer_);
    if (fd < 0 || ::getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &send_buffer_, &size) != 0) {
        send_buffer_ = 0;  // unknown: no request is sent from an I/O thread
        return;
    }
    int lowat = 0;
    size = sizeof(lowat);
    if (::getsockopt(fd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &lowat, &size) == 0 && lowat > 0) {
        unsent_limit_ = static_cast<std::size_t>(lowat);
    } else {
        unsent_limit_ = system_unsent_limit();
    }
}

bool connection::is_dead() const { return DBDEAD(proc_) != FALSE; }

void connection::set_timeout(std::chrono::milliseconds timeout) {
    const int seconds = whole_seconds(timeout);
    if (seconds != timeout_seconds_) {
        const std::string text = std::to_string(seconds);
        dbsetopt(proc_, DBSETTIME, text.c_str(), 0);
        timeout_seconds_ = seconds;
    }
}

void connection::note_sent(std::string_view sql) noexcept {
    session_touched_ = session_touched_ || implicit_transactions_ || may_change_session_state(sql);
}

bool connection::send(const query& q, db_error& error) {
    note_sent(q.sql);
    auto declaration = parameter_declaration(q.params);
    if (!declaration) {
        error = declaration.error();
        return false;
    }
    switch (detail::send_rpc(proc_, q, declaration.value())) {
    case detail::rpc_send::sent: return true;
    case detail::rpc_send::not_built:
        dbfreebuf(proc_);
        error = db_error{errc::sql_error,
                         fmt::format("the request could not be built: {}",
                                     diag_->last_db_message.empty() ? "a parameter was refused"
                                                                    : diag_->last_db_message)};
        return false;
    case detail::rpc_send::send_failed: break;
    }
    unsafe_ = close_reason::request_failed;
    return false;
}

outcome<query_result> connection::fail(const char* what) {
    const bool dead = is_dead();
    if (diag_->timeouts > 0) {
        unsafe_ = close_reason::query_timeout;
    } else if (dead) {
        unsafe_ = close_reason::broken;
    } else if (!diag_->server_error) {
        unsafe_ = close_reason::request_failed;  // db-lib gave up, not the server
    }
    if (!dead) {
        // Skip whatever the failed command left unread so the next one starts clean.
        dbcancel(proc_);
    }
    if (diag_->timeouts > 0) {
        return db_error{errc::query_timeout, "the query ran past its time-out"};
    }
    if (dead) {
        return db_error{errc::connection_lost,
                        fmt::format("connection lost while {}: {}", what,
                                    diag_->last_db_message.empty() ? "socket closed"
                                                                   : diag_->last_db_message)};
    }
    if (diag_->server_error) {
        return db_error{errc::sql_error, diag_->server_error->message, diag_->server_error};
    }
    return db_error{errc::sql_error,
                    diag_->last_db_message.empty() ? std::string("the statement failed")
                                                   : diag_->last_db_message};
}

outcome<query_result> connection::execute(const query& q, std::chrono::milliseconds timeout) {
    if (auto error = send_request(q, timeout)) {
        return std::move(*error);
    }
    return read_reply();
}

connection::step connection::send_request_nonblocking(const query& q, std::chrono::milliseconds timeout,
                                                      db_error& error) {
    const auto queued_before = queued_at_most_;  // send_prepared forgets it
    // can_send_without_blocking found the room db-lib's poll would ask the kernel for.
    const detail::socket_shortcut room(socket(), detail::socket_shortcut::room_to_write);
    const step sent = send_prepared_inline(q, timeout, error);
    if (sent == step::done && queued_before) {
        queued_at_most_ = *queued_before + request_size_estimate(q);
    }
    return sent;
}

connection::step connection::send_prepared_inline(const query& q, std::chrono::milliseconds timeout,
                                                  db_error& error) {
    if (!relay_) return send_prepared(q, timeout, error);
    relay_->take_over();
    const step sent = send_prepared(q, timeout, error);
    if (sent == step::done && !relay_->send_request()) {
        failed_step_ = "sending the request";
        return step::failed;
    }
    return sent;
}

connection::step connection::send_prepared(const query& q, std::chrono::milliseconds timeout, db_error& error) {
    leave_idle_plain();
    diag_->reset();
    if (is_dead()) {
        error = db_error{errc::connection_lost, "connection already closed"};
        return step::refused;
    }
    set_timeout(timeout);
    if (!send(q, error)) {
        failed_step_ = "sending the request";
        return error.message.empty() ? step::failed : step::refused;
    }
    return step::done;
}

std::optional<db_error> connection::apply_text_size(const query& q, std::chrono::milliseconds timeout) {
    if (!q.text_size || q.text_size == text_size_) {
        return std::nullopt;
    }
    leave_idle_plain();
    diag_->reset();
    set_timeout(timeout);
    // A batch of its own, not part of the request: inside sp_executesql the setting would
    // end with it, and one round trip per change (at first use, after a reload) is cheap.
    const std::string sql = fmt::format("SET TEXTSIZE {}", *q.text_size);
    if (dbcmd(proc_, sql.c_str()) != SUCCEED || dbsqlsend(proc_) != SUCCEED) {
        dbfreebuf(proc_);
        failed_step_ = "setting the text size";
        return finish_failed_step();
    }
    result_collector nothing;  // SET sends no rows
    if (auto error = read_reply_into(nothing)) {
        return error;
    }
    text_size_ = q.text_size;
    return std::nullopt;
}

std::optional<db_error> connection::send_request(const query& q, std::chrono::milliseconds timeout) {
    hand_back_relay();
    if (auto error = apply_text_size(q, timeout)) {
        return error;
    }
    db_error error;
    switch (send_prepared(q, timeout, error)) {
    case step::done: return std::nullopt;
    case step::refused: return error;
    case step::failed: break;
    }
    return finish_failed_step();
}

int connection::socket() const { return dbiordesc(proc_); }

detail::watched_socket connection::watched_socket() {
    const int fd = socket();
    if (socket_inode_ == 0) socket_inode_ = detail::socket_inode(fd);
    return {fd, socket_inode_};
}

void connection::mark_cut() noexcept {
    cut_ = true;
    unsafe_ = close_reason::broken;
    leave_idle_plain();
}

int connection::reply_socket() const {
    const int relayed = relay_ ? relay_->reply_socket() : -1;
    return relayed >= 0 ? relayed : socket();
}

void connection::take_arrived_reply() {
    // A broken relay session shows as FreeTDS's socket closing: the read reports it.
    if (relay_) relay_->take_reply();
}

void connection::limit_reply_wait(std::chrono::milliseconds timeout) { set_timeout(timeout); }

bool connection::read_reply_tokens(row_sink& sink, bool& stopped) {
    stopped = false;
    if (dbsqlok(proc_) != SUCCEED) {
        failed_step_ = "waiting for the reply";
        return false;
    }
    const auto end = detail::read_results(proc_, sink);
    if (end == detail::read_end::failed || diag_->server_error) {
        failed_step_ = "reading results";
        return false;
    }
    stopped = end == detail::read_end::stopped;
    return true;
}

std::optional<db_error> connection::read_reply_into(row_sink& sink) {
    hand_back_relay();
    bool stopped = false;
    if (!read_reply_tokens(sink, stopped)) {
        return finish_failed_step();
    }
    if (stopped && dbcancel(proc_) != SUCCEED) {
        // The server did not acknowledge the cancel: the session's state is unknown.
        unsafe_ = close_reason::request_failed;
    }
    return std::nullopt;
}

outcome<query_result> connection::read_reply() {
    result_collector rows;
    if (auto error = read_reply_into(rows)) {
        return std::move(*error);
    }
    return std::move(rows.result);
}

bool connection::can_send_without_blocking(const query& q) {
    const int fd = socket();
    if (!idle_plain_ || fd < 0 || send_buffer_ <= 0 || (q.text_size && q.text_size != text_size_)) {
        return false;
    }
    const std::size_t estimate = request_size_estimate(q);
    // A quarter of the buffer: the kernel counts its own overhead per packet against it.
    const std::size_t room = static_cast<std::size_t>(send_buffer_) / 4;
    if (estimate > max_inline_request || estimate > room) {
        return false;
    }
    // A whole reply does not prove the server read the whole request: one that answers
    // early and stops reading would fill the send queue, and FreeTDS would then wait on
    // the I/O thread for room to write. What the queue may hold is bounded by the
    // requests sent inline since it was last seen empty; only when that bound leaves too
    // little room is the kernel asked (a system call, once every few requests). Room
    // also means half the unsent bytes a TCP_NOTSENT_LOWAT setting allows, past which
    // a write waits however large the buffer.
    const std::size_t bounded_room = std::min(room, unsent_limit_ / 2);
    if (queued_at_most_ && *queued_at_most_ + estimate <= bounded_room) {
        return true;
    }
    int queued = 0;
    if (::ioctl(fd, SIOCOUTQ, &queued) != 0 || queued != 0) {
        return false;
    }
    queued_at_most_ = 0;
    return true;
}

void connection::leave_idle_plain() noexcept {
    idle_plain_ = false;
    queued_at_most_.reset();
}

bool connection::reply_buffered() {
    const int fd = socket();
    whole_reply_size_ = fd >= 0 ? detail::whole_reply_size(fd) : 0;
    return whole_reply_size_ > 0;
}

std::optional<query_result> connection::read_buffered_reply() {
    result_collector rows;
    if (!read_buffered_reply_into(rows)) {
        return std::nullopt;
    }
    return std::move(rows.result);
}

bool connection::read_buffered_reply_into(row_sink& sink) {
    // The reply comes off the socket in one recv; db-lib reads it from memory.
    const int fd = socket();
    const auto reply = fd >= 0 ? detail::take_reply(fd, std::exchange(whole_reply_size_, 0))
                               : std::span<const unsigned char>{};
    detail::socket_shortcut shortcut(fd, reply);
    bool stopped = false;
    bool read = false;
    try {
        read = read_reply_tokens(sink, stopped);
    } catch (...) {  // the sink failed (out of memory): what db-lib left unread is lost
        if (shortcut.unread() > 0) abandon_for_lost_bytes(fd);
        throw;
    }
    if (read) {
        idle_plain_ = true;
    } else {
        leave_idle_plain();
    }
    if (stopped || (!read && shortcut.unread() > 0 && !is_dead())) {
        // The rest of the reply is in hand (a failure's rest too: once the shortcut ends,
        // nothing could read it).
        detail::skip_buffered_rest(proc_);
        if (read && (is_dead() || diag_->server_error)) {
            // What was skipped failed: the rows were complete, but not the session's proof.
            unsafe_ = unsafe_.value_or(close_reason::request_failed);
            leave_idle_plain();
        }
    }
    if (shortcut.unread() > 0) {
        abandon_for_lost_bytes(fd);
    }
    return read;
}

void connection::abandon_for_lost_bytes(int fd) {
    // db-lib stopped short of the end of a reply it was handed whole (tokens that end a
    // packet or more before the framing does): those packets are gone from the stream, so
    // the session cannot go on. (Bytes after the end inside a packet db-lib did read stay
    // in db-lib's own buffer, as they did when it read the socket itself.) Shutting the
    // socket down makes db-lib see it dead instead of reading on from the wrong place
    // (unless it is dead already: then it closed the descriptor, whose number may name
    // another socket now).
    unsafe_ = close_reason::broken;
    leave_idle_plain();
    if (!is_dead()) ::shutdown(fd, SHUT_RDWR);
}

db_error connection::finish_failed_step() {
    hand_back_relay();
    if (cut_) {
        // db-lib may not have seen the shutdown yet (the cut can land just after its call
        // returned): no cancel, which would read from a dead socket, and the right code.
        return db_error{errc::connection_lost, "connection cut: its reply held the event loop past the limit"};
    }
    return fail(failed_step_).error();
}

bool connection::validate(std::chrono::milliseconds timeout) {
    query probe{"SELECT @probe AS probe", {{"probe", param_type::int32, std::int64_t{1}}}, std::nullopt};
    auto result = execute(probe, timeout);
    if (!result || unsafe_reason() || result.value().sets.empty() || result.value().sets[0].rows.empty()) {
        return false;
    }
    const auto& value = result.value().sets[0].rows[0].at(0);
    const auto* one = std::get_if<std::int64_t>(&value);
    return one != nullptr && *one == 1;
}

std::optional<close_reason> connection::unsafe_reason() const {
    if (is_dead()) {
        return close_reason::broken;
    }
    return unsafe_;
}

namespace {

std::optional<std::int64_t> integer_at(const std::vector<sql_value>& row, std::size_t column) {
    if (column >= row.size()) return std::nullopt;
    const auto* value = std::get_if<std::int64_t>(&row[column]);
    return value ? std::optional<std::int64_t>(*value) : std::nullopt;
}

// SQL Server's @@OPTIONS bit for SET IMPLICIT_TRANSACTIONS ON.
constexpr std::int64_t implicit_transactions_option = 2;

}  // namespace

std::optional<std::int64_t> connection::trancount_batch(const char* sql, std::chrono::milliseconds timeout,
                                                        std::optional<std::int64_t>* options) {
    leave_idle_plain();
    diag_->reset();
    set_timeout(timeout);
    if (dbcmd(proc_, sql) != SUCCEED || dbsqlsend(proc_) != SUCCEED) {
        dbfreebuf(proc_);
        unsafe_ = unsafe_.value_or(close_reason::reset_failed);
        return std::nullopt;
    }
    auto result = read_reply();
    if (!result || result.value().sets.empty() || result.value().sets.back().rows.empty()) {
        return std::nullopt;
    }
    const auto& row = result.value().sets.back().rows[0];
    if (options) *options = integer_at(row, 1);
    return integer_at(row, 0);
}

std::optional<close_reason> connection::reset_session(std::chrono::milliseconds timeout) {
    if (auto reason = unsafe_reason()) {
        return reason;
    }
    hand_back_relay();
    // No public db-lib call sets the TDS RESETCONNECTION bit, so the reset is explicit.
    // SET options, #temp tables and USE already ended with the request's sp_executesql.
    std::optional<std::int64_t> options;
    auto count = trancount_batch("SET CONTEXT_INFO 0x; SELECT @@TRANCOUNT, @@OPTIONS", timeout, &options);
    if (count && *count > 0) {
        count = trancount_batch("ROLLBACK TRANSACTION; SELECT @@TRANCOUNT", timeout);
    }
    if (auto reason = unsafe_reason()) {
        return reason;
    }
    if (!count || !options) {
        return close_reason::reset_failed;
    }
    if (*count != 0) {
        return close_reason::open_transaction;
    }
    implicit_transactions_ = (*options & implicit_transactions_option) != 0;
    session_touched_ = false;
    return std::nullopt;
}

}  // namespace tds_pool
