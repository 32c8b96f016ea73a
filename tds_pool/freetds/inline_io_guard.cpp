#include "tds_pool/freetds/inline_io_guard.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

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
    bool active = false;          ///< inside a guarded call
    std::uint64_t generation = 0; ///< counts the thread's guarded calls
    watched_socket socket;
    clock::time_point since{};
    bool tripped = false;
    bool thread_ended = false;
    const long tid = ::syscall(SYS_gettid);  ///< constructed on its own thread
};

/// The first bytes of a file under /proc ("" when it cannot be read).
std::string read_proc(const std::string& path) {
    std::FILE* file = std::fopen(path.c_str(), "re");
    if (file == nullptr) return {};
    char text[512];
    const std::size_t n = std::fread(text, 1, sizeof text - 1, file);
    std::fclose(file);
    return std::string(text, n);
}

/// True when the thread sits in poll() (db-lib waiting on its socket), not running,
/// waiting for a core, for a lock or on a page fault: read from /proc, only for a call
/// already past the limit. Without the syscall file, a sleeping thread counts.
bool thread_asleep(long tid) {
    const std::string task = "/proc/self/task/" + std::to_string(tid);
    const std::string syscall = read_proc(task + "/syscall");
    if (!syscall.empty()) {
        if (syscall.front() < '0' || syscall.front() > '9') return false;  // "running" or -1
        const long number = std::stol(syscall);
#ifdef SYS_poll
        if (number == SYS_poll) return true;
#endif
        return number == SYS_ppoll;
    }
    const std::string stat = read_proc(task + "/stat");
    // "pid (comm) S ...": the name may hold spaces and parentheses, so the last ')'.
    const auto close = stat.rfind(')');
    if (close == std::string::npos || close + 2 >= stat.size()) return false;
    return stat[close + 2] == 'S';
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
            std::thread([this] { watch(); }).detach();
            started_ = true;
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
        std::uint64_t generation = 0;
        clock::duration lasted{};
        {
            std::lock_guard lock(slot.mutex);
            if (!slot.active || slot.tripped) return;
            generation = slot.generation;
            lasted = clock::now() - slot.since;
        }
        if (lasted < inline_stall_limit) return;
        // /proc is read without the lock: a call that ends meanwhile is not held up (and,
        // waiting for the lock, would itself look asleep).
        if (lasted < inline_busy_limit && !thread_asleep(slot.tid)) return;
        std::lock_guard lock(slot.mutex);
        if (!slot.active || slot.generation != generation || slot.tripped) return;  // it ended
        // Held under the lock, so the call cannot end meanwhile; the inode check keeps a
        // socket that reused the number (FreeTDS closes its own on a read error) safe.
        if (slot.socket.inode == 0 || socket_inode(slot.socket.fd) != slot.socket.inode) return;
        ::shutdown(slot.socket.fd, SHUT_RDWR);
        slot.tripped = true;
        stalls_cut.fetch_add(1, std::memory_order_relaxed);
    }

    std::mutex mutex_;
    std::vector<std::shared_ptr<thread_slot>> slots_;
    bool started_ = false;
};

}  // namespace

ino_t socket_inode(int fd) noexcept {
    struct stat info {};
    if (fd < 0 || ::fstat(fd, &info) != 0) return 0;
    return info.st_ino;
}

inline_io_guard::inline_io_guard(watched_socket socket) {
    thread_slot& slot = watchdog::instance().slot_of_this_thread();
    std::lock_guard lock(slot.mutex);
    slot.active = true;
    ++slot.generation;
    slot.socket = socket;
    slot.since = clock::now();
    slot.tripped = false;
}

inline_io_guard::~inline_io_guard() { finish(); }

bool inline_io_guard::finish() noexcept {
    thread_slot& slot = watchdog::instance().slot_of_this_thread();
    std::lock_guard lock(slot.mutex);
    if (!finished_) {
        finished_ = true;
        slot.active = false;
    }
    return slot.tripped;
}

unsigned long inline_stalls_cut() noexcept { return stalls_cut.load(std::memory_order_relaxed); }

}  // namespace tds_pool::detail
