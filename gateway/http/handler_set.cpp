#include "gateway/http/handler_set.hpp"

namespace gateway {

void handler_set::set(conf::route_kind kind, std::unique_ptr<route_handler> handler) {
    handlers_.at(static_cast<std::size_t>(kind)) = std::move(handler);
}

route_handler* handler_set::find(conf::route_kind kind) const noexcept {
    const auto index = static_cast<std::size_t>(kind);
    return index < handlers_.size() ? handlers_[index].get() : nullptr;
}

}  // namespace gateway
