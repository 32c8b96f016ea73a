#pragma once
// A request the router rejects, described in the terms of the HTTP response the
// gateway sends: status, a stable machine code for the JSON body, a human message.

#include <string>
#include <vector>

namespace router {

/// An error response decided by the router; `code` is stable and machine-readable.
struct http_error {
    unsigned status = 400;
    std::string code;
    std::string message;
    std::vector<std::string> allow;  ///< methods for the Allow header; filled for 405 only
};

/// Builds a 400 error with the given machine code.
inline http_error bad_input(std::string code, std::string message) {
    return http_error{400, std::move(code), std::move(message), {}};
}

}  // namespace router
