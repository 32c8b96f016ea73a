#pragma once
// A connection's hold on its TLS relay session (tls_relay). Between the relay's threads
// and the one caller that holds the connection's lease, exactly one side moves the bytes:
//
// - The relay's threads, while FreeTDS may block (login, a worker reading a large reply,
//   validation, the reset, a cancel): they watch both sockets and pump.
// - The lease holder, on the pool's fast path, where FreeTDS never blocks: it takes the
//   session over, has FreeTDS write its request, moves it to the server itself, waits on
//   the server's socket in its own event loop and decrypts the reply into FreeTDS's
//   socket, all on its own thread. The relay's threads then hold no registration of the
//   session's sockets, so a query wakes no other thread: without this, each encrypted
//   query woke a relay thread twice, which cost about as much CPU as the TLS itself.
//
// Every blocking db-lib call is preceded by hand_back(), which is cheap when the relay
// already pumps.

namespace tds_pool::tls {

class relay_link {
public:
    virtual ~relay_link() = default;

    /// Before FreeTDS writes a request the caller will move itself: the relay's threads
    /// stop watching the session's sockets.
    virtual void take_over() = 0;

    /// After FreeTDS wrote its request: encrypts it and sends it to the server. False when
    /// the session broke (FreeTDS then finds its socket closed).
    virtual bool send_request() = 0;

    /// The socket the server's reply arrives on, while the caller moves the bytes; -1 when
    /// the relay's threads do (wait on FreeTDS's own socket then).
    virtual int reply_socket() const = 0;

    /// After reply_socket() became readable: decrypts what arrived into FreeTDS's socket.
    /// When more arrived than FreeTDS's socket holds, the relay's threads take over the
    /// rest. False when the session broke.
    virtual bool take_reply() = 0;

    /// Before a db-lib call that may block: the relay's threads pump again.
    virtual void hand_back() = 0;

    /// The connection is closing: both sockets close.
    virtual void finish() = 0;
};

}  // namespace tds_pool::tls
