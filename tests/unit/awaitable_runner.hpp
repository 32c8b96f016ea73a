#pragma once
// Runs one coroutine to its end on a private io_context, for tests of code that awaits.

#include <exception>
#include <future>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

namespace unit_test {

/// The result of `task`, run on a fresh io_context; rethrows what it threw.
template <class T>
T run(boost::asio::awaitable<T> task) {
    boost::asio::io_context io;
    std::promise<T> result;
    boost::asio::co_spawn(io, std::move(task), [&](std::exception_ptr e, T value) {
        if (e) result.set_exception(e);
        else result.set_value(std::move(value));
    });
    io.run();
    return result.get_future().get();
}

/// `run` for a coroutine that returns nothing.
inline void run(boost::asio::awaitable<void> task) {
    boost::asio::io_context io;
    std::exception_ptr failure;
    boost::asio::co_spawn(io, std::move(task), [&](std::exception_ptr e) { failure = e; });
    io.run();
    if (failure) std::rethrow_exception(failure);
}

}  // namespace unit_test
