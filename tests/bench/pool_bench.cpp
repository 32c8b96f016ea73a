// scripts/bench pool: queries/s and latency percentiles through the pool against a plain
// db-lib loop on one connection, and a fast tenant's p99 beside a saturated slow tenant.
// Starts its own tdsd (tests/tdsd) on ephemeral ports.

#include <sybfront.h>
#include <sybdb.h>

#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <mutex>

#include <fmt/format.h>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/this_coro.hpp>

#include "tds_pool/freetds/freetds_runtime.hpp"
#include "tds_pool/worker_call.hpp"
#include "tds_pool/pool_log.hpp"
#include "tds_pool/pool_manager.hpp"
#include "tests/unit/pool_support.hpp"

namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

constexpr auto run_time = 3s;

/// Latencies of one scenario, in milliseconds.
struct samples {
    std::mutex mutex;
    std::vector<double> ms;
    std::size_t errors = 0;

    void add(steady::duration d, bool ok) {
        std::lock_guard lock(mutex);
        if (ok) {
            ms.push_back(std::chrono::duration<double, std::milli>(d).count());
        } else {
            ++errors;
        }
    }
};

double percentile(std::vector<double> v, double p) {
    if (v.empty()) {
        return 0.0;
    }
    std::sort(v.begin(), v.end());
    const auto index = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1));
    return v[index];
}

/// User and kernel CPU seconds of this process so far (tdsd runs in its own).
struct cpu_time {
    double user = 0;
    double kernel = 0;

    static cpu_time now() {
        rusage usage{};
        getrusage(RUSAGE_SELF, &usage);
        const auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
        return {seconds(usage.ru_utime), seconds(usage.ru_stime)};
    }
};

/// Prints a scenario's figures; with `cpu_before`, also this process's CPU per query
/// (user + kernel): what the client side of a query costs, db-lib and the pool included.
void report(const std::string& name, int callers, samples& s, std::chrono::duration<double> elapsed,
            std::optional<cpu_time> cpu_before = std::nullopt) {
    const cpu_time cpu_after = cpu_time::now();
    std::lock_guard lock(s.mutex);
    fmt::print("{:<34} callers={:<3} qps={:>8.0f} p50={:>7.2f}ms p99={:>7.2f}ms errors={}", name,
               callers, static_cast<double>(s.ms.size()) / elapsed.count(), percentile(s.ms, 0.50),
               percentile(s.ms, 0.99), s.errors);
    if (cpu_before && !s.ms.empty()) {
        const double queries = static_cast<double>(s.ms.size());
        const double user = (cpu_after.user - cpu_before->user) / queries * 1e6;
        const double kernel = (cpu_after.kernel - cpu_before->kernel) / queries * 1e6;
        fmt::print(" cpu/query={:.1f}us (user {:.1f}, kernel {:.1f})", user + kernel, user, kernel);
    }
    fmt::print("\n");
    std::fflush(stdout);
}

asio::awaitable<void> pool_caller(tds_pool::pool_manager* pools, std::string tenant,
                                  tds_pool::connection_target target, steady::time_point end,
                                  samples* out) {
    while (steady::now() < end) {
        // Named copies, no temporaries inside the co_await (g++ 12).
        tds_pool::query q{"SELECT 1", {}, std::nullopt};
        std::string name = tenant;
        tds_pool::connection_target where = target;
        const auto started = steady::now();
        auto r = co_await pools->execute(std::move(name), std::move(where), std::move(q), started + 10s);
        out->add(steady::now() - started, r.has_value());
    }
}

/// Runs `callers` coroutines per tenant for run_time; returns the elapsed time.
std::chrono::duration<double> run_pool(pool_test::io_runtime& rt, tds_pool::pool_manager& pools,
                                       const std::vector<std::pair<std::string, tds_pool::connection_target>>& tenants,
                                       const std::vector<int>& callers, std::vector<samples*> out) {
    const auto started = steady::now();
    const auto end = started + run_time;
    std::vector<std::future<void>> running;
    for (std::size_t t = 0; t < tenants.size(); ++t) {
        for (int i = 0; i < callers[t]; ++i) {
            running.push_back(rt.spawn(pool_caller(&pools, tenants[t].first, tenants[t].second, end, out[t])));
        }
    }
    for (auto& f : running) {
        f.get();
    }
    return steady::now() - started;
}

/// The baseline: `callers` threads sharing one db-lib connection, one query at a time.
std::chrono::duration<double> run_plain(const tds_pool::connection_target& target, int callers,
                                        samples& out) {
    LOGINREC* login = dblogin();
    DBSETLUSER(login, target.user.c_str());
    DBSETLPWD(login, target.password.c_str());
    DBSETLDBNAME(login, target.database.c_str());
    DBSETLVERSION(login, DBVERSION_74);
    DBPROCESS* proc = dbopen(login, target.address().c_str());
    dbloginfree(login);
    if (proc == nullptr) {
        throw std::runtime_error("plain loop: cannot connect");
    }
    std::mutex connection_mutex;
    const auto started = steady::now();
    const auto end = started + run_time;
    std::vector<std::thread> threads;
    for (int i = 0; i < callers; ++i) {
        threads.emplace_back([&] {
            while (steady::now() < end) {
                const auto t0 = steady::now();
                std::lock_guard lock(connection_mutex);
                bool ok = dbcmd(proc, "SELECT 1") == SUCCEED && dbsqlexec(proc) == SUCCEED;
                while (ok && dbresults(proc) == SUCCEED) {
                    while (dbnextrow(proc) != NO_MORE_ROWS) {
                    }
                }
                out.add(steady::now() - t0, ok);
            }
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    dbclose(proc);
    return steady::now() - started;
}

DBPROCESS* plain_open(const tds_pool::connection_target& target) {
    LOGINREC* login = dblogin();
    DBSETLUSER(login, target.user.c_str());
    DBSETLPWD(login, target.password.c_str());
    DBSETLDBNAME(login, target.database.c_str());
    DBSETLVERSION(login, DBVERSION_74);
    DBPROCESS* proc = dbopen(login, target.address().c_str());
    dbloginfree(login);
    if (proc == nullptr) {
        throw std::runtime_error("cannot connect");
    }
    return proc;
}

bool read_all(DBPROCESS* proc) {
    if (dbsqlok(proc) != SUCCEED) {
        return false;
    }
    while (dbresults(proc) == SUCCEED) {
        while (dbnextrow(proc) != NO_MORE_ROWS) {
        }
    }
    return true;
}

/// Worker-only scheduling: the whole query, network wait included, on a worker.
asio::awaitable<void> blocking_caller(DBPROCESS* proc, asio::thread_pool* workers,
                                      steady::time_point end, samples* out) {
    while (steady::now() < end) {
        const auto t0 = steady::now();
        auto job = [proc] { return dbcmd(proc, "SELECT 1") == SUCCEED && dbsqlsend(proc) == SUCCEED && read_all(proc); };
        const bool ok = co_await tds_pool::detail::async_call(workers->get_executor(), std::move(job), asio::use_awaitable);
        out->add(steady::now() - t0, ok);
    }
}

/// The hybrid: send on a worker, wait for the reply's first packet on the I/O thread,
/// read the results on a worker.
asio::awaitable<void> hybrid_caller(DBPROCESS* proc, asio::thread_pool* workers,
                                    steady::time_point end, samples* out) {
    asio::posix::stream_descriptor socket(co_await asio::this_coro::executor, dbiordesc(proc));
    struct keep_fd {
        asio::posix::stream_descriptor& s;
        ~keep_fd() { s.release(); }  // the fd belongs to FreeTDS: release, never close
    } keep{socket};
    while (steady::now() < end) {
        const auto t0 = steady::now();
        auto send = [proc] { return dbcmd(proc, "SELECT 1") == SUCCEED && dbsqlsend(proc) == SUCCEED; };
        bool ok = co_await tds_pool::detail::async_call(workers->get_executor(), std::move(send), asio::use_awaitable);
        if (ok) {
            co_await socket.async_wait(asio::posix::descriptor_base::wait_read, asio::use_awaitable);
            auto read = [proc] { return read_all(proc); };
            ok = co_await tds_pool::detail::async_call(workers->get_executor(), std::move(read), asio::use_awaitable);
        }
        out->add(steady::now() - t0, ok);
    }
}

/// 16 connections to the 150 ms database, 4 workers: how far each scheduling goes.
void compare_scheduling(const tds_pool::connection_target& slow_target) {
    for (const bool hybrid : {false, true}) {
        pool_test::io_runtime rt;
        asio::thread_pool workers(4);
        std::vector<DBPROCESS*> procs;
        for (int i = 0; i < 16; ++i) {
            procs.push_back(plain_open(slow_target));
        }
        samples s;
        const auto started = steady::now();
        const auto end = started + run_time;
        std::vector<std::future<void>> running;
        for (DBPROCESS* proc : procs) {
            running.push_back(rt.spawn(hybrid ? hybrid_caller(proc, &workers, end, &s)
                                              : blocking_caller(proc, &workers, end, &s)));
        }
        for (auto& f : running) {
            f.get();
        }
        report(hybrid ? "150 ms db, 4 workers: hybrid" : "150 ms db, 4 workers: worker-only", 16, s,
               steady::now() - started);
        workers.join();
        for (DBPROCESS* proc : procs) {
            dbclose(proc);
        }
    }
}

conf::pools_config bench_config() {
    conf::pools_config c;
    c.max_size = 16;
    c.max_waiters = 1000;
    c.worker_threads = 16;
    return c;
}

}  // namespace

int main() {
    tds_pool::set_log_sink({});
    // The plain loop shares the pool's process-wide db-lib handlers.
    tds_pool::detail::ensure_freetds_initialized();
    pool_test::tdsd_process server;
    fmt::print("pool benchmark: SELECT 1 against tdsd on 127.0.0.1:{}, {} s per scenario\n",
               server.port(), run_time.count());

    for (int callers : {1, 16, 64}) {
        samples s;
        const auto cpu_before = cpu_time::now();
        const auto elapsed = run_plain(server.target(), callers, s);
        report("plain db-lib, one connection", callers, s, elapsed, cpu_before);
    }
    for (int callers : {1, 16, 64}) {
        pool_test::io_runtime rt;
        tds_pool::pool_manager pools(rt.ioc(), bench_config());
        samples s;
        const auto cpu_before = cpu_time::now();
        const auto elapsed = run_pool(rt, pools, {{"ACME", server.target("db1")}}, {callers}, {&s});
        report("pool (max_size 16)", callers, s, elapsed, cpu_before);
    }

    if (server.control("latency db2 150 0") != "ok") {
        std::fprintf(stderr, "tdsd refused the latency command\n");
        return 1;
    }
    {
        pool_test::io_runtime rt;
        tds_pool::pool_manager pools(rt.ioc(), bench_config());
        samples fast;
        const auto elapsed = run_pool(rt, pools, {{"FAST", server.target("db1")}}, {8}, {&fast});
        report("fast tenant alone", 8, fast, elapsed);
    }
    {
        pool_test::io_runtime rt;
        tds_pool::pool_manager pools(rt.ioc(), bench_config());
        samples fast, slow;
        const auto elapsed = run_pool(rt, pools,
                                      {{"FAST", server.target("db1")}, {"SLOW", server.target("db2")}},
                                      {8, 64}, {&fast, &slow});
        report("fast tenant beside slow (150 ms)", 8, fast, elapsed);
        report("slow tenant, saturated", 64, slow, elapsed);
    }
    compare_scheduling(server.target("db2"));
    return 0;
}
