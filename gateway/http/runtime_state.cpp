#include "gateway/http/runtime_state.hpp"

namespace gateway {

namespace {

/// The fields that choose the user and the tenant of an answer.
std::string vary_value(const std::string& tenant_header) {
    return tenant_header.empty() ? std::string("Authorization") : "Authorization, " + tenant_header;
}

}  // namespace

runtime_state::runtime_state(conf::config config, parts extra)
    : config_(std::move(config)),
      routes_(config_.routes),
      tenants_(config_.tenant_resolution),
      proxies_(config_.listen.trusted_proxies),
      vary_(vary_value(config_.tenant_resolution.header)),
      text_size_(extra.text_size),
      tokens_(std::move(extra.tokens)),
      gate_(std::move(extra.gate)),
      upstreams_(std::move(extra.upstreams)) {
    for (const auto& tenant : config_.tenants) tenant_entries_.emplace(tenant.code, &tenant);
}

const conf::tenant_config* runtime_state::tenant_entry(std::string_view code) const {
    const auto found = tenant_entries_.find(code);
    return found == tenant_entries_.end() ? nullptr : found->second;
}

state_holder::state_holder(std::shared_ptr<const runtime_state> initial)
    : current_(std::move(initial)) {}

std::shared_ptr<const runtime_state> state_holder::get() const {
    std::lock_guard lock(mutex_);
    return current_;
}

void state_holder::set(std::shared_ptr<const runtime_state> next) {
    std::lock_guard lock(mutex_);
    current_.swap(next);
    // `next` now holds the old state; it is freed when the parameter dies, after the
    // lock is released, so a large teardown never blocks other threads' get().
}

}  // namespace gateway
