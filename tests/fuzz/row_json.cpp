// Fuzz target: the row-to-JSON writers (gateway/result_json*.cpp). Result sets are built
// from the input (column names, types, cells of every kind, short and long rows) and
// written both ways; the text writer must give exactly the serialised DOM.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include <fuzzer/FuzzedDataProvider.h>

#include <boost/json/serialize.hpp>

#include "gateway/sql/result_json.hpp"
#include "gateway/sql/result_json_text.hpp"

namespace {

/// Any calendar fields (the writer must not depend on their ranges); nanoseconds as DATETIME2 has them.
tds_pool::sql_datetime make_datetime(FuzzedDataProvider& in) {
    tds_pool::sql_datetime t;
    t.year = in.ConsumeIntegral<int>();
    t.month = in.ConsumeIntegral<int>();
    t.day = in.ConsumeIntegral<int>();
    t.hour = in.ConsumeIntegral<int>();
    t.minute = in.ConsumeIntegral<int>();
    t.second = in.ConsumeIntegral<int>();
    t.nanosecond = in.ConsumeIntegralInRange<std::int32_t>(0, 999'999'999);
    return t;
}

/// One cell of any of the seven value kinds.
tds_pool::sql_value make_cell(FuzzedDataProvider& in) {
    switch (in.ConsumeIntegralInRange<int>(0, 6)) {
        case 0: return std::monostate{};
        case 1: return in.ConsumeIntegral<std::int64_t>();
        case 2: return in.ConsumeFloatingPoint<double>();
        case 3: return in.ConsumeBool();
        case 4: return in.ConsumeRandomLengthString(64);
        case 5: return in.ConsumeBytes<std::uint8_t>(in.ConsumeIntegralInRange<std::size_t>(0, 64));
        default: return make_datetime(in);
    }
}

/// A result set of up to 8 columns and 8 rows.
tds_pool::row_set make_set(FuzzedDataProvider& in) {
    tds_pool::row_set set;
    const auto columns = in.ConsumeIntegralInRange<std::size_t>(0, 8);
    for (std::size_t c = 0; c < columns; ++c) {
        tds_pool::column_info column;
        column.name = in.ConsumeRandomLengthString(16);
        column.type = static_cast<tds_pool::column_type>(in.ConsumeIntegralInRange<int>(0, 7));
        set.columns.push_back(std::move(column));
    }
    const auto rows = in.ConsumeIntegralInRange<std::size_t>(0, 8);
    for (std::size_t r = 0; r < rows; ++r) {
        // mostly a cell per column; sometimes a short or a long row
        std::size_t width = columns;
        if (in.ConsumeIntegralInRange<int>(0, 7) == 0) width = in.ConsumeIntegralInRange<std::size_t>(0, 10);
        std::vector<tds_pool::sql_value> cells;
        for (std::size_t c = 0; c < width; ++c) cells.push_back(make_cell(in));
        set.rows.push_back(std::move(cells));
    }
    return set;
}

}  // namespace

/// libFuzzer entry point: one input per call.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider in(data, size);
    tds_pool::query_result result;
    const auto sets = in.ConsumeIntegralInRange<int>(0, 2);
    for (int s = 0; s < sets; ++s) result.sets.push_back(make_set(in));
    const auto counts = in.ConsumeIntegralInRange<int>(0, 3);
    // DBCOUNT: a non-negative DBINT per statement
    for (int i = 0; i < counts; ++i) result.rows_affected.push_back(in.ConsumeIntegralInRange<std::int64_t>(0, INT32_MAX));
    const auto max_rows = in.ConsumeIntegralInRange<std::size_t>(0, 10);

    const auto many = gateway::many_to_json(result, max_rows);
    const auto many_text = gateway::many_to_json_text(result, max_rows);
    if (boost::json::serialize(many.rows) != many_text.body || many.truncated != many_text.truncated) {
        std::abort();
    }
    const auto one = gateway::one_to_json(result);
    const auto one_text = gateway::one_to_json_text(result);
    if (one.has_value() != one_text.has_value() || (one && boost::json::serialize(*one) != *one_text)) {
        std::abort();
    }
    (void)gateway::exec_to_json(result);
    return 0;
}
