#include "maskdetect/time_spec.hpp"

#include <catch2/catch.hpp>

using maskdetect::parse_time_spec;

TEST_CASE("times are seconds or clock form", "[time_spec]") {
  CHECK(parse_time_spec("90") == Approx(90.0));
  CHECK(parse_time_spec("12.5") == Approx(12.5));
  CHECK(parse_time_spec("0") == Approx(0.0));
  CHECK(parse_time_spec("1:30") == Approx(90.0));
  CHECK(parse_time_spec("01:02:03.5") == Approx(3723.5));
  CHECK(parse_time_spec("0:00.25") == Approx(0.25));
}

TEST_CASE("what is not a time is refused", "[time_spec]") {
  for (const char* bad : {"", "-1", "abc", "1:60", "1:2:3:4", "1.5:30", "1e3", "inf", " 5", "5s",
                          ":", "1:", ".", "1..2"})
    CHECK_FALSE(parse_time_spec(bad).has_value());
}
