#include "maskdetect/engine.hpp"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <opencv2/imgcodecs.hpp>

#include "maskdetect/config.hpp"
#include "maskdetect/errors.hpp"
#include "test_support.hpp"

using namespace maskdetect;

namespace {

EngineOptions shipped(const std::string& engine = "haar") {
  EngineOptions o;
  o.model = testing::source_dir() / "models" / config::kDefaultModelFile;
  o.detector.engine = engine;
  return o;
}

class SizeEngine : public Engine {
 public:
  Analysis analyze(const cv::Mat& bgr, int reduction) override {
    Analysis a;
    Face f;
    f.box = cv::Rect(0, 0, bgr.cols * reduction, bgr.rows * reduction);
    a.faces.push_back(f);
    return a;
  }
};

}  // namespace

TEST_CASE("resolving takes the card's face threshold for the detector unless one is given",
          "[engine]") {
  EngineOptions o = shipped();
  const EngineConfig haar = EngineConfig::resolve(o);
  CHECK(haar.face_threshold == haar.card.face_threshold("haar"));
  CHECK_FALSE(haar.detector.cascade.empty());  // the default cascade, found
  o.face_threshold = 0.25F;
  CHECK(EngineConfig::resolve(o).face_threshold == 0.25F);
  o.model = "/nonexistent/model.onnx";
  CHECK_THROWS_AS(EngineConfig::resolve(o), SetupError);
}

TEST_CASE("Haar's boxes are confirmed by YuNet-n unless that is turned off", "[engine]") {
  EngineOptions o = shipped("haar");
  const EngineConfig confirmed = EngineConfig::resolve(o);
  CHECK(confirmed.detector.confirms());
  CHECK(confirmed.detector.model.filename() == "yunet_n_640_640.onnx");
  CHECK(confirmed.params().at("haar_confirm") == 0.85);
  // Alone, the cascade's boxes need the classifier's stricter threshold.
  o.detector.haar_confirm = 0;
  const EngineConfig alone = EngineConfig::resolve(o);
  CHECK_FALSE(alone.detector.confirms());
  CHECK(alone.face_threshold == alone.card.face_threshold("haar_unconfirmed"));
  CHECK(alone.face_threshold > confirmed.face_threshold);
  CHECK_FALSE(alone.params().contains("detector_model"));
  // A card without the unconfirmed threshold falls back to its Haar one.
  EngineConfig old = alone;
  old.card.face_thresholds.erase("haar_unconfirmed");
  CHECK(old.card.face_threshold("haar") == confirmed.face_threshold);
}

TEST_CASE("the real engine gives Haar's boxes YuNet's confirming score", "[engine][model]") {
  EngineOptions o = shipped();
  const cv::Mat bgr = cv::imread(testing::fixture("faces/obama.jpg").string());
  const EngineConfig with = EngineConfig::resolve(o);
  const Analysis confirmed = make_engine(with)->analyze(bgr, 1);
  REQUIRE(confirmed.faces.size() == 1);
  REQUIRE(confirmed.faces[0].detector_score);
  CHECK(*confirmed.faces[0].detector_score >= 0.85F);
  o.detector.haar_confirm = 0;
  const EngineConfig without = EngineConfig::resolve(o);
  const Analysis alone = make_engine(without)->analyze(bgr, 1);
  REQUIRE(alone.faces.size() == 1);
  CHECK_FALSE(alone.faces[0].detector_score);
}

TEST_CASE("the smallest face is each detector's own unless one is given", "[engine]") {
  EngineOptions o = shipped("haar");
  CHECK(EngineConfig::resolve(o).detector.min_face == default_min_face("haar"));
  o = shipped("yunet");
  const EngineConfig yunet = EngineConfig::resolve(o);
  CHECK(yunet.detector.min_face == default_min_face("yunet"));
  CHECK(yunet.detector.model.filename() == "yunet_n_640_640.onnx");
  CHECK(default_min_face("yunet") != default_min_face("haar"));
  o.detector.min_face = 30;
  CHECK(EngineConfig::resolve(o).detector.min_face == 30);
}

TEST_CASE("the detection size is each detector's own unless one is given", "[engine]") {
  EngineOptions o = shipped("haar");
  CHECK(EngineConfig::resolve(o).detector.detect_size == 896);
  CHECK(EngineConfig::resolve(o).params().at("detect_size") == 896);
  o = shipped("yunet");
  CHECK(EngineConfig::resolve(o).detector.detect_size == 800);
  o.detector.detect_size = 0;  // full resolution stays a choice
  CHECK(EngineConfig::resolve(o).detector.detect_size == 0);
  o.detector.detect_size = 1280;
  CHECK(EngineConfig::resolve(o).detector.detect_size == 1280);
  // Video frames keep the smaller of the two.
  CHECK(EngineConfig::resolve(o).video_detector.detect_size == kVideoDetectSize);
}

TEST_CASE("params describe each detector with the keys report.json and eval.json share",
          "[engine]") {
  const EngineConfig haar = EngineConfig::resolve(shipped("haar"));
  const auto p = haar.params();
  for (const char* key :
       {"detector", "min_face", "detect_size", "threshold", "face_threshold", "cascade",
        "scale_factor", "min_neighbors", "cascade_stages", "haar_upscale"})
    CHECK(p.contains(key));
  CHECK(p["detector"] == "haar");
  CHECK_FALSE(p.contains("detector_score"));
  EngineConfig yunet = haar;
  yunet.detector.engine = "yunet";
  yunet.detector.model = "/models/yunet.onnx";
  const auto q = yunet.params();
  CHECK(q["detector_model"] == "/models/yunet.onnx");
  CHECK(q.contains("detector_score"));
  CHECK(q["detector_score_masked"] == 0.5);
  CHECK_FALSE(q.contains("cascade"));
}

TEST_CASE("analyze_file reads a file once and refuses what is not a regular file", "[engine]") {
  testing::TempDir dir;
  SizeEngine engine;
  const auto png = dir.path() / "a.png";
  cv::imwrite(png.string(), cv::Mat(30, 40, CV_8UC3, cv::Scalar::all(7)));
  const FileAnalysis a = analyze_file(engine, png, DecodeOptions{});
  REQUIRE(a.analysis.faces.size() == 1);
  CHECK(a.analysis.faces[0].box == cv::Rect(0, 0, 40, 30));
  CHECK(a.image.original == cv::Size(40, 30));

  // A FIFO in place of a photo would block open() forever; it is refused at once.
  const auto fifo = dir.path() / "b.jpg";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  MediaInfo looked_like_jpeg;
  looked_like_jpeg.kind = FileKind::Image;
  looked_like_jpeg.format = "jpeg";
  CHECK_THROWS_AS(decode_image(fifo, looked_like_jpeg, DecodeOptions{}), InputError);
  CHECK_THROWS_AS(analyze_file(engine, fifo, DecodeOptions{}), std::exception);
}

TEST_CASE("the real engine reports boxes in full-resolution pixels from a reduced decode",
          "[engine][model]") {
  const auto photo = testing::fixture("faces/obama.jpg");
  const auto config = std::make_shared<const EngineConfig>(EngineConfig::resolve(shipped()));
  auto engine = engine_factory(config)();
  const FileAnalysis full = analyze_file(*engine, photo, DecodeOptions{});
  const FileAnalysis half = analyze_file(*engine, photo, DecodeOptions{100'000'000, 200});
  REQUIRE(half.image.reduction > 1);
  REQUIRE(full.analysis.faces.size() == 1);
  REQUIRE(half.analysis.faces.size() == 1);
  const cv::Rect a = full.analysis.faces[0].box, b = half.analysis.faces[0].box;
  // The same face, within the coarser grid of the reduced image.
  CHECK(std::abs(a.x - b.x) <= a.width / 5);
  CHECK(std::abs(a.width - b.width) <= a.width / 5);
  CHECK(half.image.original == full.image.original);
}
