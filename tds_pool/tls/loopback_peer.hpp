#pragma once
// Who is at the other end of a loopback connection the TLS relay accepted. The relay's
// port is on 127.0.0.1 where any local process can reach it; only FreeTDS, a socket of
// this very process, may have the tenant's secured session (and see its LOGIN7).

namespace tds_pool::tls {

/// True when the peer of the accepted IPv4 loopback socket `fd` is a socket this process
/// holds: the kernel's socket table (/proc/net/tcp) names the peer's inode, and
/// /proc/self/fd lists the inodes of our own sockets.
bool peer_is_this_process(int fd);

}  // namespace tds_pool::tls
