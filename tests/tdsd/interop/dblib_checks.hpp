#pragma once
// The db-lib interop checks and the loopback benchmark, run by dblib_client.
#include "tests/tdsd/interop/dblib_session.hpp"

namespace tdsd_interop {

/// Runs every check against the interop database; prints PASS/FAIL lines; returns failures.
int run_suite(const target& t);

/// Runs `connections` threads of primary-key SELECTs for `seconds` on the demo data and
/// prints one line: queries/s, p50, p99. Returns non-zero when any query failed.
int run_bench(const target& t, int connections, int seconds);

}  // namespace tdsd_interop
