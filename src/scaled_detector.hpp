// The detectors' shared base: detection on a copy no larger than --detect-size.
#pragma once

#include <memory>
#include <vector>

#include "maskdetect/detector.hpp"

namespace maskdetect {

// Runs the engine on a copy no larger than detect_size and maps boxes back to the original, so
// cost follows the faces' needs rather than the camera's resolution.
class ScaledDetector : public Detector {
 public:
  explicit ScaledDetector(const DetectorOptions& o) : options_(with_defaults(o)) {}
  std::vector<Detection> detect_reduced(const cv::Mat& bgr, int reduction) override;

 protected:
  // `min_face` is in the pixels of `bgr`.
  virtual std::vector<Detection> detect_scaled(const cv::Mat& bgr, int min_face) = 0;
  DetectorOptions options_;  // with_defaults: min_face and detect_size are set

 private:
  cv::Mat small_;
};

// YuNet, either layout (detector_yunet.cc). Throws SetupError.
std::unique_ptr<Detector> make_yunet_detector(const DetectorOptions& options);

}  // namespace maskdetect
