#pragma once
// TG_ASSERT_ON(executor): state that belongs to one strand or event loop says so where
// it is touched, and the process aborts when the calling thread is not running that
// executor. A handler on the wrong thread is otherwise a rare, silent race; the check
// turns it into a clear failure in Debug builds and in sanitizer builds (CMake defines
// TG_EXECUTOR_CHECKS there, as they keep NDEBUG). Other builds compile it out.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>

namespace tds_pool::detail {

/// True when the calling thread runs `executor`, or when its type cannot tell.
inline bool running_in_this_thread(const boost::asio::any_io_executor& executor) {
    namespace asio = boost::asio;
    if (const auto* loop = executor.target<asio::io_context::executor_type>()) {
        return loop->running_in_this_thread();
    }
    if (const auto* strand = executor.target<asio::strand<asio::io_context::executor_type>>()) {
        return strand->running_in_this_thread();
    }
    if (const auto* strand = executor.target<asio::strand<asio::any_io_executor>>()) {
        return strand->running_in_this_thread();
    }
    return true;
}

/// The typed executors answer themselves.
template <typename Executor>
bool running_in_this_thread(const Executor& executor) {
    return executor.running_in_this_thread();
}

/// Reports the broken rule and aborts.
[[noreturn]] void executor_check_failed(const char* executor, const char* file, int line) noexcept;

}  // namespace tds_pool::detail

#if !defined(NDEBUG) || defined(TG_EXECUTOR_CHECKS)
#define TG_ASSERT_ON(executor)                                                    \
    (::tds_pool::detail::running_in_this_thread(executor)                         \
         ? static_cast<void>(0)                                                   \
         : ::tds_pool::detail::executor_check_failed(#executor, __FILE__, __LINE__))
#else
#define TG_ASSERT_ON(executor) static_cast<void>(0)
#endif
