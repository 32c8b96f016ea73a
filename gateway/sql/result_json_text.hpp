#pragma once
// Row sets written straight into JSON text, without building a Boost.JSON DOM first:
// the list route's rows go cell by cell from the query result into the response body.
// The text is exactly what serialising result_json.hpp's values gives (same escaping,
// same number forms, same handling of duplicate column names), so the two stay
// interchangeable; tests/unit/handlers_result_json_test.cpp holds them to that.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/telemetry/json_text.hpp"
#include "gateway/sql/result_json.hpp"
#include "tds_pool/sql_value.hpp"

namespace gateway {

/// Appends one cell as JSON (the mapping of result_json.hpp); decimals as exact JSON
/// numbers unless `forms` say string.
void append_cell_json(std::string& out, const tds_pool::sql_value& value, number_forms forms = {});

/// Writes rows of one result set as JSON objects. The keys are escaped once, when the
/// writer is made. A duplicate column name keeps its first position and takes the
/// value of its last column, as assigning into a JSON object would.
class row_object_writer {
public:
    explicit row_object_writer(const tds_pool::row_set& set, number_forms forms = {});

    /// Appends row `cells` as an object (cells beyond the columns are ignored).
    void append(std::string& out, const std::vector<tds_pool::sql_value>& cells) const;

private:
    struct field {
        std::string key;     ///< `"name":`, preceded by a comma except for the first field
        std::size_t column;  ///< the cell written under that key
    };
    static std::vector<field> plan(const std::vector<tds_pool::column_info>& columns,
                                   std::size_t width);
    void append_fields(std::string& out, const std::vector<field>& fields,
                       const std::vector<tds_pool::sql_value>& cells) const;

    const tds_pool::row_set& set_;
    number_forms forms_;
    std::vector<field> fields_;  ///< for rows with a cell per column (all rows, in practice)
};

/// `many` as text: a JSON array of at most `max_rows` row objects.
struct rows_text {
    std::string body;
    bool truncated = false;
};

/// The first result set's rows as a JSON array (`[]` without a set), capped.
rows_text many_to_json_text(const tds_pool::query_result& result, std::size_t max_rows,
                            number_forms forms = {});

/// The first row of the first result set as a JSON object; nullopt when there is none.
std::optional<std::string> one_to_json_text(const tds_pool::query_result& result, number_forms forms = {});

}  // namespace gateway
