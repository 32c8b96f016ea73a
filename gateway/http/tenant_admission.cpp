#include "gateway/http/tenant_admission.hpp"

#include <chrono>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "gateway/http/json_response.hpp"
#include "gateway/telemetry/metrics_registry.hpp"

namespace gateway {

namespace {

/// The tenant's bucket: per_second and burst from the most specific source that sets
/// them. A tenant that sets its own rate without a burst gets a burst of its rate, not
/// the default burst meant for the default rate.
bucket_rule tenant_bucket(const conf::rate_limits_config& defaults, const conf::tenant_config* tenant,
                          const std::optional<tenant_limit_override>& registry) {
    bucket_rule rule{defaults.per_second, defaults.burst};
    if (tenant != nullptr && tenant->rate_limit_per_second) rule = {*tenant->rate_limit_per_second, 0};
    if (tenant != nullptr && tenant->rate_limit_burst) rule.burst = *tenant->rate_limit_burst;
    if (registry && registry->per_second) rule = {*registry->per_second, 0};
    return rule;
}

std::uint32_t tenant_concurrency(const conf::rate_limits_config& defaults, const conf::tenant_config* tenant,
                                 const std::optional<tenant_limit_override>& registry) {
    if (registry && registry->max_concurrent) return *registry->max_concurrent;
    if (tenant != nullptr && tenant->max_concurrent_requests) return *tenant->max_concurrent_requests;
    return defaults.max_concurrent;
}

/// `"name";q=<rate>;w=1` (draft-ietf-httpapi-ratelimit-headers, structured fields).
std::string policy_header(std::string_view name, const bucket_rule& rule) {
    return fmt::format("\"{}\";q={};w=1", name, rule.per_second);
}

/// `"name";r=<remaining>;t=<seconds>`.
std::string state_header(std::string_view name, std::uint32_t remaining, std::uint32_t seconds) {
    return fmt::format("\"{}\";r={};t={}", name, remaining, seconds);
}

response limited_response(const std::string& request_id, std::string_view message, std::uint32_t retry_after) {
    auto res = error_response(429, "rate_limited", message, request_id);
    res.set(http::field::retry_after, std::to_string(retry_after));
    return res;
}

/// Refuses `plan` for a spent bucket; the refusal is counted under `reason`.
void refuse_rate(request_plan& plan, const admission_context& ctx, std::string_view reason,
                 std::string_view policy, const bucket_rule& rule, const bucket_verdict& verdict,
                 const std::string& request_id) {
    auto res = limited_response(request_id, fmt::format("the {} request rate limit is reached", policy),
                                verdict.retry_after);
    res.set("RateLimit-Policy", policy_header(policy, rule));
    res.set("RateLimit", state_header(policy, 0, verdict.retry_after));
    plan.refusal = std::move(res);
    ctx.metrics.count_rate_limited(*plan.decision.tenant.code, reason);
}

/// Takes a token of `key`'s bucket; false when refused (plan.refusal set).
bool take_or_refuse(request_plan& plan, const admission_context& ctx, const std::string& key,
                    std::string_view reason, std::string_view policy, const bucket_rule& rule,
                    const std::string& request_id) {
    const auto verdict = ctx.limiter.take(key, rule, tenant_limiter::clock::now());
    if (!verdict.allowed) {
        refuse_rate(plan, ctx, reason, policy, rule, verdict, request_id);
        return false;
    }
    if (plan.rate_limit.empty() || verdict.remaining == 0) {
        // the answer reports the bucket closest to refusing
        plan.rate_limit_policy = policy_header(policy, rule);
        plan.rate_limit = state_header(policy, verdict.remaining, verdict.reset_seconds);
    }
    return true;
}

/// A route's own bucket, apart from the tenant's and from other routes' (two routes may
/// share a path with different methods): '\x1f' cannot appear in a code or a path.
std::string route_bucket_key(const std::string& code, const conf::route_config& route) {
    return fmt::format("{}\x1f{}\x1f{}", code, fmt::join(route.methods, ","), route.path);
}

}  // namespace

request_limits limits_for(const conf::rate_limits_config& defaults, const conf::tenant_config* tenant,
                          const std::optional<tenant_limit_override>& registry,
                          const conf::route_config& route) {
    request_limits out;
    out.bucket = tenant_bucket(defaults, tenant, registry);
    if (route.rate_limit) {
        out.bucket = {route.rate_limit->per_second, route.rate_limit->burst};
        out.policy = "route";
    }
    if (route.auth_required) out.user = {defaults.per_user_per_second, defaults.per_user_burst};
    out.max_concurrent = tenant_concurrency(defaults, tenant, registry);
    return out;
}

void admit_tenant(request_plan& plan, const runtime_state& state, const admission_context& ctx,
                  const std::string& request_id) {
    const auto& code = plan.decision.tenant.code;
    if (plan.refusal || plan.route() == nullptr || !code) return;
    const auto& defaults = state.config().rate_limits;
    ctx.limiter.set_max_entries(defaults.max_buckets);
    std::optional<tenant_limit_override> registry;
    if (ctx.registry != nullptr && *ctx.registry) registry = (*ctx.registry)(*code);
    const request_limits limits = limits_for(defaults, state.tenant_entry(*code), registry, *plan.route());
    const std::string bucket_key = limits.policy == "route" ? route_bucket_key(*code, *plan.route()) : *code;
    if (limits.bucket.limited() &&
        !take_or_refuse(plan, ctx, bucket_key, "rate", limits.policy, limits.bucket, request_id)) {
        return;
    }
    if (limits.user.limited() && plan.token) {
        const std::string user_key = *code + '\x1e' + plan.token->subject;
        if (!take_or_refuse(plan, ctx, user_key, "user", "user", limits.user, request_id)) return;
    }
    if (limits.max_concurrent == 0) return;
    if (!ctx.limiter.enter(*code, limits.max_concurrent)) {
        // refused at once: a tenant at its limit must not queue in front of the others
        plan.refusal = limited_response(request_id, "the tenant's concurrent request limit is reached", 1);
        ctx.metrics.count_rate_limited(*code, "concurrency");
        return;
    }
    plan.permit = std::make_shared<concurrency_permit>(ctx.limiter, *code);
}

}  // namespace gateway
