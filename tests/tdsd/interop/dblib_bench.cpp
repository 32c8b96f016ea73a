// The loopback benchmark: N db-lib connections each run a primary-key SELECT through
// sp_executesql (as the gateway does) back to back for a fixed time.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include "tests/tdsd/interop/dblib_checks.hpp"

namespace tdsd_interop {

namespace {

using clock_type = std::chrono::steady_clock;

/// What one connection measured.
struct worker_result {
  std::vector<double> latencies_ms;
  long errors = 0;
  bool logged_in = false;
};

constexpr int ticket_ids = 12;  // every demo tenant has at least this many tickets

void run_worker(const target& t, clock_type::time_point deadline, int offset, worker_result& out) {
  session s(t);
  out.logged_in = s.ok();
  if (!s.ok()) return;
  for (int i = offset; clock_type::now() < deadline; ++i) {
    const auto started = clock_type::now();
    const auto r = run_rpc(s.proc(), "SELECT TicketId, Title, Status FROM Tickets WHERE TicketId = @id",
                           "@id int", {scalar<DBINT>("@id", SYBINT4, 1 + i % ticket_ids)});
    const std::chrono::duration<double, std::milli> took = clock_type::now() - started;
    if (!r || r->size() != 1 || r->front().size() != 1) {
      ++out.errors;
      if (DBDEAD(s.proc())) return;
      continue;
    }
    out.latencies_ms.push_back(took.count());
  }
}

double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const auto index = static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1));
  return sorted[index];
}

}  // namespace

int run_bench(const target& t, int connections, int seconds) {
  std::vector<worker_result> results(static_cast<std::size_t>(connections));
  std::vector<std::thread> threads;
  const auto started = clock_type::now();
  const auto deadline = started + std::chrono::seconds(seconds);
  for (int c = 0; c < connections; ++c) {
    threads.emplace_back(run_worker, std::cref(t), deadline, c * 5,
                         std::ref(results[static_cast<std::size_t>(c)]));
  }
  for (auto& th : threads) th.join();
  const std::chrono::duration<double> elapsed = clock_type::now() - started;
  std::vector<double> all;
  long errors = 0;
  int logged_in = 0;
  for (const auto& r : results) {
    all.insert(all.end(), r.latencies_ms.begin(), r.latencies_ms.end());
    errors += r.errors;
    logged_in += r.logged_in ? 1 : 0;
  }
  std::sort(all.begin(), all.end());
  std::printf("tdsd db-lib bench: %d connections, %d s: %.0f queries/s, p50 %.3f ms, p99 %.3f ms "
              "(%zu queries, %ld errors)\n",
              connections, seconds, static_cast<double>(all.size()) / elapsed.count(),
              percentile(all, 0.50), percentile(all, 0.99), all.size(), errors);
  return errors == 0 && logged_in == connections && !all.empty() ? 0 : 1;
}

}  // namespace tdsd_interop
