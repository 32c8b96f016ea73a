#include "tds_pool/tls/loopback_peer.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include <fmt/format.h>

namespace tds_pool::tls {
namespace {

/// "0100007F:1F90": how /proc/net/tcp writes 127.0.0.1 and a port.
std::string loopback_entry(std::uint16_t port) {
    return fmt::format("0100007F:{:04X}", port);
}

std::optional<std::uint16_t> port_of(const sockaddr_in& address) {
    if (address.sin_family != AF_INET || address.sin_addr.s_addr != htonl(INADDR_LOOPBACK)) {
        return std::nullopt;
    }
    return ntohs(address.sin_port);
}

/// The inode of the socket whose local end is `local` and remote end `remote`.
std::optional<std::string> socket_inode(const std::string& local, const std::string& remote) {
    std::ifstream table("/proc/net/tcp");
    std::string line;
    std::getline(table, line);  // the column headings
    while (std::getline(table, line)) {
        std::istringstream fields(line);
        std::string slot, local_address, remote_address, skipped, inode;
        fields >> slot >> local_address >> remote_address;
        if (local_address != local || remote_address != remote) {
            continue;
        }
        for (int i = 0; i < 6; ++i) fields >> skipped;  // st, queues, timer, retransmits, uid, timeout
        fields >> inode;
        return inode;
    }
    return std::nullopt;
}

bool this_process_holds(const std::string& inode) {
    const std::string wanted = "socket:[" + inode + "]";
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd", ec)) {
        std::error_code link_error;
        if (std::filesystem::read_symlink(entry.path(), link_error).string() == wanted) {
            return true;
        }
    }
    return false;
}

}  // namespace

bool peer_is_this_process(int fd) {
    sockaddr_in local{}, peer{};
    socklen_t local_size = sizeof(local), peer_size = sizeof(peer);
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_size) != 0 ||
        ::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &peer_size) != 0) {
        return false;
    }
    const auto local_port = port_of(local);
    const auto peer_port = port_of(peer);
    if (!local_port || !peer_port) {
        return false;
    }
    // The peer's socket sees the two ends the other way round.
    const auto inode = socket_inode(loopback_entry(*peer_port), loopback_entry(*local_port));
    return inode && *inode != "0" && this_process_holds(*inode);
}

}  // namespace tds_pool::tls
