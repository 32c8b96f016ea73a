#pragma once
// One FreeTDS db-lib connection (DBPROCESS). All calls block, so they run on a worker
// thread while the connection is leased exclusively to one caller.

#include <chrono>
#include <limits>
#include <memory>
#include <optional>
#include <string>

#include "tds_pool/connection_target.hpp"
#include "tds_pool/freetds/inline_io_guard.hpp"
#include "tds_pool/freetds/freetds_runtime.hpp"
#include "tds_pool/outcome.hpp"
#include "tds_pool/pool_state.hpp"
#include "tds_pool/pooled_resource.hpp"
#include "tds_pool/row_sink.hpp"
#include "tds_pool/sql_value.hpp"
#include "tds_pool/tls/relay_link.hpp"

struct tds_dblib_dbprocess;

namespace tds_pool {

/// Settings applied when a connection is opened.
struct connect_options {
    std::chrono::milliseconds login_timeout{5000};
    std::string app_name = "tenant-gateway";
};

/// How a connection's traffic travels.
enum class link_encryption {
    not_required,  ///< encrypt: false; the server may still encrypt (FreeTDS's own choice)
    encrypted,     ///< TLS, the certificate trusted without checking
    verified,      ///< TLS, the certificate's chain, dates and name checked
};

/// "not_required", "encrypted" or "verified".
const char* link_encryption_name(link_encryption e) noexcept;

/// A logged-in TDS 7.4 session speaking UTF-8, with TCP keepalive enabled.
class connection final : public pooled_resource {
public:
    /// Connects and logs in; login_failed for refused credentials, a TLS refusal when the
    /// target asks for encryption the server cannot give (see secure_connect),
    /// tenant_db_unavailable for anything else (refused, timed out, unknown host).
    static outcome<std::unique_ptr<connection>> open(const connection_target& target,
                                                     const connect_options& options);
    ~connection() override;
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;

    /// Runs the statement as sp_executesql (with or without parameters, so SQL Server
    /// scopes its SET options and #temp tables to it) and reads every result set;
    /// query_timeout leaves the connection usable unless the server ignored the cancel too,
    /// but marks it unsafe (see unsafe_reason).
    outcome<query_result> execute(const query& q, std::chrono::milliseconds timeout);

    /// First half of execute: sends the request without waiting for the reply; an error
    /// when it could not be sent. The caller then waits for socket() to become readable.
    /// A query asking for another text size than the session has sets it first (a
    /// round trip of its own).
    std::optional<db_error> send_request(const query& q, std::chrono::milliseconds timeout);
    /// Second half of execute: reads the whole reply (blocks until it has arrived).
    outcome<query_result> read_reply();
    /// read_reply handing each row to `sink` as it arrives. When the sink stops the read,
    /// the rest of the reply is cancelled (ATTENTION) and the connection stays usable.
    std::optional<db_error> read_reply_into(row_sink& sink);

    /// True when send_request cannot block, so an I/O thread may call it: the last reply
    /// was read from plain TDS framing and completely (db-lib is idle, nothing to read
    /// first), the send queue has room for the request many times over, and the query
    /// needs no SET TEXTSIZE first. Remembers an empty send queue it has seen.
    bool can_send_without_blocking(const query& q);
    /// True when the whole reply is already in the socket buffer, in plain TDS framing:
    /// read_buffered_reply then cannot block.
    bool reply_buffered();
    /// How a step that leaves its failure clean-up to the caller ended.
    enum class step { done, refused, failed };
    /// send_request without the clean-up after a failure, for when
    /// can_send_without_blocking() said yes: `refused` (with `error`) needs none;
    /// `failed` needs finish_failed_step(), which may wait for the server (dbcancel),
    /// on a worker.
    step send_request_nonblocking(const query& q, std::chrono::milliseconds timeout, db_error& error);
    /// read_reply for a reply that reply_buffered() found complete; nullopt on failure,
    /// when finish_failed_step() is due on a worker.
    std::optional<query_result> read_buffered_reply();
    /// read_reply_into for a reply that reply_buffered() found complete; false on failure,
    /// when finish_failed_step() is due on a worker. A stopped read skips the buffered
    /// rest instead of cancelling, which would wait for the server.
    bool read_buffered_reply_into(row_sink& sink);
    /// After a failed step: skips what is left unread and says what went wrong.
    db_error finish_failed_step();
    /// The socket FreeTDS reads from; never close it.
    int socket() const;
    /// socket() with the inode it had at the first call, for inline_io_guard.
    detail::watched_socket watched_socket();
    /// A watchdog shut the socket down under a call on the event loop: the connection is
    /// lost, whatever that call returned.
    void mark_cut() noexcept;
    /// The socket to wait on for the reply to a request send_request_nonblocking sent:
    /// FreeTDS's own, or on an encrypted connection whose lease holder moves the bytes
    /// itself, the server's (tls/relay_link.hpp); never close it.
    int reply_socket() const;
    /// After reply_socket() became readable: on an encrypted connection, decrypts what
    /// arrived into FreeTDS's socket, so reply_buffered() can see it.
    void take_arrived_reply();
    /// Bounds the wait inside read_reply (whole seconds), e.g. after the caller's own
    /// readiness wait already used up the query time-out.
    void limit_reply_wait(std::chrono::milliseconds timeout);

    /// Runs an RPC with one int parameter (what requests use) under `timeout`; false when
    /// the connection must be discarded.
    bool validate(std::chrono::milliseconds timeout);

    /// Why the session can no longer be proven clean (a time-out, a client-side failure
    /// while building, sending or reading a request, a dead socket); nullopt while it can.
    std::optional<close_reason> unsafe_reason() const;
    /// Brings the session back to its state after login between two leases: clears
    /// CONTEXT_INFO and rolls back a transaction left open, then checks @@TRANCOUNT is 0.
    /// nullopt when clean; otherwise why the connection must be discarded. It also learns
    /// whether the server opens transactions implicitly for this session (@@OPTIONS).
    std::optional<close_reason> reset_session(std::chrono::milliseconds timeout);
    /// False only when nothing sent since the last reset can have changed session state
    /// (session_state.hpp): a new connection is reset once, to learn its @@OPTIONS.
    bool needs_reset() const noexcept { return session_touched_ || unsafe_.has_value(); }

    /// True once the socket is gone (DBDEAD) or the session is otherwise unusable.
    bool is_dead() const;
    /// How this connection's traffic travels.
    link_encryption encryption() const noexcept { return encryption_; }

private:
    explicit connection(tds_dblib_dbprocess* proc, std::unique_ptr<detail::diagnostics> diag);
    void set_timeout(std::chrono::milliseconds timeout);
    bool send(const query& q, db_error& error);
    /// send_request_nonblocking's steps, whoever moves an encrypted connection's bytes.
    step send_prepared(const query& q, std::chrono::milliseconds timeout, db_error& error);
    /// Before a db-lib call that may block: the relay's threads move the bytes.
    void hand_back_relay();
    /// Sets the session's TEXTSIZE to what `q` asks when it differs; the error when the
    /// batch failed (unsafe, as for a request, unless the server itself refused it). The
    /// round trip has the query's time-out of its own.
    std::optional<db_error> apply_text_size(const query& q, std::chrono::milliseconds timeout);
    /// Runs a plain batch whose last result set's first row holds @@TRANCOUNT (and, when
    /// asked for, @@OPTIONS as its second value).
    std::optional<std::int64_t> trancount_batch(const char* sql, std::chrono::milliseconds timeout,
                                                std::optional<std::int64_t>* options = nullptr);
    /// Remembers that `sql` was sent: whether the next lease needs a reset.
    void note_sent(std::string_view sql) noexcept;
    /// Reads the reply into `sink` without any clean-up on failure (`failed_step_` says
    /// where) or after the sink stopped it (`stopped` is set).
    bool read_reply_tokens(row_sink& sink, bool& stopped);
    outcome<query_result> fail(const char* what);
    void enable_keepalive();
    /// send_request_nonblocking's send, through the relay on an encrypted connection.
    step send_prepared_inline(const query& q, std::chrono::milliseconds timeout, db_error& error);
    /// Reads the send buffer's size once, at open, instead of once per request: the kernel
    /// only grows it after that, except under TCP memory pressure, where a request of at
    /// most 8 KiB into an empty queue still goes out after one acknowledgement (into a
    /// queue holding earlier inline requests it may wait: the inline watchdog bounds
    /// that, inline_io_guard.hpp). Also reads the socket's TCP_NOTSENT_LOWAT.
    void learn_send_buffer();
    /// Ends the idle, plain state: something is sent or read outside the inline steps.
    void leave_idle_plain() noexcept;
    /// A reply read through a socket_shortcut left bytes db-lib never read: the
    /// connection is unusable, and its socket is shut down.
    void abandon_for_lost_bytes(int fd);

    tds_dblib_dbprocess* proc_;
    std::unique_ptr<detail::diagnostics> diag_;  ///< stable address: the handlers write here
    int timeout_seconds_ = -1;                   ///< last DBSETTIME value sent
    const char* failed_step_ = "reading results";  ///< for the error message of a failure
    bool idle_plain_ = false;  ///< the last reply was read completely from plain TDS framing
    std::size_t whole_reply_size_ = 0;  ///< what the last reply_buffered() found waiting
    /// While idle_plain_: the most bytes of requests that may still wait in the send
    /// queue, the estimates of those sent inline since SIOCOUTQ last found it empty
    /// (nullopt: unknown, ask the kernel).
    std::optional<std::size_t> queued_at_most_;
    int send_buffer_ = 0;      ///< SO_SNDBUF at open (0: unknown)
    /// TCP_NOTSENT_LOWAT at open, the socket's or the system's (max: unlimited)
    std::size_t unsent_limit_ = std::numeric_limits<std::size_t>::max();
    /// The SET TEXTSIZE this session had sent (nullopt: the login's). Only a SET outside
    /// sp_executesql changes it, and the pool sends none other; SQL Server restores a SET
    /// run inside a request's sp_executesql when it returns.
    std::optional<std::int32_t> text_size_;
    std::optional<close_reason> unsafe_;  ///< set once, never cleared: the connection is closed
    bool session_touched_ = true;  ///< something sent since the last reset may have changed the session
    /// The server opens a transaction by itself on this session's statements (IMPLICIT_TRANSACTIONS
    /// in @@OPTIONS, from its 'user options'): every lease needs the reset.
    bool implicit_transactions_ = false;
    link_encryption encryption_ = link_encryption::not_required;
    std::shared_ptr<tls::relay_link> relay_;  ///< an encrypted connection's relay session
    ino_t socket_inode_ = 0;                  ///< socket()'s inode, read at the first watched_socket()
    bool cut_ = false;                        ///< mark_cut: the watchdog shut the socket down
};

}  // namespace tds_pool
