#include "gateway/handler_set.hpp"

#include "gateway/echo_handler.hpp"
#include "gateway/proxy_handler.hpp"
#include "gateway/sql_handler.hpp"

namespace gateway {

void handler_set::set(conf::route_kind kind, std::unique_ptr<route_handler> handler) {
    handlers_.at(static_cast<std::size_t>(kind)) = std::move(handler);
}

route_handler* handler_set::find(conf::route_kind kind) const noexcept {
    const auto index = static_cast<std::size_t>(kind);
    return index < handlers_.size() ? handlers_[index].get() : nullptr;
}

handler_set make_default_handlers(tenant_backend& backend) {
    handler_set handlers;
    handlers.set(conf::route_kind::echo, std::make_unique<echo_handler>());
    handlers.set(conf::route_kind::proxy, std::make_unique<proxy_handler>());
    install_db_handlers(handlers, backend);
    return handlers;
}

}  // namespace gateway
