#include "tds_pool/executor_check.hpp"

#include <cstdio>
#include <cstdlib>

namespace tds_pool::detail {

void executor_check_failed(const char* executor, const char* file, int line) noexcept {
    std::fprintf(stderr, "%s:%d: not running on %s\n", file, line, executor);
    std::abort();
}

}  // namespace tds_pool::detail
