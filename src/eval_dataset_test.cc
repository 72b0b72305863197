#include "maskdetect/eval_dataset.hpp"

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>
#include <string>

#include "maskdetect/errors.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;

TEST_CASE("split rule equals training/common.py split_of", "[eval]") {
  using maskdetect::split_of;
  // Expected values from /usr/bin/python3 -c "from common import split_of; ...".
  CHECK(split_of("b") == "test");
  CHECK(split_of("e") == "val");
  CHECK(split_of("a") == "train");
  CHECK(split_of("") == "train");
  CHECK(split_of("00804832afba35dab9e48bb18ac911e6") == "test");
  CHECK(split_of("01d0117fb990e00ac58348ba621975aa") == "val");
  CHECK(split_of("0003a6c46855ffe528311a672d95a0c7") == "train");
  CHECK(split_of("3b16d8b8e77c1c852c6605adbe725fba5f40f25a5addd9815e3ff62e367fca66") == "train");
}

TEST_CASE("dataset planning: layouts, split, limit, missing images", "[eval]") {
  maskdetect::testing::TempDir tmp;
  const fs::path voc = tmp.path() / "voc";
  // Stems "a" (train), "b" (test), "e" (val): see the split rule test.
  for (const char* stem : {"a", "b", "e"}) {
    maskdetect::testing::write_file(voc / "annotations" / (std::string(stem) + ".xml"),
                                    "<annotation/>");
    maskdetect::testing::write_file(voc / "images" / (std::string(stem) + ".jpg"), "x");
  }
  maskdetect::testing::write_file(voc / "annotations" / "orphan.xml", "<annotation/>");
  maskdetect::testing::write_file(voc / "annotations" / "broken.xml", "<annotation>");
  maskdetect::testing::write_file(voc / "annotations" / "notes.txt", "not an annotation");
  std::ostringstream log;
  auto plan = maskdetect::plan_dataset(voc, "all", 0, log);
  CHECK(plan.kind == "voc");
  CHECK(plan.samples.size() == 3);
  CHECK(plan.missing_images == 1);
  CHECK(plan.bad_annotations == 1);
  CHECK(log.str().find("orphan.xml") != std::string::npos);
  plan = maskdetect::plan_dataset(voc, "test", 0, log);
  REQUIRE(plan.samples.size() == 1);
  CHECK(plan.samples[0].key == "b");
  CHECK(maskdetect::plan_dataset(voc, "all", 2, log).samples.size() == 2);

  const fs::path crops = tmp.path() / "crops";
  maskdetect::testing::write_file(crops / "with_mask" / "a.jpg", "x");
  maskdetect::testing::write_file(crops / "mask_weared_incorrect" / "b.jpg", "x");
  maskdetect::testing::write_file(crops / "without_mask" / ".hidden.jpg", "x");
  plan = maskdetect::plan_dataset(crops, "all", 0, log);
  CHECK(plan.kind == "crops");
  REQUIRE(plan.samples.size() == 2);
  CHECK(plan.samples[0].cls == "with_mask");
  CHECK(plan.samples[1].cls == "with_incorrect_mask");
  CHECK(plan.keys_from_stem == 2);

  CHECK_THROWS_AS(maskdetect::plan_dataset(tmp.path(), "all", 0, log), maskdetect::SetupError);
  CHECK_THROWS_AS(maskdetect::plan_dataset(tmp.path() / "none", "all", 0, log),
                  maskdetect::SetupError);
}

TEST_CASE("faces of a report", "[eval]") {
  const auto faces = maskdetect::parse_report_faces(
      R"({"files": [{"path": "/x/a.jpg", "faces": [{"box": {"x": 1, "y": 2, "w": 3, "h": 4},
          "label": "no_mask", "confidence": 0.5}]}, {"path": "b.jpg"},
          {"path": "/y/a.jpg", "faces": []}]})");
  REQUIRE(faces.size() == 2);
  REQUIRE(faces.at("a.jpg").size() == 1);  // the first entry of a name wins
  CHECK(faces.at("a.jpg")[0].box == cv::Rect(1, 2, 3, 4));
  CHECK(faces.at("a.jpg")[0].label == "no_mask");
  CHECK(faces.at("b.jpg").empty());
  CHECK_THROWS_AS(maskdetect::parse_report_faces("{"), maskdetect::SetupError);
  CHECK_THROWS_AS(maskdetect::parse_report_faces("[]"), maskdetect::SetupError);
  CHECK_THROWS_AS(maskdetect::parse_report_faces(R"({"files": [{"faces": []}]})"),
                  maskdetect::SetupError);
  CHECK_THROWS_AS(maskdetect::faces_from_report("/nonexistent/report.json"),
                  maskdetect::SetupError);
}
