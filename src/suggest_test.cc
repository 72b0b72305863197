#include "maskdetect/suggest.hpp"

#include <catch2/catch.hpp>

using namespace maskdetect;

TEST_CASE("edit distance counts insertions, deletions and substitutions", "[suggest]") {
  CHECK(edit_distance("", "") == 0);
  CHECK(edit_distance("abc", "abc") == 0);
  CHECK(edit_distance("kitten", "sitting") == 3);
  CHECK(edit_distance("--thresold", "--threshold") == 1);
  CHECK(edit_distance("", "abc") == 3);
}

TEST_CASE("the closest option name: prefixes, small typos, nothing for far-off words",
          "[suggest][pipelines]") {
  const std::vector<std::string> names = {"--input",          "--out",     "--threshold",
                                          "--face-threshold", "--threads", "--quiet"};
  CHECK(closest_name("--thresh", names) == "--threshold");
  CHECK(closest_name("--thresold", names) == "--threshold");
  CHECK(closest_name("--inptu", names) == "--input");
  CHECK(closest_name("--qiuet", names) == "--quiet");
  CHECK(closest_name("--banana-split", names).empty());
}

TEST_CASE("hints for unexpected arguments: an option's closest name, --input for a stray word",
          "[suggest][pipelines]") {
  const std::vector<std::string> names = {"--input", "--out", "--threshold"};
  CHECK(unexpected_argument_hints({"photos/"}, names) ==
        "maskdetect: 'photos/' is not an option; did you mean --input photos/?\n");
  // The value after an unknown option is not a second stray word.
  CHECK(unexpected_argument_hints({"--thresh", "0.6"}, names) ==
        "maskdetect: unknown option --thresh; did you mean --threshold?\n");
  CHECK(unexpected_argument_hints({"--thresh=0.6", "x.jpg"}, names) ==
        "maskdetect: unknown option --thresh; did you mean --threshold?\n"
        "maskdetect: 'x.jpg' is not an option; did you mean --input x.jpg?\n");
}
