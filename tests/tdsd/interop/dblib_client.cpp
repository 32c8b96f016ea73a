// A FreeTDS db-lib client for tdsd: the interop checks that db-lib accepts tdsd's replies,
// and the loopback benchmark. The password comes from $TDSD_PASSWORD, never argv.
//   dblib_client login HOST:PORT USER DATABASE    exit 0 when the login succeeds
//   dblib_client suite HOST:PORT USER DATABASE    PASS/FAIL lines, exit 1 on a failure
//   dblib_client --bench CONNS SECONDS HOST:PORT USER DATABASE
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "tests/tdsd/interop/dblib_checks.hpp"

namespace {

int usage() {
  std::fprintf(stderr,
               "usage: dblib_client login|suite HOST:PORT USER DATABASE\n"
               "       dblib_client --bench CONNS SECONDS HOST:PORT USER DATABASE\n"
               "(password in $TDSD_PASSWORD)\n");
  return 2;
}

tdsd_interop::target target_from(char** args) {
  const char* password = std::getenv("TDSD_PASSWORD");
  return tdsd_interop::target{args[0], args[1], args[2], password != nullptr ? password : ""};
}

int login_only(const tdsd_interop::target& t) {
  tdsd_interop::session s(t);
  if (!s.ok()) {
    const auto& d = tdsd_interop::last_diagnostics();
    std::printf("login failed: %d %s\n", d.message_number, d.message.c_str());
    return 1;
  }
  std::printf("login ok, spid %d\n", dbspid(s.proc()));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  tdsd_interop::init_dblib();
  const std::string_view mode = argc > 1 ? argv[1] : "";
  if (mode == "--bench" && argc == 7) {
    const int connections = std::atoi(argv[2]);
    const int seconds = std::atoi(argv[3]);
    if (connections <= 0 || seconds <= 0) return usage();
    return tdsd_interop::run_bench(target_from(argv + 4), connections, seconds);
  }
  if (argc != 5) return usage();
  if (mode == "login") return login_only(target_from(argv + 2));
  if (mode == "suite") return tdsd_interop::run_suite(target_from(argv + 2));
  return usage();
}
