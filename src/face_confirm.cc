#include "maskdetect/face_confirm.hpp"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>
#include <string>

#include "maskdetect/errors.hpp"

namespace maskdetect {
namespace {

DetectorOptions confirm_options(const std::filesystem::path& model) {
  DetectorOptions o;
  o.engine = "yunet";
  o.model = model;
  // Everything YuNet sees goes back to the caller, which decides with its own floor.
  o.score_threshold = 0.3F;
  o.masked_score_threshold = 0.3F;
  o.yunet_min_side = 0;  // the canvas is already the size it should be seen at
  o.detect_size = 0;
  o.min_face = 8;
  return o;
}

double iou(const cv::Rect2d& a, const cv::Rect2d& b) {
  const double inter = (a & b).area();
  const double uni = a.area() + b.area() - inter;
  return uni > 0 ? inter / uni : 0;
}

// Draws the square of twice `box`'s longest side around its centre into `tile` (kSide square,
// black where the square leaves the photo, as YuNet's own letterbox pads) and returns where the
// box lies in the tile.
cv::Rect2d draw(const cv::Mat& bgr, const cv::Rect& box, cv::Mat tile) {
  constexpr int side_px = FaceConfirmer::kSide;
  tile.setTo(cv::Scalar::all(0));
  const double side = 2.0 * std::max(box.width, box.height);
  const double x0 = box.x + box.width / 2.0 - side / 2, y0 = box.y + box.height / 2.0 - side / 2;
  const double s = side_px / side;
  const cv::Rect2d target((box.x - x0) * s, (box.y - y0) * s, box.width * s, box.height * s);
  const cv::Rect square(static_cast<int>(std::floor(x0)), static_cast<int>(std::floor(y0)),
                        static_cast<int>(std::ceil(side)), static_cast<int>(std::ceil(side)));
  const cv::Rect inside = square & cv::Rect(0, 0, bgr.cols, bgr.rows);
  if (inside.empty()) return target;
  const auto px = [s](double v) { return static_cast<int>(std::lround(v * s)); };
  cv::Rect dst(px(inside.x - x0), px(inside.y - y0), std::max(1, px(inside.width)),
               std::max(1, px(inside.height)));
  dst &= cv::Rect(0, 0, side_px, side_px);
  if (!dst.empty())
    cv::resize(bgr(inside), tile(dst), dst.size(), 0, 0, s < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
  return target;
}

std::unique_ptr<Detector> make_confirming_yunet(const std::filesystem::path& model) {
  try {
    return make_detector(confirm_options(model));
  } catch (const SetupError& e) {
    throw SetupError(std::string(e.what()) +
                     ". The Haar detector asks YuNet-n to confirm its boxes; --haar-confirm 0 "
                     "runs the cascade alone");
  }
}

}  // namespace

FaceConfirmer::FaceConfirmer(const std::filesystem::path& yunet_model)
    : yunet_(make_confirming_yunet(yunet_model)) {}

void FaceConfirmer::score_boxes(const cv::Mat& bgr, const cv::Rect* boxes, size_t n,
                                float* scores) {
  canvas_.create(kSide, kSide * static_cast<int>(n), bgr.type());
  std::vector<cv::Rect2d> targets(n);
  for (size_t i = 0; i < n; ++i) {
    const cv::Rect tile(kSide * static_cast<int>(i), 0, kSide, kSide);
    targets[i] = draw(bgr, boxes[i], canvas_(tile)) + cv::Point2d(tile.x, 0);
    scores[i] = 0.F;
  }
  for (const Detection& d : yunet_->detect(canvas_)) {
    if (!d.score) continue;
    const int centre = d.box.x + d.box.width / 2;
    const auto i = static_cast<size_t>(std::clamp(centre / kSide, 0, static_cast<int>(n) - 1));
    if (iou(cv::Rect2d(d.box), targets[i]) >= 0.3) scores[i] = std::max(scores[i], *d.score);
  }
}

float FaceConfirmer::score(const cv::Mat& bgr, const cv::Rect& box) {
  if (box.empty() || bgr.empty()) return 0.F;
  float s = 0.F;
  score_boxes(bgr, &box, 1, &s);
  return s;
}

size_t FaceConfirmer::confirm(const cv::Mat& bgr, std::vector<Face>& faces, float floor) {
  if (bgr.empty()) return 0;
  std::vector<cv::Rect> boxes;
  std::vector<float> scores(faces.size());
  for (const Face& f : faces) boxes.push_back(f.box);
  for (size_t first = 0; first < faces.size(); first += kTiles) {
    const size_t n = std::min(kTiles, faces.size() - first);
    score_boxes(bgr, boxes.data() + first, n, scores.data() + first);
  }
  const size_t before = faces.size();
  size_t k = 0;
  for (size_t i = 0; i < faces.size(); ++i) {
    if (scores[i] < floor) continue;
    faces[i].detector_score = scores[i];
    if (k != i) faces[k] = std::move(faces[i]);
    ++k;
  }
  faces.resize(k);
  return before - k;
}

}  // namespace maskdetect
