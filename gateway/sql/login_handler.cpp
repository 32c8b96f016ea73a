#include "gateway/sql/login_handler.hpp"

#include <algorithm>
#include <cctype>

#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "gateway/http/json_response.hpp"
#include "gateway/telemetry/log.hpp"
#include "gateway/auth/login_dummy.hpp"
#include "gateway/auth/login_slots.hpp"
#include "gateway/auth/password_hash.hpp"
#include "gateway/sql/result_json.hpp"
#include "gateway/sql/sql_handler.hpp"
#include "gateway/sql/sql_handler_request.hpp"
#include "tds_pool/worker_call.hpp"

namespace gateway {

namespace {

constexpr std::size_t max_username_bytes = 256;
constexpr std::size_t max_password_bytes = 1024;

/// The user row split into its id, its stored hash and the fields returned to the client.
struct user_row {
    std::string id;
    std::string hash;
    boost::json::object fields;
};

bool is_column(std::string_view name, std::string_view wanted) {
    return std::equal(name.begin(), name.end(), wanted.begin(), wanted.end(), [](char a, char b) {
        return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
    });
}

std::optional<user_row> first_user(const tds_pool::query_result& result) {
    if (result.sets.empty() || result.sets.front().rows.empty()) return std::nullopt;
    const auto& set = result.sets.front();
    const auto& row = set.rows.front();
    user_row out;
    for (std::size_t c = 0; c < set.columns.size() && c < row.size(); ++c) {
        const std::string& name = set.columns[c].name;
        if (is_column(name, "password_hash")) {
            if (const auto* text = std::get_if<std::string>(&row[c])) out.hash = *text;
            continue;  // never returned
        }
        if (is_column(name, "user_id")) {
            if (const auto* i = std::get_if<std::int64_t>(&row[c])) out.id = std::to_string(*i);
            if (const auto* text = std::get_if<std::string>(&row[c])) out.id = *text;
        }
        out.fields[name] = cell_to_json(row[c]);
    }
    if (out.id.empty()) return std::nullopt;
    return out;
}

/// The text of a string body field; nullopt when missing or not a string.
std::optional<std::string> string_field(const router::input_fields& body, std::string_view key) {
    for (const auto& [name, value] : body) {
        if (name == key) {
            if (const auto* text = std::get_if<std::string>(&value)) return *text;
            return std::nullopt;
        }
    }
    return std::nullopt;
}

/// One password verification, run on the hash workers (bcrypt is slow by design).
struct verify_job {
    std::string password;
    std::string hash;
    bool operator()() const { return verify_password(password, hash); }
};

/// Makes a dummy like a tenant's stored hash, on the hash workers.
struct make_dummy_job {
    dummy_hashes* dummies;
    std::string tenant;
    std::string stored_hash;
    void operator()() const {
        if (auto made = make_dummy_like(stored_hash)) dummies->add(tenant, std::move(*made));
    }
};

response too_many(const login_refusal& refusal, const request_context& ctx, std::string_view tenant) {
    const char* budget = refusal.budget == login_budget::address ? "address" : "account";
    log_info("login throttled", {{"request_id", ctx.request_id}, {"tenant", std::string(tenant)},
                                 {"budget", budget}});
    response res = error_response(429, "too_many_attempts", "too many failed logins, try again later",
                                  ctx.request_id);
    res.set(http::field::retry_after, std::to_string(refusal.retry_after.count()));
    return res;
}

/// Checks the two credential fields; the problems when they are missing or too long.
std::vector<router::field_problem> credential_problems(const std::optional<std::string>& user,
                                                       const std::optional<std::string>& password) {
    std::vector<router::field_problem> problems;
    if (!user || user->empty()) problems.push_back({"username", "is required"});
    else if (user->size() > max_username_bytes) problems.push_back({"username", "is too long"});
    if (!password || password->empty()) problems.push_back({"password", "is required"});
    else if (password->size() > max_password_bytes) problems.push_back({"password", "is too long"});
    return problems;
}

/// A login request that passed the checks: its credentials, the user query and the
/// limiter slots it holds until the password check is done.
struct login_attempt {
    std::string password;
    tds_pool::query lookup;
    login_slots slots;
};

/// Checks body, credentials, limiter and parameters; the attempt or the refusal.
std::variant<login_attempt, response> prepare_login(tenant_backend& backend, const request_context& ctx,
                                                    const tenant_access& access) {
    if (ctx.state->tokens() == nullptr) {
        return error_response(503, "auth_unavailable", "token signing is not configured", ctx.request_id);
    }
    auto body = body_fields(ctx.req, ctx.request_id);
    if (auto* refusal = std::get_if<response>(&body)) return std::move(*refusal);
    auto& fields = std::get<router::input_fields>(body);
    const auto username = string_field(fields, "username");
    const auto password = string_field(fields, "password");
    if (auto problems = credential_problems(username, password); !problems.empty()) {
        return validation_response(problems, ctx.request_id);
    }
    const conf::route_config& route = *ctx.decision.match.route;
    const auto inputs = request_inputs(ctx, std::move(fields), std::nullopt);
    const router::binding_result bound = router::bind_params(route.params, inputs);
    if (!bound.ok()) return validation_response(bound.problems, ctx.request_id);
    // both budgets take this attempt before the database or the hash is asked
    login_slots slots(backend.limiter(),
                      {login_account_key(access.code, *username), login_address_key(ctx.client_ip)},
                      backend.shared_logins());
    if (slots.refusal()) return too_many(*slots.refusal(), ctx, access.code);
    tds_pool::query lookup{route.sql, to_sql_params(bound.params), route.query_timeout};
    lookup.text_size = ctx.state->text_size();  // its rows are kept whole: same bound
    return login_attempt{*password, std::move(lookup), std::move(slots)};
}

/// The answer once the password check is done.
response finish_login(const request_context& ctx, const std::string& tenant,
                      login_slots& slots, std::optional<user_row> user, bool valid) {
    if (!user || !valid) {
        slots.failed();
        log_info("login refused", {{"request_id", ctx.request_id}, {"tenant", tenant}});
        return error_response(401, "invalid_credentials", "unknown user or wrong password", ctx.request_id);
    }
    slots.succeeded();
    // the keys, issuer and ttl of the configuration this request started under
    const issued_token issued = ctx.state->tokens()->issue(tenant, user->id, std::chrono::system_clock::now());
    boost::json::object out{{"token", issued.token},
                            {"expiresAt", iso8601_utc(issued.expires_at)},
                            {"tenant", tenant},
                            {"user", std::move(user->fields)}};
    return json_response(http::status::ok, out);
}

/// A user row was found: learns the tenant's hash scheme for its dummy.
void note_user_hash(tenant_backend& backend, const std::string& tenant, const user_row& user) {
    if (backend.dummies().claim(tenant, user.hash)) {
        asio::post(backend.hash_workers(), make_dummy_job{&backend.dummies(), tenant, user.hash});
    }
}

/// Reserves the found row's own account key (any spelling the database matched counts
/// against one budget). True when that budget is spent.
asio::awaitable<bool> row_budget_spent(const request_context* ctx, std::string tenant, std::string user_id,
                                       login_slots* slots) {
    const auto refusal = co_await slots->add(login_user_id_key(tenant, user_id));
    if (refusal) {
        log_info("login throttled", {{"request_id", ctx->request_id}, {"tenant", tenant}, {"budget", "user_id"}});
    }
    co_return refusal.has_value();
}

asio::awaitable<response> check_password(tenant_backend* backend, const request_context* ctx,
                                         std::string tenant, login_attempt attempt,
                                         tds_pool::connection_target target) {
    const auto deadline = db_deadline(ctx->state->config(), *ctx->decision.match.route);
    auto result = co_await backend->pools().execute(tenant, std::move(target), std::move(attempt.lookup),
                                                    deadline);
    response res;
    std::optional<user_row> user;
    bool row_locked = false;
    if (result) {
        user = first_user(result.value());
        if (user) {
            note_user_hash(*backend, tenant, *user);
            row_locked = co_await row_budget_spent(ctx, tenant, user->id, &attempt.slots);
        }
    }
    if (!result) {
        res = db_error_response(result.error(), tenant, ctx->request_id,
                                ctx->state->config().limits.retry_after);
    } else {
        // an unknown user costs one hash verification too: same answer, same time. So does
        // a row whose budget other spellings spent: its own hash is not tried, and a 429
        // here would tell that the row exists.
        const bool real = user && !row_locked;
        std::string hash = real ? user->hash : backend->dummies().for_unknown_user(tenant);
        verify_job job{attempt.password, std::move(hash)};
        const bool valid = co_await tds_pool::detail::async_call(backend->hash_workers().get_executor(),
                                                                 std::move(job), asio::use_awaitable);
        res = finish_login(*ctx, tenant, attempt.slots, std::move(user), valid && real);
    }
    co_return res;
}

// One co_return per coroutine: g++ 12 misreports the frame's delete with early returns.
asio::awaitable<response> run_login(tenant_backend* backend, request_context* ctx) {
    response res;
    tenant_access access = co_await open_tenant(backend, ctx);
    if (access.refusal) {
        res = std::move(*access.refusal);
    } else {
        auto prepared = prepare_login(*backend, *ctx, access);
        if (auto* refusal = std::get_if<response>(&prepared)) {
            res = std::move(*refusal);
        } else {
            auto attempt = std::get<login_attempt>(std::move(prepared));
            // the budgets every instance shares, when Redis holds them
            co_await attempt.slots.share();
            if (attempt.slots.refusal()) {
                res = too_many(*attempt.slots.refusal(), *ctx, access.code);
            } else {
                res = co_await check_password(backend, ctx, access.code, std::move(attempt),
                                              std::move(access.target));
            }
        }
    }
    co_return res;
}

}  // namespace

asio::awaitable<response> login_handler::handle(request_context& ctx) {
    return run_login(&backend_, &ctx);
}

}  // namespace gateway
