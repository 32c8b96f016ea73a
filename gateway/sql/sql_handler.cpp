#include "gateway/sql/sql_handler.hpp"

#include "gateway/http/handler_set.hpp"
#include "gateway/http/json_response.hpp"
#include "gateway/http/response_headers.hpp"
#include "gateway/sql/login_handler.hpp"
#include "gateway/sql/result_json.hpp"
#include "gateway/sql/result_json_text.hpp"
#include "gateway/sql/result_sink.hpp"
#include "gateway/sql/sql_handler_request.hpp"
#include "gateway/telemetry/log.hpp"

namespace gateway {

namespace {

/// A 200 whose body is already JSON text.
response json_text_response(std::string body) {
    response res{http::status::ok, 11};
    res.set(http::field::content_type, "application/json");
    res.body() = std::move(body);
    res.prepare_payload();
    return res;
}

/// 503 response_budget_exhausted: the responses in flight hold the whole budget.
response budget_refusal(const std::string& request_id, const conf::retry_after_config& retry_after) {
    response res = error_response(503, "response_budget_exhausted",
                                  "the gateway holds too many large responses; retry shortly", request_id);
    set_retry_after(res, retry_after.response_budget_exhausted);
    return res;
}

/// 502 result_too_large: the database answered more than the route may send. 502, as a
/// gateway answers an upstream reply it will not relay (nginx: an upstream header too
/// big); the request itself was valid, so no 4xx.
response too_large_response(result_end end, const result_bounds& bounds, const std::string& request_id) {
    const std::string message =
        end == result_end::cell_too_large
            ? "a value of the result exceeds " + std::to_string(bounds.max_cell_bytes) + " bytes"
            : "the result exceeds " + std::to_string(bounds.max_response_bytes) + " bytes";
    return error_response(502, "result_too_large", message, request_id);
}

/// The response for a read the sink ended, by result mode.
response result_response(const conf::route_config& route, json_result_sink& sink,
                         const std::string& request_id) {
    switch (route.result) {
        case conf::result_mode::one: {
            if (sink.rows_written() == 0) return error_response(404, "not_found", "no such row", request_id);
            return json_text_response(sink.take_body());
        }
        case conf::result_mode::exec:
            return json_response(http::status::ok, boost::json::object{{"rowsAffected", sink.rows_affected()}});
        case conf::result_mode::many:
            break;
    }
    const bool truncated = sink.end() == result_end::truncated;
    response res = json_text_response(sink.take_body());
    if (truncated) {
        res.set("X-Result-Truncated", "true");
        res.set("X-Result-Max-Rows", std::to_string(route.max_rows));
    }
    return res;
}

/// The response once the statement ran: rows, a database error or a bound that was hit.
response finished_response(const conf::route_config& route, const result_bounds& bounds,
                           const std::optional<tds_pool::db_error>& error, json_result_sink& sink,
                           const tenant_access& access, const std::string& request_id,
                           response_budget& budget, const conf::retry_after_config& retry_after) {
    if (error) return db_error_response(*error, access.code, request_id, retry_after);
    switch (sink.end()) {
        case result_end::complete:
        case result_end::truncated:
            return result_response(route, sink, request_id);
        case result_end::budget_exhausted:
            budget.count_refusal();
            return budget_refusal(request_id, retry_after);
        case result_end::body_too_large:
        case result_end::cell_too_large:
            break;
    }
    budget.count_too_large();
    log_warn("result too large", {{"request_id", request_id},
                                  {"tenant", access.code},
                                  {"route", route.path},
                                  {"rows_written", sink.rows_written()}});
    return too_large_response(sink.end(), bounds, request_id);
}

/// The statement of the route with its parameters bound, or the 400 refusing the request.
std::variant<tds_pool::query, response> prepare_statement(const request_context& ctx,
                                                         const tenant_access& access) {
    auto body = body_fields(ctx.req, ctx.request_id);
    if (auto* refusal = std::get_if<response>(&body)) return std::move(*refusal);
    const conf::route_config& route = *ctx.decision.match.route;
    const auto inputs = request_inputs(ctx, std::get<router::input_fields>(std::move(body)), access.token);
    const router::binding_result bound = router::bind_params(route.params, inputs);
    if (!bound.ok()) return validation_response(bound.problems, ctx.request_id);
    tds_pool::query statement{route.sql, to_sql_params(bound.params), route.query_timeout};
    // From the request's own configuration, like its bounds: after a reload that raised a
    // cap, no connection still cuts values at the old one.
    statement.text_size = ctx.state->text_size();
    return statement;
}

// The rows become JSON text as they are read; the pooled connection is back in its pool
// before the response is written, so a slow client never holds it. The body's bytes are
// held against the response budget until the session has written it (keep_until_sent).
asio::awaitable<response> run_statement(tenant_backend* backend, request_context* ctx,
                                        tenant_access access, tds_pool::query statement) {
    const conf::route_config& route = *ctx->decision.match.route;
    const conf::config& config = ctx->state->config();
    const auto deadline = db_deadline(config, route);
    const result_bounds bounds = result_bounds::of(route, config.limits);
    auto share = std::make_shared<budget_share>(backend->responses());
    json_result_sink sink(bounds, *share);
    auto error = co_await backend->pools().execute_into(access.code, access.target, std::move(statement),
                                                        deadline, &sink);
    backend->responses()->count_rows_read(sink.rows_read());
    response res = finished_response(route, bounds, error, sink, access, ctx->request_id,
                                     *backend->responses(), config.limits.retry_after);
    share->shrink_to(res.body().size());
    ctx->keep_until_sent = std::move(share);
    co_return res;
}

// One co_return per coroutine: g++ 12 misreports the frame's delete with early returns.
asio::awaitable<response> run_sql_route(tenant_backend* backend, request_context* ctx) {
    response res;
    tenant_access access = co_await open_tenant(backend, ctx);
    if (access.refusal) {
        res = std::move(*access.refusal);
    } else {
        auto prepared = prepare_statement(*ctx, access);
        if (auto* refusal = std::get_if<response>(&prepared)) {
            res = std::move(*refusal);
        } else if (!backend->responses()->has_room()) {
            backend->responses()->count_refusal();
            res = budget_refusal(ctx->request_id, ctx->state->config().limits.retry_after);
        } else {
            auto statement = std::get<tds_pool::query>(std::move(prepared));
            res = co_await run_statement(backend, ctx, std::move(access), std::move(statement));
        }
    }
    co_return res;
}

}  // namespace

asio::awaitable<response> sql_handler::handle(request_context& ctx) {
    return run_sql_route(&backend_, &ctx);
}

router::binding_inputs request_inputs(const request_context& ctx, router::input_fields body,
                                      const std::optional<verified_token>& token) {
    router::binding_inputs inputs;
    for (const auto& [name, value] : ctx.decision.match.path_params) {
        inputs.path.emplace_back(name, router::text_input{value});
    }
    for (const auto& [name, value] : ctx.target.query) {
        inputs.query.emplace_back(name, router::text_input{value});
    }
    inputs.body = std::move(body);
    if (token) inputs.claims = claim_fields(*token);
    return inputs;
}

void install_db_handlers(handler_set& handlers, tenant_backend& backend) {
    handlers.set(conf::route_kind::sql, std::make_unique<sql_handler>(backend));
    handlers.set(conf::route_kind::login, std::make_unique<login_handler>(backend));
}

}  // namespace gateway
