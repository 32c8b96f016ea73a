// The streaming result writer: the same JSON as the whole-result writer, the read
// stopped at row max_rows + 1, cells and bodies above their caps refused before they
// are copied, and the body's bytes held against the response budget.
#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

#include "gateway/sql/response_budget.hpp"
#include "gateway/sql/result_json_text.hpp"
#include "gateway/sql/result_sink.hpp"

using gateway::json_result_sink;
using gateway::result_bounds;
using gateway::result_end;
using tds_pool::column_type;
using tds_pool::sql_value;

namespace {

const std::vector<tds_pool::column_info> columns = {{"Id", column_type::integer, 0},
                                                    {"Name", column_type::text, 0}};

std::vector<sql_value> make_row(std::int64_t id, std::string name) { return {id, std::move(name)}; }

/// Feeds rows as the row reader does; false when the sink stopped the read.
bool feed(json_result_sink& sink, const std::vector<std::vector<sql_value>>& rows) {
    sink.begin_set(columns);
    for (auto cells : rows) {
        for (const auto& cell : cells) {
            const auto* text = std::get_if<std::string>(&cell);
            if (!sink.accept_cell(text ? text->size() : 8)) return false;
        }
        if (!sink.row(cells)) return false;
    }
    return true;
}

result_bounds bounds(conf::result_mode mode, std::size_t max_rows, std::size_t max_bytes = 1 << 20,
                     std::size_t max_cell = 1 << 20) {
    return {mode, max_rows, max_bytes, max_cell};
}

struct budget_fixture {
    std::shared_ptr<gateway::response_budget> budget = std::make_shared<gateway::response_budget>();
    gateway::budget_share share{budget};
};

}  // namespace

TEST_CASE("many: the same text as the whole-result writer, stopped at max_rows + 1", "[handlers][sink]") {
    const std::vector<std::vector<sql_value>> rows = {make_row(1, "a"), make_row(2, "b\"q"),
                                                      make_row(3, "c")};
    tds_pool::query_result whole{{tds_pool::row_set{columns, rows}}, {}};
    for (std::size_t max_rows : {1U, 2U, 3U, 10U}) {
        budget_fixture f;
        json_result_sink sink(bounds(conf::result_mode::many, max_rows), f.share);
        const bool complete = feed(sink, rows);
        const auto reference = gateway::many_to_json_text(whole, max_rows);
        CHECK(complete == !reference.truncated);
        CHECK((sink.end() == result_end::truncated) == reference.truncated);
        CHECK(sink.rows_read() == std::min<std::size_t>(rows.size(), max_rows + 1));
        CHECK(sink.take_body() == reference.body);
    }
}

TEST_CASE("many without a result set is an empty array; one without a row is empty", "[handlers][sink]") {
    budget_fixture f;
    json_result_sink many(bounds(conf::result_mode::many, 5), f.share);
    CHECK(many.take_body() == "[]");
    json_result_sink one(bounds(conf::result_mode::one, 5), f.share);
    one.begin_set(columns);
    CHECK(one.rows_written() == 0);
}

TEST_CASE("one: the first row as an object; a second row stops the read", "[handlers][sink]") {
    budget_fixture f;
    json_result_sink sink(bounds(conf::result_mode::one, 1000), f.share);
    CHECK_FALSE(feed(sink, {make_row(7, "x"), make_row(8, "y")}));
    CHECK(sink.take_body() == R"({"Id":7,"Name":"x"})");
}

TEST_CASE("exec: rows are dropped and the counts summed", "[handlers][sink]") {
    budget_fixture f;
    json_result_sink sink(bounds(conf::result_mode::exec, 1), f.share);
    sink.rows_affected(2);
    CHECK(feed(sink, {make_row(1, "a"), make_row(2, "b")}));
    sink.rows_affected(3);
    CHECK(sink.rows_affected() == 5);
    CHECK(f.share.held() == 0);
}

TEST_CASE("only the first result set is written", "[handlers][sink]") {
    budget_fixture f;
    json_result_sink sink(bounds(conf::result_mode::many, 10), f.share);
    CHECK(feed(sink, {make_row(1, "a")}));
    CHECK(feed(sink, {make_row(2, "b"), make_row(3, "c")}));
    CHECK(sink.rows_read() == 3);
    CHECK(sink.take_body() == R"([{"Id":1,"Name":"a"}])");
}

TEST_CASE("a cell above max_cell_bytes is refused before it is copied", "[handlers][sink]") {
    budget_fixture f;
    json_result_sink sink(bounds(conf::result_mode::many, 10, 1 << 20, 8), f.share);
    CHECK_FALSE(feed(sink, {make_row(1, "abcdefgh"), make_row(2, "abcdefghi")}));
    CHECK(sink.end() == result_end::cell_too_large);
    CHECK(sink.rows_written() == 1);
}

TEST_CASE("a body above max_response_bytes is refused", "[handlers][sink]") {
    const std::string text(40, 'x');
    // Each row is about 60 bytes of JSON: the third would pass 150.
    budget_fixture f;
    json_result_sink sink(bounds(conf::result_mode::many, 10, 150), f.share);
    CHECK_FALSE(feed(sink, {make_row(1, text), make_row(2, text), make_row(3, text)}));
    CHECK(sink.end() == result_end::body_too_large);
    CHECK(sink.rows_written() == 2);

    // A truncated result that fits is not too large, however big the row that shows truncation.
    budget_fixture g;
    json_result_sink capped(bounds(conf::result_mode::many, 2, 150), g.share);
    CHECK_FALSE(feed(capped, {make_row(1, text), make_row(2, text), make_row(3, std::string(500, 'y'))}));
    CHECK(capped.end() == result_end::truncated);
}

TEST_CASE("a row of many cells, each under its cap, is refused before it is written", "[handlers][sink]") {
    // Three 60-byte values, each below max_cell_bytes, add up past max_response_bytes:
    // the read stops at the cell that crosses it, before the row is held whole.
    const std::vector<tds_pool::column_info> wide = {{"A", column_type::text, 0},
                                                     {"B", column_type::text, 0},
                                                     {"C", column_type::text, 0}};
    budget_fixture f;
    json_result_sink sink(bounds(conf::result_mode::many, 10, 150, 100), f.share);
    sink.begin_set(wide);
    CHECK(sink.accept_cell(60));
    CHECK(sink.accept_cell(60));
    CHECK_FALSE(sink.accept_cell(60));
    CHECK(sink.end() == result_end::body_too_large);
    CHECK(sink.rows_written() == 0);
}

TEST_CASE("the body's bytes are held against the budget and given back", "[handlers][sink]") {
    auto budget = std::make_shared<gateway::response_budget>();
    budget->set_limit(100 * 1024);
    {
        gateway::budget_share share(budget);
        // The first row takes the share of max_rows such rows: 50 kB.
        json_result_sink sink(bounds(conf::result_mode::many, 50, 1 << 20), share);
        sink.begin_set(columns);
        auto first = make_row(1, std::string(1000, 'x'));
        CHECK(sink.row(first));
        CHECK(budget->in_use() >= 50 * 1000);
        CHECK(budget->has_room());
        // Rows beyond what the first promised still count: past 100 KiB the sink gives up.
        bool stopped = false;
        for (int i = 0; i < 100 && !stopped; ++i) {
            auto cells = make_row(2, std::string(1000, 'x'));
            stopped = !sink.row(cells);
        }
        CHECK(stopped);
        CHECK(sink.end() == result_end::budget_exhausted);
        share.shrink_to(10);
        CHECK(budget->in_use() == 10);
    }
    CHECK(budget->in_use() == 0);
}

TEST_CASE("a result the budget cannot hold is refused at its first row", "[handlers][sink]") {
    auto budget = std::make_shared<gateway::response_budget>();
    budget->set_limit(100 * 1024);
    gateway::budget_share share(budget);
    json_result_sink sink(bounds(conf::result_mode::many, 1000, 1 << 20), share);
    CHECK_FALSE(feed(sink, {make_row(1, std::string(1000, 'x')), make_row(2, "y")}));
    CHECK(sink.end() == result_end::budget_exhausted);
    CHECK(sink.rows_read() == 1);
}

TEST_CASE("budget shares never take the budget past its limit", "[handlers][sink]") {
    auto budget = std::make_shared<gateway::response_budget>();
    budget->set_limit(100'000);
    gateway::budget_share a(budget), b(budget);
    CHECK(a.cover(60'000));
    CHECK_FALSE(b.cover(60'000));
    CHECK(b.cover(30'000));  // less than a step: what is asked fits exactly
    CHECK(budget->in_use() == 95'536);
    CHECK_FALSE(b.cover(40'000));
    CHECK(b.held() == 30'000);
    CHECK(budget->has_room());
    gateway::budget_share moved(std::move(a));
    CHECK(moved.held() == 65'536);
}
