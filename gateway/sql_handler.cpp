#include "gateway/sql_handler.hpp"

#include "gateway/handler_set.hpp"
#include "gateway/json_response.hpp"
#include "gateway/login_handler.hpp"
#include "gateway/result_json.hpp"
#include "gateway/result_json_text.hpp"
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

/// The response body for a successful statement, by result mode. Rows are written
/// straight into the body text: no per-row JSON objects on the way.
response result_response(const conf::route_config& route, const tds_pool::query_result& result,
                         const std::string& request_id) {
    switch (route.result) {
        case conf::result_mode::one: {
            auto row = one_to_json_text(result);
            if (!row) return error_response(404, "not_found", "no such row", request_id);
            return json_text_response(std::move(*row));
        }
        case conf::result_mode::exec:
            return json_response(http::status::ok, exec_to_json(result));
        case conf::result_mode::many:
            break;
    }
    rows_text rows = many_to_json_text(result, route.max_rows);
    response res = json_text_response(std::move(rows.body));
    if (rows.truncated) {
        res.set("X-Result-Truncated", "true");
        res.set("X-Result-Max-Rows", std::to_string(route.max_rows));
    }
    return res;
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
    return tds_pool::query{route.sql, to_sql_params(bound.params), route.query_timeout};
}

asio::awaitable<response> run_statement(db_backend* backend, const request_context* ctx,
                                        tenant_access access, tds_pool::query statement) {
    const conf::route_config& route = *ctx->decision.match.route;
    const auto deadline = db_deadline(ctx->state->config(), route);
    auto result = co_await backend->pools().execute(access.code, std::move(access.target),
                                                    std::move(statement), deadline);
    response res = result ? result_response(route, result.value(), ctx->request_id)
                          : db_error_response(result.error(), access.code, ctx->request_id);
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
