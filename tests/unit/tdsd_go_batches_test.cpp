// split_go_batches: GO lines separate batches, nowhere else.
#include <catch2/catch.hpp>

#include "tests/tdsd/tsql_rewrite.hpp"

using batches = std::vector<std::string>;

TEST_CASE("GO on its own line separates batches", "[tdsd][go]") {
  CHECK(tdsd::split_go_batches("SELECT 1\nGO\nSELECT 2\n") == batches{"SELECT 1\n", "SELECT 2\n"});
  CHECK(tdsd::split_go_batches("SELECT 1\r\n  go  \r\nSELECT 2") ==
        batches{"SELECT 1\r\n", "SELECT 2\n"});
  CHECK(tdsd::split_go_batches("SELECT 1\nGO -- done\n") == batches{"SELECT 1\n"});
}

TEST_CASE("empty batches are skipped and GO n repeats", "[tdsd][go]") {
  CHECK(tdsd::split_go_batches("GO\n\nGO\nSELECT 1\nGO\n\n").size() == 1);
  CHECK(tdsd::split_go_batches("INSERT INTO t DEFAULT VALUES\nGO 3\n") ==
        batches(3, "INSERT INTO t DEFAULT VALUES\n"));
  CHECK(tdsd::split_go_batches("").empty());
}

TEST_CASE("GO inside literals, comments or words does not split", "[tdsd][go]") {
  CHECK(tdsd::split_go_batches("SELECT 'a\nGO\nb'\nGO\n") == batches{"SELECT 'a\nGO\nb'\n"});
  CHECK(tdsd::split_go_batches("/* x\nGO\n*/ SELECT 1\n").size() == 1);
  CHECK(tdsd::split_go_batches("SELECT [a\nGO\n]\n").size() == 1);
  CHECK(tdsd::split_go_batches("GOTO x\nGOLD\n").size() == 1);
  CHECK(tdsd::split_go_batches("SELECT 1 -- it's\nGO\nSELECT 2\n").size() == 2);
}

TEST_CASE("GO n repeats a batch at most 1000 times", "[tdsd][go]") {
  // `GO 100000000` made 10^8 copies of the batch (out of memory, seen with fuzz_tsql_rewrite)
  CHECK(tdsd::split_go_batches("SELECT 1\nGO 1000\n").size() == 1000);
  CHECK_THROWS_AS(tdsd::split_go_batches("SELECT 1\nGO 1001\n"), std::runtime_error);
  CHECK_THROWS_AS(tdsd::split_go_batches("SELECT 1\nGO 100000000000\n"), std::runtime_error);
}
