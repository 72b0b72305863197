// The one analysis path: a face detector and the mask classifier with their thresholds resolved
// from the options and the model card. The pipeline and `maskdetect eval` both call
// Engine::analyze, so eval's figures are the tool's figures by construction.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <opencv2/core/mat.hpp>
#include <optional>
#include <vector>

#include "maskdetect/detector.hpp"
#include "maskdetect/image_decode.hpp"
#include "maskdetect/model_card.hpp"
#include "maskdetect/types.hpp"

namespace maskdetect {

inline constexpr int kVideoDetectSize = 400;
inline constexpr double kVideoScaleFactor = 1.2;  // Haar's pyramid step on video frames, at least

// What a user chooses about the analysis (CLI options of both `maskdetect` and `maskdetect eval`).
struct EngineOptions {
  DetectorOptions detector;
  std::filesystem::path model;          // .onnx or its .json card; empty: find_default_model
  float threshold = 0.5F;               // P(masked) at or above which a face is the masked label
  std::optional<float> face_threshold;  // P(face) below which a box is dropped; none: the card's
  // Longest side video frames are detected at (0: as photos, --detect-size). Frames come 25 or
  // more a second and their faces are rarely smaller than a photo's: a smaller search (and for
  // Haar, no enlarged copy) keeps up with the video (README, "Video").
  int video_detect_size = kVideoDetectSize;
};

// The options resolved once per run: the card loaded and checked, the face threshold chosen for
// the detector, the default model and detector files found. Shared read-only by every worker.
struct EngineConfig {
  ModelCard card;
  DetectorOptions detector;        // cascade / model paths filled in
  DetectorOptions video_detector;  // the same for video frames, at the video detection size
  float threshold = 0.5F;
  float face_threshold = 0.5F;

  // Throws SetupError (model, card, unknown detector).
  static EngineConfig resolve(const EngineOptions& options);

  // The detector and classifier parameters, the same keys in report.json's "params" and in
  // eval.json's "params".
  nlohmann::json params() const;
};

// What one image holds: faces with boxes in full-resolution pixels, labelled, not-faces removed.
struct Analysis {
  std::vector<Face> faces;
  double detect_ms = 0, classify_ms = 0;
};

class Engine {
 public:
  virtual ~Engine() = default;
  // `bgr` is the image decoded at 1/reduction of its full size (see DecodedImage): the detector's
  // minimum face and detection size keep meaning full-resolution pixels, and returned boxes are
  // in full-resolution pixels.
  virtual Analysis analyze(const cv::Mat& bgr, int reduction) = 0;
  // A video frame, with EngineConfig::video_detector.
  virtual Analysis analyze_frame(const cv::Mat& bgr) { return analyze(bgr, 1); }
};

// One image file decoded and analysed exactly as `maskdetect --input FILE` does it.
struct FileAnalysis {
  DecodedImage image;
  Analysis analysis;
  double decode_ms = 0;
};

// Reads the file once (a path swapped for a FIFO or device is refused, never waited on),
// recognises it by content and decodes it with `decode` (refusing pixel bombs), then analyses
// it. Throws InputError for a file that is not a usable image.
FileAnalysis analyze_file(Engine& engine, const std::filesystem::path& path,
                          const DecodeOptions& decode);
// The same for a file its caller has already sniffed (the pipeline's input stage has): the
// bytes are still read once and judged again before decoding, but the path is not sniffed twice.
FileAnalysis analyze_file(Engine& engine, const std::filesystem::path& path,
                          const MediaInfo& sniffed, const DecodeOptions& decode);

// Builds one engine; called once per worker before any input is read, so setup errors (a
// missing cascade, an unreadable ONNX) stop the run before it starts.
using EngineFactory = std::function<std::unique_ptr<Engine>()>;

// The real engine: Haar or YuNet, then MobileNetV2 through OpenCV DNN. Not thread-safe (OpenCV's
// detectors and networks keep scratch buffers): one per worker. Throws SetupError.
std::unique_ptr<Engine> make_engine(const EngineConfig& config);

// A factory for make_engine that keeps `config` alive.
EngineFactory engine_factory(std::shared_ptr<const EngineConfig> config);

}  // namespace maskdetect
