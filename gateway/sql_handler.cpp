#include "gateway/sql_handler.hpp"

#include "gateway/handler_set.hpp"
#include "gateway/json_response.hpp"
#include "gateway/login_handler.hpp"
#include "gateway/result_json.hpp"
#include "gateway/log.hpp"
#include "gateway/response_headers.hpp"
#include "gateway/result_json_text.hpp"
#include "gateway/result_sink.hpp"
#include "gateway/sql_handler_request.hpp"

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
asio::awaitable<response> run_statement(db_backend* backend, request_context* ctx,
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
asio::awaitable<response> run_sql_route(db_backend* backend, request_context* ctx) {
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

sql_handler::sql_handler(std::shared_ptr<db_backend_slot> backend) : backend_(std::move(backend)) {}

asio::awaitable<response> sql_handler::handle(request_context& ctx) {
    return run_sql_route(backend_->get(), &ctx);
}

void sql_handler::configure(const conf::config& config, asio::any_io_executor executor) {
    backend_->configure(config, std::move(executor));
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

void install_db_handlers(handler_set& handlers) {
    auto slot = std::make_shared<db_backend_slot>();
    handlers.set(conf::route_kind::sql, std::make_unique<sql_handler>(slot));
    handlers.set(conf::route_kind::login, std::make_unique<login_handler>(slot));
}

std::optional<std::string> verified_token_tenant(const request& req, const runtime_state& state) {
    const token_authority* tokens = state.tokens();
    const std::string_view bearer = bearer_token(req[http::field::authorization]);
    if (tokens == nullptr || bearer.empty()) return std::nullopt;
    auto verified = tokens->verify(bearer, std::chrono::system_clock::now());
    if (auto* token = std::get_if<verified_token>(&verified)) return std::move(token->tenant);
    return std::nullopt;
}

db_backend* find_db_backend(const handler_set& handlers) {
    const auto* sql = dynamic_cast<const sql_handler*>(handlers.find(conf::route_kind::sql));
    return sql != nullptr ? sql->backend() : nullptr;
}

}  // namespace gateway
