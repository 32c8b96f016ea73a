#include "gateway/telemetry/log_buffer.hpp"

#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

namespace gateway {

namespace {

/// Beyond this much queued text a request thread writes the queue itself.
constexpr std::size_t max_queued_bytes = 4 * 1024 * 1024;

/// Writes all of `text` to stdout; short writes are rare (a pipe or a file) but handled.
void write_all(std::string_view text) noexcept {
    const char* data = text.data();
    std::size_t left = text.size();
    while (left > 0) {
        const ssize_t n = ::write(STDOUT_FILENO, data, left);
        if (n < 0) {
            if (errno == EINTR) continue;
            return;  // stdout is gone: logging must never take the server down
        }
        data += n;
        left -= static_cast<std::size_t>(n);
    }
}

/// The queue and the thread that writes it out after each interval.
class line_queue {
public:
    static line_queue& instance() {
        static line_queue queue;
        return queue;
    }

    void push(std::string_view line) {
        bool overfull = false;
        {
            std::lock_guard lock(mutex_);
            if (!flusher_.joinable()) flusher_ = std::thread([this] { flush_periodically(); });
            const bool was_empty = pending_.empty();
            pending_.append(line);
            pending_.push_back('\n');
            // The flusher writes; a request thread never waits for stdout unless the
            // reader of stdout has fallen this far behind (then it slows the gateway
            // down, as a blocking write per line did, instead of growing without bound).
            overfull = pending_.size() >= max_queued_bytes;
            if (was_empty || pending_.size() >= access_flush_bytes) wake_.notify_one();
        }
        if (overfull) write_pending_then({});
    }

    /// Writes what is queued, then `line` (if any), with no other write in between.
    void write_pending_then(std::string_view line) {
        std::lock_guard order(write_mutex_);
        std::string batch;
        {
            std::lock_guard lock(mutex_);
            batch.swap(pending_);
        }
        if (!line.empty()) {
            batch.append(line);
            batch.push_back('\n');
        }
        write_all(batch);
    }

    line_queue(const line_queue&) = delete;
    line_queue& operator=(const line_queue&) = delete;

private:
    line_queue() = default;

    ~line_queue() {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
            wake_.notify_one();
        }
        if (flusher_.joinable()) flusher_.join();
        write_pending_then({});
    }

    void flush_periodically() {
        std::unique_lock lock(mutex_);
        while (!stopping_) {
            wake_.wait(lock, [this] { return stopping_ || !pending_.empty(); });
            // Let the batch grow for one interval, or until it is big enough.
            wake_.wait_for(lock, access_flush_interval, [this] {
                return stopping_ || pending_.size() >= access_flush_bytes;
            });
            lock.unlock();
            write_pending_then({});
            lock.lock();
        }
    }

    std::mutex write_mutex_;  ///< held while writing, so batches and lines keep their order
    std::mutex mutex_;        ///< guards pending_, stopping_ and flusher_
    std::condition_variable wake_;
    std::string pending_;
    bool stopping_ = false;
    std::thread flusher_;
};

}  // namespace

void queue_line(std::string_view line) { line_queue::instance().push(line); }

void write_line_now(std::string_view line) { line_queue::instance().write_pending_then(line); }

}  // namespace gateway
