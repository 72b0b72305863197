#include "maskdetect/detector.hpp"

#include <fstream>

#include <catch2/catch.hpp>
#include <opencv2/imgcodecs.hpp>

#include "maskdetect/errors.hpp"
#include "test_support.hpp"

using maskdetect::testing::fixture;

TEST_CASE("the Haar cascade is found without flags", "[detector]") {
  CHECK_FALSE(maskdetect::find_cascade().empty());
}

TEST_CASE("Haar finds the face in a portrait and none in a photo of dogs", "[detector]") {
  auto det = maskdetect::make_detector({});
  const auto faces = det->detect(cv::imread(fixture("faces/obama.jpg").string()));
  REQUIRE(faces.size() == 1);
  CHECK(faces[0].box.width > 100);
  CHECK_FALSE(faces[0].score.has_value());
  CHECK(det->detect(cv::imread(fixture("groups/dogs.jpg").string())).empty());
}

TEST_CASE("a missing or corrupt cascade is a setup error naming the file", "[detector]") {
  maskdetect::DetectorOptions o;
  o.cascade = "/nonexistent/cascade.xml";
  CHECK_THROWS_WITH(maskdetect::make_detector(o),
                    Catch::Contains("/nonexistent/cascade.xml") && Catch::Contains("--cascade"));
  maskdetect::testing::TempDir dir;
  o.cascade = dir.path() / "corrupt.xml";
  std::ofstream(o.cascade) << "<opencv_storage><cascade>garbage";
  CHECK_THROWS_AS(maskdetect::make_detector(o), maskdetect::SetupError);
  o = {};
  o.engine = "magic";
  CHECK_THROWS_WITH(maskdetect::make_detector(o), Catch::Contains("magic"));
}
