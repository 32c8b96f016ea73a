#include "tds_pool/freetds/inline_io_guard.hpp"

#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace tds_pool::detail {

namespace {

using clock = std::chrono::steady_clock;

constexpr auto check_interval = std::chrono::milliseconds(100);

/// One thread's guarded call, if any, as the watchdog sees it.
struct thread_slot {
    std::mutex mutex;
    int fd = -1;  ///< -1: not inside a guarded call
    clock::time_point since{};
    bool tripped = false;
    bool thread_ended = false;
    const long tid = ::syscall(SYS_gettid);  ///< constructed on its own thread
};

/// True when the thread is asleep (in poll(), for a guarded call), not running or
/// waiting for a core: read from /proc, only for a call already past the limit.
bool thread_asleep(long tid) {
    const std::string path = "/proc/self/task/" + std::to_string(tid) + "/stat";
    std::FILE* file = std::fopen(path.c_str(), "re");
    if (file == nullptr) return false;
    char text[512];
    const std::size_t n = std::fread(text, 1, sizeof text - 1, file);
    std::fclose(file);
    const std::string stat(text, n);
    // "pid (comm) S ...": the name may hold spaces and parentheses, so the last ')'.
    const auto close = stat.rfind(')');
    if (close == std::string::npos || close + 2 >= stat.size()) return false;
    const char state = stat[close + 2];
    return state == 'S' || state == 'D';
}

std::atomic<unsigned long> stalls_cut{0};

class watchdog {
public:
    static watchdog& instance() {
        // Never destroyed: its thread runs until the process ends.
        static watchdog* the = new watchdog;
        return *the;
    }

    thread_slot& slot_of_this_thread() {
        thread_local handle mine{register_thread()};
        return *mine.slot;
    }

private:
    struct handle {
        std::shared_ptr<thread_slot> slot;
        ~handle() {
            std::lock_guard lock(slot->mutex);
            slot->thread_ended = true;
        }
    };

    std::shared_ptr<thread_slot> register_thread() {
        auto slot = std::make_shared<thread_slot>();
        std::lock_guard lock(mutex_);
        slots_.push_back(slot);
        if (!started_) {
            started_ = true;
            std::thread([this] { watch(); }).detach();
        }
        return slot;
    }

    [[noreturn]] void watch() {
        for (;;) {
            std::this_thread::sleep_for(check_interval);
            std::vector<std::shared_ptr<thread_slot>> slots;
            {
                std::lock_guard lock(mutex_);
                std::erase_if(slots_, [](const auto& s) {
                    std::lock_guard own(s->mutex);
                    return s->thread_ended;
                });
                slots = slots_;
            }
            for (const auto& slot : slots) check(*slot);
        }
    }

    static void check(thread_slot& slot) {
        std::lock_guard lock(slot.mutex);
        if (slot.fd < 0 || slot.tripped || clock::now() - slot.since < inline_stall_limit) return;
        if (!thread_asleep(slot.tid)) return;
        // Held under the slot's lock: the guard cannot end (and the connection cannot
        // close the descriptor for another socket to reuse) until this is done.
        ::shutdown(slot.fd, SHUT_RDWR);
        slot.tripped = true;
        stalls_cut.fetch_add(1, std::memory_order_relaxed);
    }

    std::mutex mutex_;
    std::vector<std::shared_ptr<thread_slot>> slots_;
    bool started_ = false;
};

}  // namespace

inline_io_guard::inline_io_guard(int fd) noexcept {
    thread_slot& slot = watchdog::instance().slot_of_this_thread();
    std::lock_guard lock(slot.mutex);
    slot.fd = fd;
    slot.since = clock::now();
    slot.tripped = false;
}

inline_io_guard::~inline_io_guard() {
    thread_slot& slot = watchdog::instance().slot_of_this_thread();
    std::lock_guard lock(slot.mutex);
    slot.fd = -1;
}

bool inline_io_guard::tripped() const noexcept {
    thread_slot& slot = watchdog::instance().slot_of_this_thread();
    std::lock_guard lock(slot.mutex);
    return slot.tripped;
}

unsigned long inline_stalls_cut() noexcept { return stalls_cut.load(std::memory_order_relaxed); }

}  // namespace tds_pool::detail
