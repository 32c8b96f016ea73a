#pragma once
// A TCP connection whose every step ends by a deadline: the TLS bridge connects, sends
// its PRELOGIN and runs the handshake on a pool worker thread, and a server that stops
// answering must not hold that thread past the login time-out.

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

namespace tds_pool::tls {

using deadline = std::chrono::steady_clock::time_point;

class deadline_socket {
public:
    /// Connects to the first address of `host` that answers; the reason when none does.
    static std::variant<deadline_socket, std::string> connect(const std::string& host,
                                                              std::uint16_t port, deadline until);
    deadline_socket(deadline_socket&& other) noexcept;
    deadline_socket& operator=(deadline_socket&& other) noexcept;
    ~deadline_socket();

    /// Sends all of `bytes`; the reason when it cannot.
    std::optional<std::string> send_all(std::span<const std::uint8_t> bytes, deadline until);
    /// Fills `out`; the reason when it cannot (the peer closed, the deadline passed).
    std::optional<std::string> receive_exact(std::span<std::uint8_t> out, deadline until);
    /// Gives the descriptor away (to the relay); this object is then empty.
    int release() noexcept;

private:
    explicit deadline_socket(int fd) : fd_(fd) {}
    static bool passed(deadline until);
    /// Waits until `events` are ready; false when the deadline passed first.
    bool wait(short events, deadline until) const;

    int fd_ = -1;
};

/// Reads one TDS packet (header and payload) within the deadline.
std::variant<std::vector<std::uint8_t>, std::string> receive_packet(deadline_socket& socket, deadline until);

}  // namespace tds_pool::tls
