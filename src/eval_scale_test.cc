#include "maskdetect/eval_scale.hpp"

#include <catch2/catch.hpp>

using maskdetect::GtFace;
using nlohmann::json;

TEST_CASE("scaled sizes round to the nearest pixel and keep one", "[eval]") {
  using maskdetect::scaled_size;
  CHECK(scaled_size({640, 360}, 1.0) == cv::Size(640, 360));
  CHECK(scaled_size({640, 360}, 0.5) == cv::Size(320, 180));
  CHECK(scaled_size({626, 417}, 0.333) == cv::Size(208, 139));  // 208.458, 138.861
  CHECK(scaled_size({3, 1}, 0.1) == cv::Size(1, 1));
}

TEST_CASE("boxes scale by their corners, rounded to the nearest pixel", "[eval]") {
  using maskdetect::scale_box;
  CHECK(scale_box({10, 20, 30, 40}, 1.0, 1.0) == cv::Rect(10, 20, 30, 40));
  CHECK(scale_box({10, 20, 30, 40}, 0.5, 0.5) == cv::Rect(5, 10, 15, 20));
  // Corners 11 -> 5.5 -> 6 (halves away from zero) and 16 -> 8: width 2, not round(2.5) = 3.
  CHECK(scale_box({11, 0, 5, 9}, 0.5, 1.0 / 3.0) == cv::Rect(6, 0, 2, 3));
  // A face that shrinks below a pixel keeps an empty box.
  CHECK(scale_box({101, 101, 1, 1}, 1.0 / 3.0, 1.0 / 3.0).empty());  // 33.7 and 34 -> 34
}

TEST_CASE("ground truth follows the factors the resize really applied", "[eval]") {
  const std::vector<GtFace> gt{{{300, 150, 90, 60}, "with_mask", "with_mask"}};
  // 626 x 417 at 1/3 is 209 x 139: x by 209/626, y by 139/417 = exactly 1/3.
  const cv::Size to = maskdetect::scaled_size({626, 417}, 1.0 / 3.0);
  REQUIRE(to == cv::Size(209, 139));
  const auto scaled = maskdetect::scale_faces(gt, {626, 417}, to);
  REQUIRE(scaled.size() == 1);
  CHECK(scaled[0].box == cv::Rect(100, 50, 30, 20));  // 100.16 .. 130.21, 50 .. 70
  CHECK(scaled[0].cls == "with_mask");
  CHECK(maskdetect::scale_faces(gt, {626, 417}, {626, 417})[0].box == gt[0].box);

  const cv::Mat img(417, 626, CV_8UC3, cv::Scalar(10, 20, 30));
  const cv::Mat small = maskdetect::scale_image(img, to);
  CHECK(small.size() == to);
  CHECK(small.at<cv::Vec3b>(5, 5) == cv::Vec3b(10, 20, 30));
}

namespace {

json entry(double scale, json f1, double recall_with_mask, double keep) {
  return {
      {"path", "set"},
      {"split", "val"},
      {"scale", scale},
      {"failed", scale < 0.4 ? 2 : 0},
      {"no_mask_found", {{"f1", f1}}},
      {"detection", {{"iou_0.3", {{"recall", {{"with_mask", recall_with_mask}, {"all", 0.5}}}}}}},
      {"gate", {{"at", {{"haar", {{"keep_rate", {{"all", keep}}}}}}}}}};
}

}  // namespace

TEST_CASE("the summary over scales gives means and the gate's lowest keep rate", "[eval]") {
  const json s = maskdetect::summarise_scales(
      {entry(1.0, 0.8, 0.9, 0.99), entry(0.5, 0.6, 0.6, 0.95), entry(0.333, 0.4, 0.3, 0.97)});
  CHECK(s["path"] == "set");
  CHECK(s["scales"] == json({1.0, 0.5, 0.333}));
  CHECK(s["failed"] == json({0, 0, 2}));
  CHECK(s["no_mask_f1"]["by_scale"] == json({0.8, 0.6, 0.4}));
  CHECK(s["no_mask_f1"]["mean"].get<double>() == Approx(0.6));
  CHECK(s["recall_iou_0.3"]["with_mask"]["mean"].get<double>() == Approx(0.6));
  CHECK(s["recall_iou_0.3"]["all"]["mean"].get<double>() == Approx(0.5));
  CHECK(s["gate_keep"]["haar"]["min"].get<double>() == Approx(0.95));
  CHECK(s["gate_keep"]["haar"]["mean"].get<double>() == Approx(0.97));
  // An F1 with nothing to count at one scale leaves the mean undefined, not the others' mean.
  const json partial =
      maskdetect::summarise_scales({entry(1.0, 0.8, 0.9, 1.0), entry(0.5, nullptr, 0.6, 1.0)});
  CHECK(partial["no_mask_f1"]["mean"].is_null());
  CHECK(partial["recall_iou_0.3"]["with_mask"]["mean"].get<double>() == Approx(0.75));
  // Without a gate (scored from a report) there is no gate summary.
  json no_gate = entry(1.0, 0.5, 0.5, 1.0);
  no_gate.erase("gate");
  CHECK_FALSE(maskdetect::summarise_scales({no_gate}).contains("gate_keep"));
}
