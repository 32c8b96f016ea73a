#pragma once
// Runs blocking work (SQLite) on the worker pool and resumes the caller on its own executor.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <functional>

namespace tdsd {

namespace asio = boost::asio;

/// The coroutine body spawned on the pool: just calls `fn` there.
template <typename Result>
asio::awaitable<Result> call_blocking(std::function<Result()> fn) {
  co_return fn();
}

/// Runs `fn` on a worker thread; exceptions propagate to the awaiting coroutine.
/// `fn` is taken by reference: callers pass a named local (no temporaries in co_await).
template <typename Result>
asio::awaitable<Result> run_on_workers(asio::thread_pool& pool, const std::function<Result()>& fn) {
  co_return co_await asio::co_spawn(pool, call_blocking<Result>(fn), asio::use_awaitable);
}

}  // namespace tdsd
