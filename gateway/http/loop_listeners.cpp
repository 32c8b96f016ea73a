#include "gateway/http/loop_listeners.hpp"

#include <linux/filter.h>
#include <sys/socket.h>

#include <array>
#include <exception>
#include <optional>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detail/socket_option.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>

#include "gateway/http/listener.hpp"
#include "gateway/telemetry/log.hpp"

namespace gateway {

namespace {

using reuse_port = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

/// co_spawn completion of an accept loop: it ends only when its socket closes, so an
/// exception means the gateway stopped accepting there; that is fatal.
void report_accept_end(std::exception_ptr failure) {
    if (!failure) return;
    try {
        std::rethrow_exception(failure);
    } catch (const std::exception& e) {
        log_error("accept loop failed", {{"error", e.what()}});
    } catch (...) {
        log_error("accept loop failed", {{"error", "unknown exception"}});
    }
    std::terminate();
}

void log_cannot_listen(const asio::ip::tcp::endpoint& endpoint, const beast::error_code& ec) {
    log_error("cannot listen",
              {{"address", endpoint.address().to_string()}, {"port", endpoint.port()}, {"error", ec.message()}});
}

/// Binds a plain socket (no SO_REUSEPORT) to `endpoint` and lets it go: the port the
/// loops' sockets then share, or nullopt (logged) when another socket holds it, which
/// SO_REUSEPORT alone would have let the gateway join.
std::optional<std::uint16_t> claim_free_port(const asio::ip::tcp::endpoint& endpoint, asio::any_io_executor loop) {
    asio::ip::tcp::acceptor probe(loop);
    beast::error_code ec;
    probe.open(endpoint.protocol(), ec);
    if (!ec) probe.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) probe.bind(endpoint, ec);
    const auto bound = ec ? asio::ip::tcp::endpoint{} : probe.local_endpoint(ec);
    if (ec) {
        log_cannot_listen(endpoint, ec);
        return std::nullopt;
    }
    return bound.port();
}

/// Makes the kernel pick among the first `count` sockets of the port's group only (at
/// random: a classic BPF program, which needs no privilege). The gateway's own sockets
/// are those first ones; any socket added to the group later is never picked.
bool pick_among_first(asio::ip::tcp::acceptor& member, unsigned count) {
    std::array<sock_filter, 3> program = {{
        {BPF_LD | BPF_W | BPF_ABS, 0, 0, static_cast<std::uint32_t>(SKF_AD_OFF + SKF_AD_RANDOM)},
        {BPF_ALU | BPF_MOD | BPF_K, 0, 0, count},
        {BPF_RET | BPF_A, 0, 0, 0},
    }};
    sock_fprog filter{static_cast<unsigned short>(program.size()), program.data()};
    return ::setsockopt(member.native_handle(), SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &filter, sizeof filter) == 0;
}

}  // namespace

bool loop_listeners::open(const std::string& address_text, std::uint16_t port, event_loops& loops) {
    beast::error_code ec;
    const auto address = asio::ip::make_address(address_text, ec);
    if (ec) {
        log_error("invalid listen address", {{"address", address_text}});
        return false;
    }
    asio::ip::tcp::endpoint endpoint{address, port};
    const bool shared = loops.size() > 1;
    if (shared) {
        const auto free_port = claim_free_port(endpoint, loops.executor(0));
        if (!free_port) return false;
        endpoint.port(*free_port);
    }
    for (std::size_t i = 0; i < loops.size(); ++i) {
        if (!open_one(endpoint, loops.executor(i), shared)) return false;
        endpoint.port(acceptors_.front().local_endpoint().port());  // port 0: the rest join the first
    }
    if (shared && !pick_among_first(acceptors_.front(), static_cast<unsigned>(acceptors_.size()))) {
        log_cannot_listen(endpoint, beast::error_code(errno, boost::system::system_category()));
        return false;
    }
    return true;
}

bool loop_listeners::open_one(const asio::ip::tcp::endpoint& endpoint, asio::any_io_executor loop, bool shared) {
    asio::ip::tcp::acceptor acceptor(loop);
    beast::error_code ec;
    acceptor.open(endpoint.protocol(), ec);
    if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec && shared) acceptor.set_option(reuse_port(true), ec);
    if (!ec) acceptor.bind(endpoint, ec);
    if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
        log_cannot_listen(endpoint, ec);
        return false;
    }
    acceptors_.push_back(std::move(acceptor));
    return true;
}

void loop_listeners::start(services& svc, const tls_identity_holder* tls) {
    for (auto& acceptor : acceptors_) {
        asio::co_spawn(acceptor.get_executor(), accept_loop(acceptor, svc, tls), report_accept_end);
    }
}

void loop_listeners::close() {
    for (auto& acceptor : acceptors_) {
        asio::post(acceptor.get_executor(), [&acceptor] {
            beast::error_code ignored;
            acceptor.close(ignored);
        });
    }
}

asio::ip::tcp::endpoint loop_listeners::local_endpoint() const {
    beast::error_code ec;
    return acceptors_.empty() ? asio::ip::tcp::endpoint{} : acceptors_.front().local_endpoint(ec);
}

}  // namespace gateway
