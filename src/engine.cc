#include "maskdetect/engine.hpp"

#include <algorithm>
#include <chrono>

#include "maskdetect/classifier.hpp"
#include "maskdetect/face_confirm.hpp"
#include "maskdetect/media_sniff.hpp"
#include "numbers.hpp"

namespace maskdetect {
namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

class DetectAndClassify final : public Engine {
 public:
  explicit DetectAndClassify(const EngineConfig& config)
      : config_(config), detector_(make_detector(config.detector)), classifier_(config.card) {
    if (config.detector.confirms())
      confirmer_ = std::make_unique<FaceConfirmer>(config.detector.model);
  }

  Analysis analyze(const cv::Mat& bgr, int reduction) override {
    return run(*detector_, bgr, reduction);
  }

  Analysis analyze_frame(const cv::Mat& bgr) override {
    // Made on the first frame: a run of photos never loads it.
    if (!video_detector_) video_detector_ = make_detector(config_.video_detector);
    return run(*video_detector_, bgr, 1);
  }

 private:
  Analysis run(Detector& detector, const cv::Mat& bgr, int reduction) {
    Analysis a;
    auto t0 = Clock::now();
    a.faces = to_faces(detector.detect_reduced(bgr, reduction));
    // Before the classifier, which costs more per box (4-6 ms against about 1 ms in strips of
    // eight) and then sees only the boxes that survive the second opinion's floor.
    if (confirmer_) confirmer_->confirm(bgr, a.faces, config_.detector.masked_score_threshold);
    a.detect_ms = ms_since(t0);
    t0 = Clock::now();
    // Boxes below the detector's score (YuNet's, or Haar's confirmation) stay only as masks;
    // unconfirmed Haar boxes carry no score, so the rule never touches them. Photos and video
    // frames share the score.
    classifier_.classify(bgr, a.faces, config_.threshold, config_.face_threshold,
                         config_.detector.strong_score());
    a.classify_ms = ms_since(t0);
    if (reduction > 1)
      for (Face& f : a.faces) f.box = cv::Rect(f.box.tl() * reduction, f.box.size() * reduction);
    return a;
  }

  const EngineConfig& config_;
  std::unique_ptr<Detector> detector_, video_detector_;
  Classifier classifier_;
  std::unique_ptr<FaceConfirmer> confirmer_;
};

}  // namespace

EngineConfig EngineConfig::resolve(const EngineOptions& o) {
  EngineConfig c;
  c.card = load_model_card(o.model.empty() ? find_default_model({}) : o.model);
  c.detector = o.detector;
  if ((c.detector.engine == "yunet" || c.detector.confirms()) && c.detector.model.empty())
    c.detector.model = find_yunet_model();
  if (c.detector.engine != "yunet" && c.detector.cascade.empty())
    c.detector.cascade = find_cascade();
  c.detector = with_defaults(c.detector);
  c.video_detector = c.detector;
  if (o.video_detect_size > 0) {
    DetectorOptions& v = c.video_detector;
    v.detect_size =
        v.detect_size > 0 ? std::min(v.detect_size, o.video_detect_size) : o.video_detect_size;
    // The enlarged copy is for the small faces of crowd photos; on video it would cost more
    // than the whole rest of the frame, as would a fine pyramid (README, "Video").
    v.haar_upscale = 0;
    v.scale_factor = std::max(v.scale_factor, kVideoScaleFactor);
    // YuNet finds a video's faces at the video size itself; enlarging the frame back to its
    // 640 px training size would undo the saving.
    v.yunet_min_side = 0;
  }
  c.threshold = o.threshold;
  // Unconfirmed Haar boxes need the classifier's stricter threshold (an older card has one).
  const bool alone = c.detector.engine == "haar" && !c.detector.confirms() &&
                     c.card.face_thresholds.count("haar_unconfirmed") != 0;
  c.face_threshold = o.face_threshold.value_or(
      c.card.face_threshold(alone ? "haar_unconfirmed" : c.detector.engine));
  return c;
}

nlohmann::json EngineConfig::params() const {
  const DetectorOptions& d = detector;
  nlohmann::json p = {{"detector", d.engine},
                      {"min_face", d.min_face},
                      {"detect_size", d.detect_size},
                      {"video_detect_size", video_detector.detect_size},
                      {"threshold", shortest(threshold)},
                      {"face_threshold", shortest(face_threshold)}};
  if (d.engine == "yunet") {
    p["detector_model"] = d.model.string();
    p["detector_score"] = shortest(d.score_threshold);
    p["detector_score_masked"] = shortest(d.masked_score_threshold);
  } else {
    p["cascade"] = d.cascade.string();
    p["scale_factor"] = d.scale_factor;
    p["min_neighbors"] = d.min_neighbors;
    p["cascade_stages"] = d.cascade_stages;
    p["haar_upscale"] = d.haar_upscale;
    p["haar_confirm"] = shortest(d.haar_confirm);
    if (d.confirms()) {
      p["detector_model"] = d.model.string();
      p["detector_score_masked"] = shortest(d.masked_score_threshold);
    }
  }
  return p;
}

FileAnalysis analyze_file(Engine& engine, const std::filesystem::path& path,
                          const MediaInfo& sniffed, const DecodeOptions& decode) {
  FileAnalysis out;
  const auto t0 = Clock::now();
  out.image = decode_image(path, sniffed, decode);
  out.decode_ms = ms_since(t0);
  out.analysis = engine.analyze(out.image.bgr, out.image.reduction);
  return out;
}

FileAnalysis analyze_file(Engine& engine, const std::filesystem::path& path,
                          const DecodeOptions& decode) {
  const auto t0 = Clock::now();
  const MediaInfo sniffed = sniff_media(path);
  const double sniff_ms = ms_since(t0);
  FileAnalysis out = analyze_file(engine, path, sniffed, decode);
  out.decode_ms += sniff_ms;  // reading the header is part of decoding, as it was in eval
  return out;
}

std::unique_ptr<Engine> make_engine(const EngineConfig& config) {
  return std::make_unique<DetectAndClassify>(config);
}

EngineFactory engine_factory(std::shared_ptr<const EngineConfig> config) {
  return [config] { return make_engine(*config); };
}

}  // namespace maskdetect
