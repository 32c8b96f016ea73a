#pragma once
// Which handler serves which route kind. Filled once at start-up, read-only afterwards.
// Handlers keep nothing that depends on one configuration: a request finds its
// configuration (routes, upstreams, token keys) in its runtime_state.

#include <array>
#include <memory>

#include "conf/config.hpp"
#include "gateway/http/route_handler.hpp"

namespace gateway {

/// One optional handler per conf::route_kind; a kind without one answers 501.
class handler_set {
public:
    /// Installs (or replaces) the handler of a kind; call before serving starts.
    void set(conf::route_kind kind, std::unique_ptr<route_handler> handler);

    /// The handler of a kind, or nullptr when that kind is not available.
    route_handler* find(conf::route_kind kind) const noexcept;

private:
    static constexpr std::size_t kind_count = 4;  // echo, sql, login, proxy
    std::array<std::unique_ptr<route_handler>, kind_count> handlers_;
};

}  // namespace gateway
