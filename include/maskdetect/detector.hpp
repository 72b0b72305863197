// Face detection behind one interface, so engines can be swapped and measured.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>
#include <opencv2/core/types.hpp>

namespace maskdetect {

struct Detection {
  cv::Rect box;                // in the pixels of the image given to detect()
  std::optional<float> score;  // none for Haar
};

struct DetectorOptions {
  std::string engine = "haar";
  std::filesystem::path cascade;  // empty: find_cascade()
  double scale_factor = 1.1;
  int min_neighbors = 5;
  int min_face = 30;  // pixels, in the original image
};

class Detector {
 public:
  virtual ~Detector() = default;
  virtual std::vector<Detection> detect(const cv::Mat& bgr) = 0;
};

// Not thread-safe: OpenCV's detectors keep scratch buffers, so each worker makes its own.
// Throws SetupError for an unknown engine or a missing / unreadable model file.
std::unique_ptr<Detector> make_detector(const DetectorOptions& options);

// The frontal-face cascade from Debian's opencv-data (or $MASKDETECT_CASCADE); empty if absent.
std::filesystem::path find_cascade();

}  // namespace maskdetect
