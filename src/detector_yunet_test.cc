#include <catch2/catch.hpp>
#include <cstdlib>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "maskdetect/detector.hpp"
#include "maskdetect/errors.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using maskdetect::testing::fixture;

namespace {

maskdetect::DetectorOptions yunet(const fs::path& model = {}) {
  maskdetect::DetectorOptions o;
  o.engine = "yunet";
  o.model = model;
  o.detect_size = 0;
  return o;
}

double iou(const cv::Rect& a, const cv::Rect& b) {
  const double inter = (a & b).area();
  return inter / (a.area() + b.area() - inter);
}

// The one detection that overlaps `truth` best, or an empty box.
cv::Rect best_match(const std::vector<maskdetect::Detection>& found, const cv::Rect& truth) {
  cv::Rect best;
  for (const auto& d : found)
    if (iou(d.box, truth) > iou(best, truth)) best = d.box;
  return best;
}

// Restores an environment variable the test unsets.
class EnvGuard {
 public:
  explicit EnvGuard(const char* name) : name_(name) {
    if (const char* v = std::getenv(name)) old_ = v;
    unsetenv(name);
  }
  ~EnvGuard() {
    if (!old_.empty()) setenv(name_, old_.c_str(), 1);
  }

 private:
  const char* name_;
  std::string old_;
};

}  // namespace

TEST_CASE("the shipped YuNet-n is found and runs without flags", "[detector][yunet]") {
  const EnvGuard env("MASKDETECT_YUNET_MODEL");
  const fs::path found = maskdetect::find_yunet_model();
  CHECK(found.filename() == "yunet_n_640_640.onnx");
  REQUIRE(fs::exists(found));
  CHECK(fs::exists(found.parent_path() / "yunet_n_640_640.json"));
  CHECK(fs::exists(found.parent_path() / "LICENSE-libfacedetection.train.txt"));
  const auto faces = maskdetect::make_detector(yunet())->detect(
      cv::imread(fixture("faces/two_people.jpg").string()));
  CHECK(faces.size() == 2);
}

TEST_CASE("YuNet-n finds the faces in the fixtures", "[detector][yunet]") {
  auto det = maskdetect::make_detector(yunet());
  // One unmasked portrait: the face is where the full Haar cascade puts it.
  const auto obama = det->detect(cv::imread(fixture("faces/obama.jpg").string()));
  REQUIRE(obama.size() == 1);
  REQUIRE(obama[0].score.has_value());
  CHECK(*obama[0].score >= 0.8F);
  maskdetect::DetectorOptions haar;
  haar.cascade_stages = 0;
  haar.min_neighbors = 5;
  const auto h =
      maskdetect::make_detector(haar)->detect(cv::imread(fixture("faces/obama.jpg").string()));
  REQUIRE(h.size() == 1);
  CHECK(iou(obama[0].box, h[0].box) > 0.5);
  // Masked faces: every photo of fixtures/masked has one; all but the face shield at >= 0.6.
  maskdetect::DetectorOptions low = yunet();
  low.score_threshold = 0.5F;
  det = maskdetect::make_detector(low);
  int photos = 0, sure = 0;
  for (const auto& e : fs::directory_iterator(fixture("masked"))) {
    const auto found = det->detect(cv::imread(e.path().string()));
    INFO(e.path());
    CHECK_FALSE(found.empty());
    if (!found.empty()) ++photos;
    if (std::any_of(found.begin(), found.end(), [](const auto& d) { return *d.score >= 0.6F; }))
      ++sure;
  }
  CHECK(photos == 10);
  CHECK(sure >= 9);
}

TEST_CASE("letterboxing enlarges small images and maps boxes back", "[detector][yunet]") {
  // Large images go through at their own size, padded to the stride.
  const auto wide = maskdetect::letterbox({1290, 320}, 640, 32);
  CHECK(wide.scale == 1.0);
  CHECK(wide.scaled == cv::Size(1290, 320));
  CHECK(wide.input == cv::Size(1312, 320));
  // Small ones are enlarged until their longest side is the network's.
  const auto tall = maskdetect::letterbox({100, 400}, 640, 32);
  CHECK(tall.scale == Approx(1.6));
  CHECK(tall.scaled == cv::Size(160, 640));
  CHECK(tall.input == cv::Size(160, 640));
  const auto odd = maskdetect::letterbox({300, 200}, 640, 32);
  CHECK(odd.scaled == cv::Size(640, 427));
  CHECK(odd.input == cv::Size(640, 448));
  CHECK(maskdetect::unletterbox({32, 16, 64, 80}, tall, {100, 400}) == cv::Rect(20, 10, 40, 50));
  // Clipped to the image: the padding is not part of it.
  CHECK(maskdetect::unletterbox({150, 600, 100, 100}, tall, {100, 400}) ==
        cv::Rect(94, 375, 6, 25));
}

TEST_CASE("a face pasted into images of many shapes is found where it was put",
          "[detector][yunet]") {
  const cv::Mat portrait = cv::imread(fixture("faces/obama.jpg").string());
  maskdetect::DetectorOptions o = yunet();
  o.min_face = 8;
  auto det = maskdetect::make_detector(o);
  const auto alone = det->detect(portrait);
  REQUIRE(alone.size() == 1);
  for (const cv::Size canvas : {cv::Size(1500, 400), cv::Size(400, 1500), cv::Size(300, 200),
                                cv::Size(2400, 1000), cv::Size(640, 640), cv::Size(180, 500)}) {
    // The portrait shrunk to a third of the canvas's short side, in its lower right quarter.
    const double f = std::min(canvas.width, canvas.height) / 3.0 / portrait.rows;
    cv::Mat small;
    cv::resize(portrait, small, cv::Size(), f, f, cv::INTER_AREA);
    cv::Mat img(canvas, CV_8UC3, cv::Scalar(90, 120, 150));
    const cv::Point at(canvas.width * 3 / 5, canvas.height * 3 / 5);
    small.copyTo(img(cv::Rect(at, small.size())));
    const cv::Rect b = alone[0].box;
    const cv::Rect truth(at.x + static_cast<int>(b.x * f), at.y + static_cast<int>(b.y * f),
                         static_cast<int>(b.width * f), static_cast<int>(b.height * f));
    INFO(canvas << " face " << truth);
    const auto found = det->detect(img);
    CHECK(iou(best_match(found, truth), truth) > 0.6);
  }
}

TEST_CASE("YuNet 2022mar and 2023mar files given as --detector-model still work",
          "[detector][yunet]") {
  const cv::Mat img = cv::imread(fixture("faces/two_people.jpg").string());
  for (const char* file :
       {"models/face_detection_yunet_2022mar.onnx", "models/face_detection_yunet_2023mar.onnx"}) {
    INFO(file);
    const auto faces =
        maskdetect::make_detector(yunet(maskdetect::testing::shared_file(file)))->detect(img);
    CHECK(faces.size() == 2);
  }
}

TEST_CASE("an ONNX that is not YuNet is a setup error that says so", "[detector][yunet]") {
  const fs::path classifier = maskdetect::testing::source_dir() / "models/mask_mobilenetv2.onnx";
  REQUIRE(fs::exists(classifier));
  CHECK_THROWS_WITH(
      maskdetect::make_detector(yunet(classifier)),
      Catch::Contains("not a YuNet face detector") && Catch::Contains("mask_mobilenetv2.onnx"));
  maskdetect::testing::TempDir dir;
  maskdetect::testing::write_file(dir.path() / "garbage.onnx", "not a network");
  CHECK_THROWS_AS(maskdetect::make_detector(yunet(dir.path() / "garbage.onnx")),
                  maskdetect::SetupError);
}

TEST_CASE("a YuNet model that does not match its card's sha256 is a setup error",
          "[detector][yunet]") {
  const EnvGuard env("MASKDETECT_YUNET_MODEL");
  maskdetect::testing::TempDir dir;
  const fs::path shipped = maskdetect::find_yunet_model();
  fs::copy_file(shipped, dir.path() / "yunet_n_640_640.onnx");
  std::string card = maskdetect::testing::read_text(shipped.parent_path() / "yunet_n_640_640.json");
  const auto at = card.find("25a606a1");
  REQUIRE(at != std::string::npos);
  card.replace(at, 8, "00000000");
  maskdetect::testing::write_file(dir.path() / "yunet_n_640_640.json", card);
  CHECK_THROWS_WITH(maskdetect::make_detector(yunet(dir.path() / "yunet_n_640_640.onnx")),
                    Catch::Contains("corrupt") && Catch::Contains("sha256"));
}
