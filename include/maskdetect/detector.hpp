// Face detection behind one interface, so engines can be swapped and measured.
#pragma once

#include <filesystem>
#include <memory>
#include <opencv2/core/mat.hpp>
#include <opencv2/core/types.hpp>
#include <optional>
#include <string>
#include <vector>

namespace maskdetect {

struct Detection {
  cv::Rect box;                // in the pixels of the image given to detect()
  std::optional<float> score;  // none for Haar
};

struct DetectorOptions {
  std::string engine = "haar";    // "haar" or "yunet"
  std::filesystem::path cascade;  // Haar; empty: find_cascade()
  // The Haar defaults were chosen with `maskdetect eval` on the validation part of
  // scenes-ilc2021 (README, "Measuring"): the frontal cascade cut to 13 of its 25 stages finds
  // twice the masked faces of the full one, and the classifier's not_face label removes what
  // it adds that is not a face.
  double scale_factor = 1.1;    // Haar
  int min_neighbors = 4;        // Haar
  int cascade_stages = 13;      // Haar: keep only the first stages of the cascade (0: all)
  int min_face = 24;            // pixels, in the original image
  std::filesystem::path model;  // YuNet ONNX; empty: find_yunet_model()
  // YuNet. 0.8 with the card's YuNet face_threshold gave the best no_mask F1 on the validation
  // part of scenes-ilc2021 (scores 0.6-0.85 x face thresholds 0.6-0.9; README, "Measuring").
  float score_threshold = 0.8F;
  // Longest side the detector sees; larger images are scaled down (0: never). 896 is the smallest
  // size measured on highres-ilc2021 (800, 896, 1024, 1280, 1600) whose face recall and no_mask
  // F1 are at least the full-resolution reference pipeline's (README, "Speed").
  int detect_size = 896;
};

class Detector {
 public:
  virtual ~Detector() = default;
  std::vector<Detection> detect(const cv::Mat& bgr) { return detect_reduced(bgr, 1); }
  // For an image decoded at 1/reduction of its size: min_face and detect_size keep meaning
  // full-resolution pixels, and boxes are in the pixels of `bgr`.
  virtual std::vector<Detection> detect_reduced(const cv::Mat& bgr, int reduction) = 0;
};

// Not thread-safe: OpenCV's detectors keep scratch buffers, so each worker makes its own.
// Throws SetupError for an unknown engine or a missing / unreadable model file.
std::unique_ptr<Detector> make_detector(const DetectorOptions& options);

// The frontal-face cascade from Debian's opencv-data (or $MASKDETECT_CASCADE); empty if absent.
std::filesystem::path find_cascade();

// The YuNet model named by $MASKDETECT_YUNET_MODEL, else face_detection_yunet_2022mar.onnx in
// ~/.local/share/maskdetect/models or the installed models folder; empty if absent.
std::filesystem::path find_yunet_model();

// The text of an OpenCV cascade XML cut after its first `stages` stages (all when it has no more).
// A shortened cascade is more permissive: on masked faces the late stages, which insist on a
// nose and a mouth, are the ones that fail. Throws SetupError when the text is not a cascade in
// OpenCV's stage format.
std::string truncate_cascade(const std::string& xml, int stages);

// The factor that brings the longest side of `size` down to `detect_size` (1 when it fits).
double detection_scale(cv::Size size, int detect_size);

}  // namespace maskdetect
