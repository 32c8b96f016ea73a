#pragma once
// PRELOGIN: validate the client's option list and answer "encryption not supported".
#include <cstdint>
#include <span>
#include <vector>

namespace tdsd {

/// Checks the client's PRELOGIN option table; throws protocol_error when malformed.
void check_prelogin(std::span<const std::uint8_t> payload);

/// The PRELOGIN reply payload: VERSION, ENCRYPTION=NOT_SUP, INSTOPT, THREADID, MARS.
std::vector<std::uint8_t> prelogin_reply();

}  // namespace tdsd
