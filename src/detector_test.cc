#include "maskdetect/detector.hpp"

#include <catch2/catch.hpp>
#include <fstream>
#include <opencv2/core/persistence.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "maskdetect/errors.hpp"
#include "test_support.hpp"

using maskdetect::testing::fixture;

TEST_CASE("the Haar cascade is found without flags", "[detector]") {
  CHECK_FALSE(maskdetect::find_cascade().empty());
}

namespace {

// OpenCV's classic settings: the full cascade, strict enough to stand without the classifier.
maskdetect::DetectorOptions full_cascade() {
  maskdetect::DetectorOptions o;
  o.cascade_stages = 0;
  o.min_neighbors = 5;
  o.min_face = 30;
  o.detect_size = 0;
  return o;
}

}  // namespace

TEST_CASE("Haar finds the face in a portrait", "[detector]") {
  auto det = maskdetect::make_detector(full_cascade());
  const auto faces = det->detect(cv::imread(fixture("faces/obama.jpg").string()));
  REQUIRE(faces.size() == 1);
  CHECK(faces[0].box.width > 100);
  CHECK_FALSE(faces[0].score.has_value());
  // The raw hits merged into the box: at least the neighbours asked for.
  CHECK(faces[0].support >= full_cascade().min_neighbors);
}

TEST_CASE("a missing or corrupt cascade is a setup error naming the file", "[detector]") {
  maskdetect::DetectorOptions o;
  o.cascade = "/nonexistent/cascade.xml";
  CHECK_THROWS_WITH(maskdetect::make_detector(o),
                    Catch::Contains("/nonexistent/cascade.xml") && Catch::Contains("--cascade"));
  maskdetect::testing::TempDir dir;
  o.cascade = dir.path() / "corrupt.xml";
  maskdetect::testing::write_file(o.cascade, "<opencv_storage><cascade>garbage");
  CHECK_THROWS_AS(maskdetect::make_detector(o), maskdetect::SetupError);
  o = {};
  o.engine = "magic";
  CHECK_THROWS_WITH(maskdetect::make_detector(o), Catch::Contains("magic"));
}

TEST_CASE("YuNet finds masked faces the cascade misses", "[detector][yunet]") {
  const auto model = maskdetect::testing::shared_file("models/face_detection_yunet_2022mar.onnx");
  maskdetect::DetectorOptions o;
  o.engine = "yunet";
  o.model = model;
  auto det = maskdetect::make_detector(o);
  const auto faces = det->detect(cv::imread(fixture("masked/00551f5945fe.jpg").string()));
  REQUIRE_FALSE(faces.empty());
  REQUIRE(faces[0].score.has_value());
  CHECK(*faces[0].score >= 0.6F);
}

TEST_CASE("a missing YuNet model is a setup error that says where to get it", "[detector]") {
  maskdetect::DetectorOptions o;
  o.engine = "yunet";
  o.model = "/nonexistent/yunet.onnx";
  CHECK_THROWS_WITH(maskdetect::make_detector(o), Catch::Contains("/nonexistent/yunet.onnx") &&
                                                      Catch::Contains("yunet_n_640_640.onnx") &&
                                                      Catch::Contains("model zoo"));
}

TEST_CASE("detection on a scaled copy maps boxes back to original pixels", "[detector]") {
  CHECK(maskdetect::detection_scale({4000, 3000}, 1000) == Approx(0.25));
  CHECK(maskdetect::detection_scale({800, 600}, 1000) == 1.0);
  CHECK(maskdetect::detection_scale({800, 600}, 0) == 1.0);
  const cv::Mat img = cv::imread(fixture("faces/obama-1080p.jpg").string());
  maskdetect::DetectorOptions full = full_cascade(), scaled = full_cascade();
  scaled.detect_size = 640;
  const auto a = maskdetect::make_detector(full)->detect(img);
  const auto b = maskdetect::make_detector(scaled)->detect(img);
  REQUIRE(a.size() == 1);
  REQUIRE(b.size() == 1);
  // The same face, within a few percent of its size.
  CHECK(std::abs(a[0].box.x - b[0].box.x) < a[0].box.width / 10);
  CHECK(std::abs(a[0].box.width - b[0].box.width) < a[0].box.width / 10);
}

TEST_CASE("a cascade cut to its first stages loads and is more permissive", "[detector]") {
  std::ifstream in(maskdetect::find_cascade());
  const std::string xml((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string cut = maskdetect::truncate_cascade(xml, 10);
  const cv::FileStorage fs(cut, cv::FileStorage::READ | cv::FileStorage::MEMORY);
  const cv::FileNode cascade = fs.getFirstTopLevelNode();
  CHECK(static_cast<int>(cascade["stageNum"]) == 10);
  CHECK(cascade["stages"].size() == 10);
  // Stages keep their weak classifiers: the first stage is unchanged.
  const cv::FileStorage whole(xml, cv::FileStorage::READ | cv::FileStorage::MEMORY);
  CHECK(cascade["stages"][0]["weakClassifiers"].size() ==
        whole.getFirstTopLevelNode()["stages"][0]["weakClassifiers"].size());
  // Asking for more stages than there are changes nothing.
  CHECK(maskdetect::truncate_cascade(xml, 1000) == xml);
  CHECK_THROWS_AS(maskdetect::truncate_cascade("<opencv_storage/>", 5), maskdetect::SetupError);

  const cv::Mat img = cv::imread(fixture("groups/2008_001322.jpg").string());
  maskdetect::DetectorOptions full, shortened;
  full.min_neighbors = shortened.min_neighbors = 3;
  full.cascade_stages = 0;
  shortened.cascade_stages = 12;
  CHECK(maskdetect::make_detector(shortened)->detect(img).size() >
        maskdetect::make_detector(full)->detect(img).size());
}

TEST_CASE("Haar finds a face smaller than its window on an enlarged copy", "[detector]") {
  // The portrait's face (300 px by the full cascade) shrunk to 16 px, pasted into a 320x240
  // photo: below the cascade's 24 px window.
  const cv::Mat portrait = cv::imread(fixture("faces/obama.jpg").string());
  const cv::Rect face(342, 95, 300, 300);
  const double f = 16.0 / face.width;
  cv::Mat small;
  cv::resize(portrait, small, cv::Size(), f, f, cv::INTER_AREA);
  cv::Mat img(cv::Size(320, 240), CV_8UC3, cv::Scalar(110, 120, 130));
  const cv::Point at(200, 100);
  small.copyTo(img(cv::Rect(at, small.size())));
  const cv::Rect truth(at.x + static_cast<int>(face.x * f), at.y + static_cast<int>(face.y * f), 16,
                       16);
  const auto hits = [&](const maskdetect::DetectorOptions& o) {
    int n = 0;
    for (const auto& d : maskdetect::make_detector(o)->detect(img))
      if ((d.box & truth).area() * 2 > truth.area()) ++n;
    return n;
  };
  maskdetect::DetectorOptions plain, upscaled;
  plain.haar_upscale = 0;
  plain.min_face = upscaled.min_face = 12;
  CHECK(hits(plain) == 0);
  CHECK(hits(upscaled) >= 1);
  // Photos at or above the --haar-upscale size are searched once, as before.
  upscaled.haar_upscale = 320;
  CHECK(hits(upscaled) == 0);
}
