#include "gateway/http/loop_listeners.hpp"

#include <exception>

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

}  // namespace

bool loop_listeners::open(const std::string& address_text, std::uint16_t port, event_loops& loops) {
    beast::error_code ec;
    const auto address = asio::ip::make_address(address_text, ec);
    if (ec) {
        log_error("invalid listen address", {{"address", address_text}});
        return false;
    }
    asio::ip::tcp::endpoint endpoint{address, port};
    for (std::size_t i = 0; i < loops.size(); ++i) {
        if (!open_one(endpoint, loops.executor(i))) return false;
        endpoint.port(acceptors_.front().local_endpoint().port());  // port 0: the rest join the first
    }
    return true;
}

bool loop_listeners::open_one(const asio::ip::tcp::endpoint& endpoint, asio::any_io_executor loop) {
    asio::ip::tcp::acceptor acceptor(loop);
    beast::error_code ec;
    acceptor.open(endpoint.protocol(), ec);
    if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor.set_option(reuse_port(true), ec);
    if (!ec) acceptor.bind(endpoint, ec);
    if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
        log_error("cannot listen",
                  {{"address", endpoint.address().to_string()}, {"port", endpoint.port()}, {"error", ec.message()}});
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
