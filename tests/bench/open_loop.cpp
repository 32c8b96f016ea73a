// open_loop: an open-loop HTTP/1.1 load generator for tests/bench/compare.py. Request i is
// due at start + i / rate, whatever happened to the ones before it; its latency runs from
// that intended time to the last byte of its response. A request that finds every
// connection busy waits in the generator, and that wait counts, so a server that stalls
// cannot hide it by slowing the sender (coordinated omission; wrk measures from the
// actual send, wrk2 is not in Debian).
//
//   open_loop --port P --rate R --seconds S --connections C --requests FILE
//
// FILE holds complete requests (keep-alive) separated by NUL bytes; they are sent in turn.
// One thread, non-blocking sockets, epoll; sleeps until the next due time with
// nanosecond timeouts (epoll_pwait2). Prints one line:
//   OPENLOOP {"intended": N, "completed": N, "errors": N, "non2xx": N, "p50_us": ..,
//             "p99_us": .., "p999_us": .., "max_us": .., "late_sends": N, "seconds": ..}
// late_sends counts requests sent more than 1 ms after they were due (no free
// connection, or the generator itself behind).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace {

using ns = std::int64_t;

ns now_ns() {
  timespec t{};
  clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<ns>(t.tv_sec) * 1'000'000'000 + t.tv_nsec;
}

struct options {
  int port = 0;
  double rate = 0;
  double seconds = 0;
  int connections = 16;
  std::string requests;
};

options parse(int argc, char** argv) {
  options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view k = argv[i];
    const char* v = argv[i + 1];
    if (k == "--port") o.port = std::atoi(v);
    else if (k == "--rate") o.rate = std::atof(v);
    else if (k == "--seconds") o.seconds = std::atof(v);
    else if (k == "--connections") o.connections = std::atoi(v);
    else if (k == "--requests") o.requests = v;
    else throw std::runtime_error("unknown option " + std::string(k));
  }
  if (o.port <= 0 || o.rate <= 0 || o.seconds <= 0 || o.connections <= 0 || o.requests.empty()) {
    throw std::runtime_error(
        "usage: open_loop --port P --rate R --seconds S --connections C --requests FILE");
  }
  return o;
}

std::vector<std::string> load_requests(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  const std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < all.size()) {
    std::size_t end = all.find('\0', start);
    if (end == std::string::npos) end = all.size();
    if (end > start) out.push_back(all.substr(start, end - start));
    start = end + 1;
  }
  if (out.empty()) throw std::runtime_error("no requests in " + path);
  return out;
}

// Where a response ends: after its headers and a Content-Length body, or after the last
// chunk of a chunked body. Returns 0 while incomplete.
class response_parser {
 public:
  std::size_t complete(std::string_view in) {
    const std::size_t head = in.find("\r\n\r\n");
    if (head == std::string_view::npos) return 0;
    const std::string_view headers = in.substr(0, head + 2);
    status_ = 0;
    if (headers.size() > 12) std::from_chars(headers.data() + 9, headers.data() + 12, status_);
    const std::size_t body = head + 4;
    if (const auto cl = header_value(headers, "content-length:"); !cl.empty()) {
      std::size_t length = 0;
      std::from_chars(cl.data(), cl.data() + cl.size(), length);
      return in.size() >= body + length ? body + length : 0;
    }
    if (header_value(headers, "transfer-encoding:").find("chunked") != std::string_view::npos) {
      return chunked_end(in, body);
    }
    return body;  // no body (204, 304) or a close-delimited one, which none of the subjects sends
  }
  int status() const { return status_; }

 private:
  static std::string_view header_value(std::string_view headers, std::string_view name) {
    for (std::size_t pos = headers.find("\r\n"); pos != std::string_view::npos;) {
      const std::size_t line = pos + 2;
      const std::size_t end = headers.find("\r\n", line);
      if (end == std::string_view::npos) break;
      const std::string_view text = headers.substr(line, end - line);
      if (text.size() >= name.size() &&
          std::equal(name.begin(), name.end(), text.begin(),
                     [](char a, char b) { return a == (b >= 'A' && b <= 'Z' ? b + 32 : b); })) {
        std::string_view v = text.substr(name.size());
        while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
        return v;
      }
      pos = end;
    }
    return {};
  }
  static std::size_t chunked_end(std::string_view in, std::size_t pos) {
    for (;;) {
      const std::size_t line_end = in.find("\r\n", pos);
      if (line_end == std::string_view::npos) return 0;
      std::size_t size = 0;
      std::from_chars(in.data() + pos, in.data() + line_end, size, 16);
      pos = line_end + 2;
      if (size == 0) {  // no trailers from any subject: the final CRLF follows
        return in.size() >= pos + 2 ? pos + 2 : 0;
      }
      pos += size + 2;
      if (pos > in.size()) return 0;
    }
  }
  int status_ = 0;
};

struct connection {
  int fd = -1;
  bool busy = false;
  ns intended = 0;  // when the request in flight was due
  std::string out;  // what is left to send of it
  std::string in;
};

class generator {
 public:
  generator(const options& o, std::vector<std::string> requests)
      : o_(o), requests_(std::move(requests)), epoll_(epoll_create1(0)) {
    total_ = static_cast<std::int64_t>(o.rate * o.seconds);
    interval_ = 1e9 / o.rate;
    conns_.resize(static_cast<std::size_t>(o.connections));
    for (std::size_t i = 0; i < conns_.size(); ++i) open(i);
    latencies_.reserve(static_cast<std::size_t>(total_));
  }

  void run() {
    start_ = now_ns() + 1'000'000;
    const ns give_up = start_ + static_cast<ns>(o_.seconds * 1e9) + 10'000'000'000;
    epoll_event events[256];
    while (completed_ + errors_ < total_ && now_ns() < give_up) {
      send_due();
      const ns next = next_ < total_ ? due(next_) : now_ns() + 50'000'000;
      const ns wait = std::max<ns>(0, std::min(next, give_up) - now_ns());
      timespec timeout{static_cast<time_t>(wait / 1'000'000'000), static_cast<long>(wait % 1'000'000'000)};
      const int n = epoll_pwait2(epoll_, events, 256, &timeout, nullptr);
      if (n < 0 && errno != EINTR) throw std::runtime_error(std::string("epoll: ") + std::strerror(errno));
      for (int i = 0; i < n; ++i) on_event(events[i].data.u64, events[i].events);
    }
    errors_ += total_ - completed_ - errors_;  // never answered in time
    report();
  }

 private:
  ns due(std::int64_t i) const { return start_ + static_cast<ns>(static_cast<double>(i) * interval_); }

  void open(std::size_t i) {
    auto& c = conns_[i];
    if (c.fd >= 0) {
      epoll_ctl(epoll_, EPOLL_CTL_DEL, c.fd, nullptr);
      close(c.fd);
    }
    c = connection{};
    c.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    const int one = 1;
    setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(o_.port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(c.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 && errno != EINPROGRESS) {
      throw std::runtime_error(std::string("connect: ") + std::strerror(errno));
    }
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT | EPOLLET;
    ev.data.u64 = i;
    epoll_ctl(epoll_, EPOLL_CTL_ADD, c.fd, &ev);
  }

  // Starts every request that is due on a free connection; the rest wait for one.
  void send_due() {
    const ns now = now_ns();
    for (std::size_t i = 0; i < conns_.size() && next_ < total_ && due(next_) <= now; ++i) {
      auto& c = conns_[(i + rr_) % conns_.size()];
      if (c.busy) continue;
      c.busy = true;
      c.intended = due(next_);
      if (now - c.intended > 1'000'000) ++late_;
      c.out = requests_[static_cast<std::size_t>(next_) % requests_.size()];
      ++next_;
      flush(c);
    }
    rr_ = (rr_ + 1) % conns_.size();
  }

  void flush(connection& c) {
    while (!c.out.empty()) {
      const ssize_t n = send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EAGAIN || errno == ENOTCONN) return;  // EPOLLOUT resumes it
        return;  // the read side sees the error
      }
      c.out.erase(0, static_cast<std::size_t>(n));
    }
  }

  void on_event(std::size_t i, std::uint32_t events) {
    auto& c = conns_[i];
    if (events & EPOLLOUT) flush(c);
    if (!(events & (EPOLLIN | EPOLLERR | EPOLLHUP))) return;
    char buf[65536];
    for (;;) {
      const ssize_t n = recv(c.fd, buf, sizeof buf, 0);
      if (n > 0) {
        c.in.append(buf, static_cast<std::size_t>(n));
        continue;
      }
      if (n < 0 && errno == EAGAIN) break;
      fail(i);  // closed or reset: the request in flight is lost, a new connection takes its place
      return;
    }
    if (!c.busy) return;
    const std::size_t end = parser_.complete(c.in);
    if (end == 0) return;
    latencies_.push_back(now_ns() - c.intended);
    ++completed_;
    if (parser_.status() < 200 || parser_.status() > 299) ++non2xx_;
    c.in.erase(0, end);
    c.busy = false;
    send_due();
  }

  void fail(std::size_t i) {
    if (conns_[i].busy) ++errors_;
    open(i);
  }

  void report() const {
    std::vector<ns> l = latencies_;
    std::sort(l.begin(), l.end());
    const auto pct = [&](double p) -> double {
      if (l.empty()) return 0;
      const auto idx = static_cast<std::size_t>(p / 100.0 * static_cast<double>(l.size() - 1) + 0.5);
      return static_cast<double>(l[std::min(idx, l.size() - 1)]) / 1000.0;
    };
    std::printf(
        "OPENLOOP {\"intended\": %lld, \"completed\": %lld, \"errors\": %lld, \"non2xx\": %lld, "
        "\"p50_us\": %.1f, \"p99_us\": %.1f, \"p999_us\": %.1f, \"max_us\": %.1f, \"late_sends\": %lld, "
        "\"rate\": %.1f, \"seconds\": %.3f}\n",
        static_cast<long long>(total_), static_cast<long long>(completed_), static_cast<long long>(errors_),
        static_cast<long long>(non2xx_), pct(50), pct(99), pct(99.9), pct(100), static_cast<long long>(late_),
        o_.rate, static_cast<double>(now_ns() - start_) / 1e9);
  }

  options o_;
  std::vector<std::string> requests_;
  int epoll_;
  std::vector<connection> conns_;
  std::vector<ns> latencies_;
  response_parser parser_;
  std::int64_t total_ = 0;
  double interval_ = 0;
  ns start_ = 0;
  std::int64_t next_ = 0;
  std::int64_t completed_ = 0;
  std::int64_t errors_ = 0;
  std::int64_t non2xx_ = 0;
  std::int64_t late_ = 0;
  std::size_t rr_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  try {
    const options o = parse(argc, argv);
    generator g(o, load_requests(o.requests));
    g.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "open_loop: %s\n", e.what());
    return 1;
  }
  return 0;
}
