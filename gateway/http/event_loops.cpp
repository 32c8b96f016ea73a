#include "gateway/http/event_loops.hpp"

#include <algorithm>
#include <thread>

namespace gateway {

event_loops::event_loops(asio::io_context& main, unsigned count) : main_(main) {
    for (unsigned i = 1; i < std::max(1u, count); ++i) {
        // One thread runs each loop (hint 1: a handler's own immediate completions skip
        // the scheduler's lock), but other threads post here too (the drain, pool
        // completions), so Asio's locking stays on.
        extra_.push_back(std::make_unique<asio::io_context>(1));
        keep_running_.push_back(asio::make_work_guard(*extra_.back()));
    }
}

asio::any_io_executor event_loops::executor(std::size_t index) noexcept {
    if (index == 0) return main_.get_executor();
    return extra_[index - 1]->get_executor();
}

void event_loops::run() {
    std::vector<std::thread> threads;
    threads.reserve(extra_.size());
    for (auto& loop : extra_) threads.emplace_back([context = loop.get()] { context->run(); });
    main_.run();
    stop();
    for (auto& thread : threads) thread.join();
}

void event_loops::stop() noexcept {
    for (auto& guard : keep_running_) guard.reset();
    for (auto& loop : extra_) loop->stop();
    main_.stop();
}

}  // namespace gateway
