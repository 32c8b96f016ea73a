#pragma once
// Runs a blocking function on the worker pool and completes on the caller's executor.
// A plain asynchronous operation rather than a coroutine: g++ 12 mishandles class-type
// coroutine parameters such as a capturing lambda passed by value, so the function
// object never becomes a coroutine parameter.

#include <type_traits>
#include <utility>

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>

namespace tds_pool::detail {

/// Calls `fn()` on `workers`; the completion handler receives its result.
template <class Fn, class Token>
auto async_call(boost::asio::thread_pool::executor_type workers, Fn fn, Token&& token) {
    using result_type = std::invoke_result_t<Fn&>;
    return boost::asio::async_initiate<Token, void(result_type)>(
        [workers](auto handler, Fn job) {
            auto work = boost::asio::make_work_guard(boost::asio::get_associated_executor(handler));
            boost::asio::post(workers, [handler = std::move(handler), job = std::move(job),
                                        work = std::move(work)]() mutable {
                result_type result = job();
                auto target = work.get_executor();
                boost::asio::dispatch(target, [handler = std::move(handler),
                                               result = std::move(result)]() mutable {
                    std::move(handler)(std::move(result));
                });
                work.reset();
            });
        },
        token, std::move(fn));
}

}  // namespace tds_pool::detail
