#include "maskdetect/pipeline.hpp"

#include <catch2/catch.hpp>

TEST_CASE("exit status follows failures and --fail-on", "[pipeline]") {
  maskdetect::RunSummary s;
  s.by_label = {{"mask", 0}, {"no_mask", 0}};
  maskdetect::FailOn none, no_mask{true, false, false}, any{false, true, false},
      error{false, false, true};
  CHECK(maskdetect::exit_status_for(s, none) == 0);
  CHECK(maskdetect::exit_status_for(s, no_mask) == 0);
  s.faces = 1;
  s.by_label["mask"] = 1;
  CHECK(maskdetect::exit_status_for(s, no_mask) == 0);
  CHECK(maskdetect::exit_status_for(s, any) == 3);
  s.by_label["no_mask"] = 1;
  CHECK(maskdetect::exit_status_for(s, no_mask) == 3);
  s.failed = 1;
  CHECK(maskdetect::exit_status_for(s, none) == 1);
  CHECK(maskdetect::exit_status_for(s, error) == 3);
}
