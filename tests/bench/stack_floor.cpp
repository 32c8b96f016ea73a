// The floor of the product's stack on the bare /livez shape: what a server built on Asio
// alone, or on Asio and Beast, costs per request with no gateway logic at all. scripts/bench
// floor (tests/bench/floor_bench.py) runs it beside nginx and the gateway, so the gateway's
// gap to nginx splits into what the gateway adds and what the stack costs.
//
//   stack_floor beast PORT LOG   Beast as the gateway uses it: a coroutine per connection,
//                                a request_parser per request, a Beast response written with
//                                http::async_write
//   stack_floor raw PORT LOG     Asio only: callbacks, the request head found by scanning
//                                for its blank line, one prebuilt answer per request (the
//                                upper bound of an HTTP/1.1 layer of the gateway's own)
//
// Both: one io_context per core, each accepting on its own SO_REUSEPORT socket, keep-alive,
// the gateway's /livez header fields and body, and an access line per request appended to
// a per-thread 64 KiB buffer written to LOG when full (nginx's `buffer=64k`).
#include <array>
#include <atomic>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <fmt/format.h>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr std::string_view livez_body = R"({"status":"ok"})";
constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);

/// Per-thread access log: lines gather in 64 KiB, then one write.
class access_log {
public:
    explicit access_log(int fd) : fd_(fd) { buffer_.reserve(capacity + 512); }
    ~access_log() { flush(); }
    void line(std::string_view peer, std::string_view method, std::string_view target, unsigned status,
              std::size_t bytes) {
        fmt::format_to(std::back_inserter(buffer_), "{} \"{} {}\" {} {}\n", peer, method, target, status,
                       bytes);
        if (buffer_.size() >= capacity) flush();
    }

private:
    static constexpr std::size_t capacity = 64 * 1024;
    void flush() {
        if (buffer_.empty()) return;
        if (::write(fd_, buffer_.data(), buffer_.size()) < 0) std::perror("access log");
        buffer_.clear();
    }
    int fd_;
    std::string buffer_;
};

/// A request id as the gateway sends one: 32 hex digits, unique per request.
std::string next_request_id() {
    thread_local std::uint64_t counter = 0;
    thread_local const auto seed = static_cast<std::uint64_t>(std::hash<std::thread::id>{}(std::this_thread::get_id()));
    return fmt::format("{:016x}{:016x}", seed, ++counter);
}

// ---- Beast, coroutines -------------------------------------------------------------------

asio::awaitable<void> beast_session(tcp::socket socket, access_log& log) {
    const std::string peer = socket.remote_endpoint().address().to_string();
    socket.set_option(tcp::no_delay(true));
    beast::flat_buffer buffer;
    for (;;) {
        http::request_parser<http::string_body> parser;
        auto [read_ec, read_n] = co_await http::async_read(socket, buffer, parser, nothrow);
        if (read_ec) co_return;
        const auto& req = parser.get();
        http::response<http::string_body> res{http::status::ok, req.version()};
        res.set(http::field::content_type, "application/json");
        res.set(http::field::cache_control, "no-store");
        res.set(http::field::vary, "Origin");
        res.set("X-Request-Id", next_request_id());
        res.body() = livez_body;
        res.keep_alive(req.keep_alive());
        res.prepare_payload();
        auto [write_ec, write_n] = co_await http::async_write(socket, res, nothrow);
        log.line(peer, req.method_string(), req.target(), 200, livez_body.size());
        if (write_ec || !req.keep_alive()) co_return;
    }
}

asio::awaitable<void> beast_accept(tcp::acceptor& acceptor, access_log& log) {
    for (;;) {
        auto [ec, socket] = co_await acceptor.async_accept(nothrow);
        if (ec) co_return;
        asio::co_spawn(acceptor.get_executor(), beast_session(std::move(socket), log), asio::detached);
    }
}

// ---- Asio only, callbacks -----------------------------------------------------------------

class raw_session : public std::enable_shared_from_this<raw_session> {
public:
    raw_session(tcp::socket socket, access_log& log) : socket_(std::move(socket)), log_(log) {
        peer_ = socket_.remote_endpoint().address().to_string();
        socket_.set_option(tcp::no_delay(true));
    }
    void start() { read(); }

private:
    void read() {
        socket_.async_read_some(asio::buffer(in_.data() + used_, in_.size() - used_),
                                [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
                                    if (ec) return;
                                    self->used_ += n;
                                    self->answer_waiting();
                                });
    }

    /// Answers the whole request heads in the buffer (all of them in one write), then reads on.
    void answer_waiting() {
        out_.clear();
        std::size_t begin = 0;
        bool close = false;
        for (;;) {
            const std::string_view waiting(in_.data() + begin, used_ - begin);
            const auto end = waiting.find("\r\n\r\n");
            if (end == std::string_view::npos) break;
            close = answer(waiting.substr(0, end + 2)) || close;
            begin += end + 4;
        }
        std::copy(in_.begin() + static_cast<long>(begin), in_.begin() + static_cast<long>(used_), in_.begin());
        used_ -= begin;
        if (used_ == in_.size()) return;  // a head larger than the buffer: give up
        if (out_.empty()) return read();
        asio::async_write(socket_, asio::buffer(out_),
                          [self = shared_from_this(), close](boost::system::error_code ec, std::size_t) {
                              if (ec || close) return;
                              self->read();
                          });
    }

    /// Appends the answer to one request head; true when the client asked to close.
    bool answer(std::string_view head) {
        const auto line_end = head.find("\r\n");
        const std::string_view line = head.substr(0, line_end);
        const auto method_end = line.find(' ');
        const auto target_end = line.find(' ', method_end + 1);
        const bool close = head.find("\r\nConnection: close\r\n") != std::string_view::npos;
        fmt::format_to(std::back_inserter(out_),
                       "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nCache-Control: no-store\r\n"
                       "Vary: Origin\r\nX-Request-Id: {}\r\nContent-Length: {}\r\n{}\r\n{}",
                       next_request_id(), livez_body.size(), close ? "Connection: close\r\n" : "",
                       livez_body);
        log_.line(peer_, line.substr(0, method_end), line.substr(method_end + 1, target_end - method_end - 1),
                  200, livez_body.size());
        return close;
    }

    tcp::socket socket_;
    access_log& log_;
    std::string peer_;
    std::array<char, 16 * 1024> in_{};
    std::size_t used_ = 0;
    std::string out_;
};

void raw_accept(tcp::acceptor& acceptor, access_log& log) {
    acceptor.async_accept([&acceptor, &log](boost::system::error_code ec, tcp::socket socket) {
        if (ec) return;
        std::make_shared<raw_session>(std::move(socket), log)->start();
        raw_accept(acceptor, log);
    });
}

// ---- one event loop per core --------------------------------------------------------------

tcp::acceptor open_acceptor(asio::io_context& io, unsigned short port) {
    tcp::acceptor acceptor(io);
    const tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), port);
    acceptor.open(endpoint.protocol());
    acceptor.set_option(tcp::acceptor::reuse_address(true));
    acceptor.set_option(asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>(true));
    acceptor.bind(endpoint);
    acceptor.listen(asio::socket_base::max_listen_connections);
    return acceptor;
}

void run_loop(bool beast_mode, unsigned short port, int log_fd) {
    asio::io_context io(1);
    access_log log(log_fd);
    auto acceptor = open_acceptor(io, port);
    if (beast_mode) {
        asio::co_spawn(io, beast_accept(acceptor, log), asio::detached);
    } else {
        raw_accept(acceptor, log);
    }
    io.run();
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 4 || (std::string_view(argv[1]) != "beast" && std::string_view(argv[1]) != "raw")) {
        std::fprintf(stderr, "usage: stack_floor beast|raw PORT LOG\n");
        return 2;
    }
    const bool beast_mode = std::string_view(argv[1]) == "beast";
    const auto port = static_cast<unsigned short>(std::stoi(argv[2]));
    const int log_fd = ::open(argv[3], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log_fd < 0) {
        std::perror(argv[3]);
        return 1;
    }
    const unsigned loops = std::max(1u, std::thread::hardware_concurrency());
    std::vector<std::thread> threads;
    for (unsigned i = 0; i < loops; ++i) threads.emplace_back(run_loop, beast_mode, port, log_fd);
    for (auto& t : threads) t.join();
}
