#pragma once
// One encrypted server connection relayed to FreeTDS over loopback (tls_relay.hpp says
// why). It accepts FreeTDS's connection, answers its PRELOGIN with the server's, then
// moves bytes in both directions: on the relay's strand while the relay pumps, on the
// lease holder's thread while it has taken the session over (relay_link.hpp).
//
// Both sides move bytes under one mutex, with non-blocking calls on the raw descriptors,
// so whichever side runs sees the other's work complete. Each direction holds at most
// one chunk that its receiver could not take yet, and reads nothing more until that
// chunk is gone: memory stays bounded whatever either peer does.

#include <sys/types.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "tds_pool/tls/prelogin_packet.hpp"
#include "tds_pool/tls/relay_link.hpp"
#include "tds_pool/tls/secure_connect.hpp"

namespace tds_pool::tls {

class relay_session final : public relay_link, public std::enable_shared_from_this<relay_session> {
public:
    using strand_type = boost::asio::strand<boost::asio::io_context::executor_type>;

    relay_session(strand_type strand, boost::asio::ip::tcp::acceptor acceptor, secured_server server,
                  std::shared_ptr<std::atomic<std::size_t>> sessions);
    ~relay_session() override;

    /// Waits for FreeTDS (at most `accept_timeout` until its PRELOGIN is answered).
    void start(std::chrono::milliseconds accept_timeout);

    void take_over() override;
    bool send_request() override;
    int reply_socket() const override;
    bool take_reply() override;
    void hand_back() override;
    void finish() override;

private:
    enum class flow { moved, blocked, broken };
    enum class watch { client_readable, client_writable, server_readable, server_writable };

    // Before relaying (strand): FreeTDS's connection and PRELOGIN.
    void on_accept(boost::system::error_code ec);
    void read_client_packet();
    void answer_client();

    // Moving bytes (mutex held, either side).
    flow move_up();
    flow move_down();
    flow flush(int fd, std::vector<std::uint8_t>& pending);
    flow send_down(std::size_t plain_bytes);

    // The relay's side (strand).
    void arm(watch w);
    void rearm_locked();
    void on_ready(watch w, std::uint64_t generation, boost::system::error_code ec);
    void reconcile();
    void post_reconcile_locked();
    void close_sockets();
    void hand_back_locked();

    /// Marks the session broken: both descriptors shut down at once (FreeTDS sees the
    /// end), closed on the strand.
    void break_locked();

    mutable std::mutex mutex_;
    strand_type strand_;
    boost::asio::ip::tcp::acceptor acceptor_;
    boost::asio::ip::tcp::socket client_;  ///< FreeTDS, over loopback
    boost::asio::ip::tcp::socket server_;  ///< the tenant's SQL Server
    boost::asio::ip::tcp protocol_;        ///< the server socket's, to register it again
    boost::asio::steady_timer timer_;
    tls_channel channel_;
    std::vector<std::uint8_t> prelogin_reply_;
    std::array<std::uint8_t, packet_header_size> header_{};
    std::vector<std::uint8_t> packet_;
    std::vector<std::uint8_t> plain_, cipher_, pending_up_, pending_down_;
    int client_fd_ = -1;
    int server_fd_ = -1;
    bool relaying_ = false;         ///< PRELOGIN answered: bytes may move
    bool broken_ = false;
    bool driven_ = false;           ///< the lease holder moves the bytes
    bool registered_ = true;        ///< the sockets are the relay's (watched by its reactor)
    bool reconcile_posted_ = false;
    bool descriptors_closed_ = false;
    std::array<bool, 4> armed_{};   ///< a wait of each kind is pending
    std::uint64_t generation_ = 0;  ///< waits armed before the last release are stale
    std::shared_ptr<std::atomic<std::size_t>> sessions_;
};

}  // namespace tds_pool::tls
