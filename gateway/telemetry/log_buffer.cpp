#include "gateway/telemetry/log_buffer.hpp"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

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

/// The lines one thread queued since the last batch. Each thread appends to its own, so
/// the event loops never contend for a lock per request (one shared queue made them
/// wait on each other and on the flusher: a futex call every 30 requests); the flusher
/// takes a thread's lines under that thread's lock, briefly.
struct thread_lines {
    std::mutex mutex;
    std::string pending;
    bool thread_ended = false;  ///< dropped from the list once its last lines are written
};

/// The per-thread queues and the thread that writes them out after each interval.
class line_queue {
public:
    static line_queue& instance() {
        static line_queue queue;
        return queue;
    }

    void push(std::string_view line) {
        thread_lines& mine = lines_of_this_thread();
        bool overfull = false;
        bool big_enough = false;
        bool was_empty = false;
        {
            std::lock_guard lock(mine.mutex);
            was_empty = mine.pending.empty();
            mine.pending.append(line);
            mine.pending.push_back('\n');
            big_enough = mine.pending.size() >= access_flush_bytes;
            // The flusher writes; a request thread never waits for stdout unless the
            // reader of stdout has fallen this far behind (then it slows the gateway
            // down, as a blocking write per line did, instead of growing without bound).
            overfull = mine.pending.size() >= max_queued_bytes;
        }
        if (overfull) {
            write_pending_then({});
        } else if (big_enough || was_empty) {
            wake_flusher(big_enough);
        }
    }

    /// Writes what every thread queued, then `line` (if any), with no other write in
    /// between. Lines of one thread keep their order; a batch holds one thread's lines,
    /// then the next one's (as nginx's workers' buffered logs interleave).
    void write_pending_then(std::string_view line) {
        std::lock_guard order(write_mutex_);
        std::string batch;
        for (const auto& lines : all_lines()) {
            std::lock_guard lock(lines->mutex);
            if (batch.empty()) {
                batch.swap(lines->pending);
            } else {
                batch += lines->pending;
                lines->pending.clear();
            }
        }
        if (!line.empty()) {
            batch.append(line);
            batch.push_back('\n');
        }
        write_all(batch);
        forget_ended_threads();
    }

    line_queue(const line_queue&) = delete;
    line_queue& operator=(const line_queue&) = delete;

private:
    line_queue() = default;

    ~line_queue() {
        {
            std::lock_guard lock(wake_mutex_);
            stopping_ = true;
        }
        wake_.notify_one();
        if (flusher_.joinable()) flusher_.join();
        write_pending_then({});
    }

    /// Marks its thread's lines as ended when the thread ends; the list keeps them until
    /// they are written, so lines queued just before a thread ends still go out.
    struct thread_handle {
        std::shared_ptr<thread_lines> lines;
        ~thread_handle() {
            std::lock_guard lock(lines->mutex);
            lines->thread_ended = true;
        }
    };

    thread_lines& lines_of_this_thread() {
        thread_local thread_handle mine{register_thread()};
        return *mine.lines;
    }

    std::shared_ptr<thread_lines> register_thread() {
        auto lines = std::make_shared<thread_lines>();
        std::lock_guard lock(wake_mutex_);
        threads_.push_back(lines);
        if (!flusher_.joinable()) flusher_ = std::thread([this] { flush_periodically(); });
        return lines;
    }

    /// Threads come and go (a pool's helper threads): the list holds the running ones and
    /// those whose last lines are not written yet.
    void forget_ended_threads() {
        std::lock_guard lock(wake_mutex_);
        std::erase_if(threads_, [](const std::shared_ptr<thread_lines>& lines) {
            std::lock_guard own(lines->mutex);
            return lines->thread_ended && lines->pending.empty();
        });
    }

    std::vector<std::shared_ptr<thread_lines>> all_lines() {
        std::lock_guard lock(wake_mutex_);
        return threads_;
    }

    /// `urgent`: a thread holds access_flush_bytes, write now. Otherwise a thread's
    /// first line since the last batch: the flusher, asleep while nothing is queued,
    /// starts the interval. Both are told once per batch: the flags are cleared only
    /// when the flusher takes a batch.
    void wake_flusher(bool urgent) {
        auto& flag = urgent ? urgent_ : waiting_lines_;
        if (flag.exchange(true, std::memory_order_acq_rel)) return;
        {
            std::lock_guard lock(wake_mutex_);  // so the flusher cannot miss the flag
        }
        wake_.notify_one();
    }

    void flush_periodically() {
        std::unique_lock lock(wake_mutex_);
        while (!stopping_) {
            wake_.wait(lock, [this] { return stopping_ || waiting_lines_.load() || urgent_.load(); });
            // Let the batch grow for one interval, or until a thread holds enough.
            wake_.wait_for(lock, access_flush_interval, [this] { return stopping_ || urgent_.load(); });
            waiting_lines_.store(false);
            urgent_.store(false);
            lock.unlock();
            write_pending_then({});
            lock.lock();
        }
    }

    std::mutex write_mutex_;  ///< held while writing, so batches and lines keep their order
    std::mutex wake_mutex_;   ///< guards threads_, stopping_ and flusher_; the flusher waits on it
    std::condition_variable wake_;
    std::atomic<bool> waiting_lines_{false};  ///< some thread queued a line since the last batch
    std::atomic<bool> urgent_{false};         ///< some thread holds access_flush_bytes
    std::vector<std::shared_ptr<thread_lines>> threads_;
    bool stopping_ = false;
    std::thread flusher_;
};

}  // namespace

void queue_line(std::string_view line) { line_queue::instance().push(line); }

void write_line_now(std::string_view line) { line_queue::instance().write_pending_then(line); }

}  // namespace gateway
