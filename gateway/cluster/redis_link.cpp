#include "gateway/cluster/redis_link.hpp"

#include <hiredis/hiredis.h>
#include <sys/time.h>

#include <algorithm>

#include "gateway/telemetry/log.hpp"

namespace gateway {

namespace {

constexpr std::chrono::milliseconds first_backoff{250};
constexpr std::chrono::milliseconds max_backoff{5000};

timeval to_timeval(std::chrono::milliseconds d) {
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(d.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((d.count() % 1000) * 1000);
    return tv;
}

struct reply_free {
    void operator()(redisReply* r) const noexcept { freeReplyObject(r); }
};

/// The integers of a reply (one, or an array of them); false for anything else.
bool integers_of(const redisReply& reply, std::vector<long long>* out) {
    if (reply.type == REDIS_REPLY_STATUS || reply.type == REDIS_REPLY_STRING) return true;
    if (reply.type == REDIS_REPLY_INTEGER) {
        if (out) out->push_back(reply.integer);
        return true;
    }
    if (reply.type != REDIS_REPLY_ARRAY) return false;
    for (std::size_t i = 0; i < reply.elements; ++i) {
        if (reply.element[i]->type != REDIS_REPLY_INTEGER) return false;
        if (out) out->push_back(reply.element[i]->integer);
    }
    return true;
}

/// argv as hiredis takes it: pointers and lengths into `argv`'s strings.
struct argv_view {
    explicit argv_view(const std::vector<std::string>& argv) {
        for (const auto& a : argv) {
            parts.push_back(a.data());
            lengths.push_back(a.size());
        }
    }
    int count() const { return static_cast<int>(parts.size()); }
    std::vector<const char*> parts;
    std::vector<std::size_t> lengths;
};

}  // namespace

void redis_link::context_free::operator()(redisContext* c) const noexcept { redisFree(c); }

redis_link::redis_link(conf::redis_url url, std::chrono::milliseconds timeout,
                       redis_link_messages messages, asio::any_io_executor thread)
    : url_(std::move(url)),
      timeout_(timeout),
      messages_(std::move(messages)),
      backoff_(first_backoff),
      reconnect_timer_(std::move(thread)) {}

redis_link::~redis_link() = default;

void redis_link::stop() {
    stopping_ = true;
    reconnect_timer_.cancel();
}

void redis_link::connect() {
    if (stopping_) return;
    context_.reset(redisConnectWithTimeout(url_.host.c_str(), url_.port, to_timeval(timeout_)));
    if (!context_ || context_->err != 0) {
        lose_connection(context_ ? context_->errstr : "cannot allocate a connection");
        return;
    }
    if (redisSetTimeout(context_.get(), to_timeval(timeout_)) != REDIS_OK) {
        lose_connection("cannot set the timeout");
        return;
    }
    if (log_in()) note_up();
}

bool redis_link::log_in() {
    if (!url_.password.empty()) {
        std::vector<std::string> auth{"AUTH"};
        if (!url_.username.empty()) auth.push_back(url_.username);
        auth.push_back(url_.password);
        if (!command(auth, nullptr)) return false;
    }
    if (url_.database != 0 && !command({"SELECT", std::to_string(url_.database)}, nullptr)) return false;
    // a stopped server still accepts connections (the kernel does): only a reply says it is up
    return command({"PING"}, nullptr);
}

bool redis_link::command(const std::vector<std::string>& argv, std::vector<long long>* integers) {
    if (!context_) return false;
    argv_view view(argv);
    return accept_reply(redisCommandArgv(context_.get(), view.count(), view.parts.data(), view.lengths.data()),
                        integers);
}

bool redis_link::pipeline(const std::vector<std::vector<std::string>>& commands,
                          std::vector<std::vector<long long>>* replies) {
    if (!context_) return false;
    for (const auto& argv : commands) {
        argv_view view(argv);
        if (redisAppendCommandArgv(context_.get(), view.count(), view.parts.data(), view.lengths.data()) !=
            REDIS_OK) {
            lose_connection(context_->errstr);
            return false;
        }
    }
    for (std::size_t i = 0; i < commands.size(); ++i) {
        void* reply = nullptr;
        if (redisGetReply(context_.get(), &reply) != REDIS_OK) reply = nullptr;
        std::vector<long long> integers;
        if (!accept_reply(reply, &integers)) return false;
        if (replies) replies->push_back(std::move(integers));
    }
    return true;
}

bool redis_link::accept_reply(void* raw, std::vector<long long>* integers) {
    std::unique_ptr<redisReply, reply_free> reply(static_cast<redisReply*>(raw));
    if (!reply) {
        // I/O error or timeout: the connection's state is unknown, start afresh
        lose_connection(context_ ? context_->errstr : "no connection");
        return false;
    }
    if (reply->type == REDIS_REPLY_ERROR) {
        // e.g. READONLY after a failover, NOAUTH after a password change: a new
        // connection (name resolved again) is the cure for most
        lose_connection(std::string(reply->str, reply->len));
        return false;
    }
    if (!integers_of(*reply, integers)) {
        lose_connection("unexpected reply");
        return false;
    }
    return true;
}

void redis_link::lose_connection(const std::string& reason) {
    context_.reset();
    connected_.store(false, std::memory_order_relaxed);
    if (state_ != link_state::down) {
        log_warn(messages_.down, {{"redis", url_.display}, {"error", reason}});
        state_ = link_state::down;
    }
    schedule_reconnect();
}

void redis_link::schedule_reconnect() {
    if (stopping_) return;
    reconnect_timer_.expires_after(backoff_);
    backoff_ = std::min(backoff_ * 2, max_backoff);
    reconnect_timer_.async_wait([this](const boost::system::error_code& ec) {
        if (!ec) connect();
    });
}

void redis_link::note_up() {
    backoff_ = first_backoff;
    connected_.store(true, std::memory_order_relaxed);
    if (state_ != link_state::up) {
        log_info(messages_.up, {{"redis", url_.display}});
        state_ = link_state::up;
    }
}

}  // namespace gateway
