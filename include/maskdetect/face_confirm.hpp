// A second opinion on a permissive detector's boxes: YuNet-n, run on each box's surroundings.
#pragma once

#include <filesystem>
#include <memory>
#include <opencv2/core/mat.hpp>
#include <opencv2/core/types.hpp>
#include <vector>

#include "maskdetect/detector.hpp"
#include "maskdetect/types.hpp"

namespace maskdetect {

// The cut Haar cascade proposes faces generously, and the classifier's not_face label alone
// had to stand at P(face) 0.96 to drop what is not a face there, which also dropped 14-18 % of
// true test faces. YuNet-n judges a box from its shape and surroundings, not from the crop the
// classifier sees, so the two errors are largely independent: with it the classifier's
// threshold for Haar could fall to 0.1, as for YuNet's own boxes, and no_mask F1 on
// scenes-ilc2021 val rose (README, "Haar boxes confirmed by YuNet-n").
class FaceConfirmer {
 public:
  // `yunet_model`: a YuNet ONNX as for --detector-model. Throws SetupError as make_detector.
  explicit FaceConfirmer(const std::filesystem::path& yunet_model);

  // The score of the best face YuNet finds in a square of twice the box's longest side around
  // its centre, shrunk or enlarged to kSide pixels, that overlaps the box at IoU >= 0.3; 0 when
  // it finds none.
  float score(const cv::Mat& bgr, const cv::Rect& box);

  // Each face's detector_score becomes its score(); faces scoring below `floor` are removed.
  // Returns how many were removed.
  size_t confirm(const cv::Mat& bgr, std::vector<Face>& faces, float floor);

  // 96 px: the face then spans 48 px, well inside YuNet-n's range. On scenes-ilc2021 val the
  // prototype gave the same F1 at 96 and 128 px (0.747, 0.745). 64 px gave the same val F1 too
  // (mean 0.752 against 0.750) for 10 % less time at 1/3 scale, but a lower test F1 at 1x (0.757
  // against 0.763; README, "Haar boxes confirmed by YuNet-n"), so 96 px stays.
  static constexpr int kSide = 96;
  // Boxes seen side by side in one forward pass: a 96 px input costs about 3 ms, mostly fixed
  // overhead, and a strip of eight 96 px squares about 7 ms.
  static constexpr size_t kTiles = 8;

 private:
  void score_boxes(const cv::Mat& bgr, const cv::Rect* boxes, size_t n, float* scores);

  std::unique_ptr<Detector> yunet_;
  cv::Mat canvas_;
};

}  // namespace maskdetect
