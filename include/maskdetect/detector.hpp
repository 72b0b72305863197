// Face detection behind one interface, so engines can be swapped and measured.
#pragma once

#include <algorithm>
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
  int support = 0;             // Haar: the raw hits merged into this box (its neighbours)
};

// On scenes-ilc2021 val, 640 and 400 gave the same no_mask F1 at 1x (0.751, 0.752; 400 took 13 %
// less CPU), but at 1/2 scale many photos are 400-640 px: 0.745 against 0.645 (README, "Small
// faces").
inline constexpr int kHaarUpscaleBelow = 640;

struct DetectorOptions {
  std::string engine = "haar";    // "haar" or "yunet"
  std::filesystem::path cascade;  // Haar; empty: find_cascade()
  // The Haar defaults were chosen with `maskdetect eval` on the validation part of
  // scenes-ilc2021 (README, "Measuring"): the frontal cascade cut to 13 of its 25 stages finds
  // twice the masked faces of the full one, and the classifier's not_face label removes what
  // it adds that is not a face.
  double scale_factor = 1.1;  // Haar
  // Haar: 2, not 4, since its boxes are confirmed by YuNet-n (haar_confirm): the extra
  // proposals raised validation no_mask F1 (mean over 1x, 1/2 and 1/3: 0.731 at 4, 0.745 at 2).
  int min_neighbors = 2;
  int cascade_stages = 13;  // Haar: keep only the first stages of the cascade (0: all)
  // Haar: images whose longest side (after detect_size) is below this many pixels are searched
  // on a copy enlarged up to 2x, so faces smaller than the cascade's window are found (0: never).
  int haar_upscale = kHaarUpscaleBelow;
  // Haar: a box is kept only where YuNet-n, run on its surroundings (FaceConfirmer), finds a
  // face scoring at least this; from masked_score_threshold up, only when the classifier sees a
  // mask on it. 0: off, and the classifier's not_face label alone decides, at the card's
  // stricter "haar_unconfirmed" face threshold. 0.85 gave the best validation no_mask F1 of
  // 0.75, 0.8, 0.85 and 0.9 (README, "Haar boxes confirmed by YuNet-n").
  float haar_confirm = 0.85F;
  bool confirms() const { return engine == "haar" && haar_confirm > 0; }
  // The score below which a box is believed only as a mask: YuNet's own, or Haar's confirmation.
  float strong_score() const { return engine == "haar" ? haar_confirm : score_threshold; }
  int min_face = 0;  // pixels, in the original image; 0: default_min_face(engine)
  // YuNet ONNX, the detector's or Haar's confirmer's; empty: find_yunet_model().
  std::filesystem::path model;
  // YuNet. 0.8 with the card's YuNet face_threshold gave the best no_mask F1 on the validation
  // part of scenes-ilc2021 (scores 0.6-0.85 x face thresholds 0.6-0.9; README, "Measuring").
  float score_threshold = 0.8F;
  // YuNet (and Haar's confirmation): boxes scoring from this up to score_threshold are kept only
  // when the classifier sees a mask on them (worn right or wrong). YuNet learnt faces from bare
  // faces and scores faces behind a mask low: on scenes-ilc2021 val such boxes raise the masked
  // faces found at 1x from 82 to 93 %, and since no box is kept as no_mask on this weaker evidence,
  // no_mask F1 stays as it was (README, "Measuring"). Equal to score_threshold: off.
  float masked_score_threshold = 0.5F;
  // The lowest score a box may have to be proposed at all.
  float proposal_score() const { return std::min(score_threshold, masked_score_threshold); }
  // YuNet: images whose longest side is below this are enlarged to it first; 0: never. 640 is
  // the side YuNet-n was exported and trained at, and small photos' small faces then reach sizes
  // the network finds (on scenes-ilc2021 val at 1/3 scale, masked faces found rose from 52.9 %
  // to 72.3 % and no_mask F1 from 0.813 to 0.838).
  int yunet_min_side = 640;
  // Longest side the detector sees; larger images are scaled down (0: never; -1:
  // default_detect_size(engine)).
  int detect_size = -1;
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

// The smallest face each detector looks for when DetectorOptions::min_face is 0, in original
// pixels; chosen on scenes-ilc2021 val at 1x, 1/2 and 1/3 scale (README, "Small faces").
int default_min_face(const std::string& engine);

// The longest side each detector sees when DetectorOptions::detect_size is -1 (README, "Speed").
// Haar: 896, the smallest of 800, 896, 1024, 1280 and 1600 whose face recall and no_mask F1 on
// highres-ilc2021 are at least the full-resolution reference pipeline's. YuNet: 800, the largest
// side of any scenes-ilc2021 photo, so its F1 there is the same at every size from 800 up; on
// highres-ilc2021 it matches 896 (face recall 0.921 against 0.909, F1 0.833 against 0.837) with
// a fifth fewer pixels through the network.
int default_detect_size(const std::string& engine);

// `o` with min_face and detect_size set to the engine's defaults where they ask for them.
DetectorOptions with_defaults(DetectorOptions o);

// The frontal-face cascade from Debian's opencv-data (or $MASKDETECT_CASCADE); empty if absent.
std::filesystem::path find_cascade();

// The YuNet model named by $MASKDETECT_YUNET_MODEL, else the shipped yunet_n_640_640.onnx in the
// installed models folder or the source tree's models/ (the first of these when none exists).
std::filesystem::path find_yunet_model();

// How an image of `size` is fed to a network that was trained at `side` x `side` and runs at any
// multiple of `stride`: enlarged by `scale` so that its longest side is at least `side` (never
// reduced), drawn at the top left of an input of size `input`, padded at the right and bottom.
// A box found in the input maps back to the image's pixels by dividing by `scale`.
struct Letterbox {
  double scale = 1;
  cv::Size scaled;  // the image's size inside the input
  cv::Size input;   // `scaled` rounded up to multiples of `stride`
};
Letterbox letterbox(cv::Size size, int side, int stride);
// A box in letterboxed input pixels, in the pixels of an image of `size`, clipped to it.
cv::Rect unletterbox(const cv::Rect2d& box, const Letterbox& lb, cv::Size size);

// The text of an OpenCV cascade XML cut after its first `stages` stages (all when it has no more).
// A shortened cascade is more permissive: on masked faces the late stages, which insist on a
// nose and a mouth, are the ones that fail. Throws SetupError when the text is not a cascade in
// OpenCV's stage format.
std::string truncate_cascade(const std::string& xml, int stages);

// The factor that brings the longest side of `size` down to `detect_size` (1 when it fits).
double detection_scale(cv::Size size, int detect_size);

}  // namespace maskdetect
