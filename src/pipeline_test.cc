// The pipeline with a fake engine and a recording sink: no model, no fixtures.
#include "maskdetect/pipeline.hpp"

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/videoio.hpp>
#include <sstream>
#include <thread>

#include "maskdetect/report.hpp"
#include "test_support.hpp"

using namespace maskdetect;
namespace fs = std::filesystem;

namespace {

// Each test image is one grey level; the fake engine reports one face whose box width is that
// level, so a result can be traced to its input. Level 13 makes the engine throw.
constexpr int kFailingLevel = 13;

class FakeEngine : public Engine {
 public:
  explicit FakeEngine(bool fail_frames) : fail_frames_(fail_frames) {}
  Analysis analyze(const cv::Mat& bgr, int) override {
    const int level = bgr.at<cv::Vec3b>(0, 0)[0];
    // Uneven work, so parallel results finish out of order.
    std::this_thread::sleep_for(std::chrono::microseconds((level * 7919) % 3000));
    if (level == kFailingLevel || (fail_frames_ && bgr.cols == 64))
      throw std::runtime_error("fake engine refuses level " + std::to_string(level));
    Analysis a;
    Face f;
    f.box = cv::Rect(1, 1, level + 1, 2);
    f.label = level % 2 ? "no_mask" : "mask";
    f.confidence = 0.9F;
    f.scores[f.label] = 0.9F;
    a.faces.push_back(f);
    return a;
  }

 private:
  bool fail_frames_;
};

// Records what reached it and checks that the in-order calls never overlap.
class RecordingSink : public Sink {
 public:
  std::vector<std::string> files;
  std::vector<int> widths;  // first face's width per image, -1 without a face
  std::vector<std::int64_t> frames;
  std::atomic<int> images{0};
  StopRequest* cancel_after = nullptr;
  std::size_t cancel_at = 0;
  bool overlapped = false, finished = false;
  RunSummary summary;

  void image(const InputFile&, FileResult&, cv::Mat&) override { ++images; }
  void frame(const InputFile&, FileResult&, const FrameRecord& f, cv::Mat&) override {
    enter();
    frames.push_back(f.index);
    busy_ = false;
  }
  void file(const InputFile&, FileResult& r) override {
    enter();
    files.push_back(fs::path(r.path).filename().string());
    widths.push_back(r.faces.empty() ? -1 : r.faces[0].box.width);
    if (cancel_after && files.size() == cancel_at) cancel_after->request(StopRequest::kInterrupt);
    busy_ = false;
  }
  void finish(const RunSummary& s) override {
    finished = true;
    summary = s;
  }

 private:
  void enter() {
    if (busy_.exchange(true)) overlapped = true;
  }
  std::atomic<bool> busy_{false};
};

void write_images(const fs::path& dir, int n) {
  for (int i = 0; i < n; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "img%03d.png", i);
    cv::imwrite((dir / name).string(), cv::Mat(24, 32, CV_8UC3, cv::Scalar::all(i)));
  }
}

void write_video(const fs::path& path, int frames) {
  cv::VideoWriter w(path.string(), cv::CAP_FFMPEG, cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), 10,
                    cv::Size(64, 48));
  REQUIRE(w.isOpened());
  for (int i = 0; i < frames; ++i) w.write(cv::Mat(48, 64, CV_8UC3, cv::Scalar::all(100)));
}

EngineFactory fake_engines(bool fail_frames = false) {
  return [fail_frames] { return std::make_unique<FakeEngine>(fail_frames); };
}

PipelineOptions options(const fs::path& input, const fs::path& out, int threads) {
  PipelineOptions o;
  o.inputs = {input.string()};
  o.out_dir = out;
  o.threads = threads;
  o.labels = {"mask", "no_mask"};
  o.video.stride = 1;  // every frame through the engine, unless a test says otherwise
  return o;
}

}  // namespace

TEST_CASE("results reach the sinks in input order, whatever the thread count", "[pipeline]") {
  testing::TempDir in, out;
  write_images(in.path(), 40);
  std::ofstream(in.path() / "notes.txt") << "not an image";
  std::istringstream no_stdin;
  RecordingSink one, three;
  const RunSummary s1 =
      run_pipeline(options(in.path(), out.path(), 1), fake_engines(), {&one}, no_stdin);
  const RunSummary s3 =
      run_pipeline(options(in.path(), out.path(), 3), fake_engines(), {&three}, no_stdin);
  REQUIRE(one.files.size() == 41);
  CHECK(one.files == three.files);
  CHECK(one.widths == three.widths);
  CHECK_FALSE(three.overlapped);
  CHECK(three.finished);
  for (int i = 0; i < 40; ++i) {
    INFO("image " << i);
    CHECK(one.files[static_cast<std::size_t>(i)] ==
          "img0" + std::string(i < 10 ? "0" : "") + std::to_string(i) + ".png");
    CHECK(one.widths[static_cast<std::size_t>(i)] == (i == kFailingLevel ? -1 : i + 1));
  }
  CHECK(one.files.back() == "notes.txt");
  // The failing image failed and the text file was skipped; every other image reached image()
  // with its pixels.
  CHECK(three.images == 39);
  CHECK(s3.files == 41);
  CHECK(s3.failed == 1);
  CHECK(s3.skipped == 1);
  CHECK(s3.faces == 39);
  CHECK(s3.by_label.at("mask") == 20);     // even levels 0..38
  CHECK(s3.by_label.at("no_mask") == 19);  // odd levels 1..39 but the failing 13
  CHECK(s1.by_label == s3.by_label);
}

TEST_CASE("a run cancelled mid-way stops taking work and still writes a valid report",
          "[pipeline]") {
  testing::TempDir in, out;
  write_images(in.path(), 60);
  StopRequest cancel;
  PipelineOptions o = options(in.path(), out.path(), 2);
  o.cancel = &cancel;
  RecordingSink rec;
  rec.cancel_after = &cancel;
  rec.cancel_at = 10;
  RunInfo info;
  info.face_labels = o.labels;
  JsonReport report(out.path() / "report.json", info);
  std::istringstream no_stdin;
  const RunSummary s = run_pipeline(o, fake_engines(), {&rec, &report}, no_stdin);
  CHECK(s.interrupted);
  // Items already in flight when the flag was set still finish; nothing new starts.
  CHECK(rec.files.size() >= 10);
  CHECK(rec.files.size() < 60);
  CHECK(s.files == static_cast<std::int64_t>(rec.files.size()));
  for (std::size_t i = 0; i < rec.files.size(); ++i) {
    const int level = static_cast<int>(i);
    CHECK(rec.widths[i] == (level == kFailingLevel ? -1 : level + 1));
  }
  const auto j = nlohmann::json::parse(testing::read_text(out.path() / "report.json"));
  CHECK(j["summary"]["interrupted"] == true);
  CHECK(j["files"].size() == rec.files.size());
  CHECK(j["summary"]["files"] == s.files);
}

TEST_CASE("a video whose every frame fails in the workers is an error, not ok", "[pipeline]") {
  // Frames fail on worker threads while the in-order stage adds to the same video's result:
  // the hand-off must keep them apart (ThreadSanitizer checks this test).
  testing::TempDir in, out;
  write_video(in.path() / "clip.avi", 40);
  RecordingSink rec;
  RunInfo info;
  JsonReport report(out.path() / "report.json", info);
  std::istringstream no_stdin;
  const RunSummary s = run_pipeline(options(in.path() / "clip.avi", out.path(), 2),
                                    fake_engines(true), {&rec, &report}, no_stdin);
  CHECK(s.failed == 1);
  CHECK(s.frames == 40);
  REQUIRE(rec.frames.size() == 40);
  for (std::size_t i = 0; i < rec.frames.size(); ++i) CHECK(rec.frames[i] == std::int64_t(i));
  const auto j = nlohmann::json::parse(testing::read_text(out.path() / "report.json"));
  const auto& v = j["files"][0];
  CHECK(v["status"] == "error");
  CHECK(v["error"].get<std::string>().find("every frame failed") != std::string::npos);
  // Ten frame warnings and one line for the rest, not forty.
  REQUIRE(v["warnings"].size() == 11);
  CHECK(v["warnings"][10].get<std::string>().find("30 more frames") != std::string::npos);
}

TEST_CASE("video frames reach the sinks in order between the files around them", "[pipeline]") {
  testing::TempDir in, out;
  write_images(in.path(), 3);
  write_video(in.path() / "img001b.avi", 25);
  RecordingSink rec;
  std::istringstream no_stdin;
  const RunSummary s =
      run_pipeline(options(in.path(), out.path(), 2), fake_engines(), {&rec}, no_stdin);
  REQUIRE(rec.files ==
          std::vector<std::string>{"img000.png", "img001.png", "img001b.avi", "img002.png"});
  REQUIRE(rec.frames.size() == 25);
  for (std::size_t i = 0; i < rec.frames.size(); ++i) CHECK(rec.frames[i] == std::int64_t(i));
  CHECK(s.frames == 25);
  CHECK(s.failed == 0);
  // img000 and img002, and one person through the video's 25 frames (not 25 faces).
  CHECK(s.by_label.at("mask") == 1 + 2);
  CHECK(s.people == 1);
  CHECK(s.faces == 3);
}

// Counts the frames the detector ran on.
class CountingEngine : public Engine {
 public:
  explicit CountingEngine(std::atomic<int>& calls) : calls_(calls) {}
  Analysis analyze(const cv::Mat&, int) override {
    ++calls_;
    Analysis a;
    Face f;
    f.box = cv::Rect(10, 10, 20, 20);
    f.label = "no_mask";
    f.confidence = 0.8F;
    f.scores = {{"mask", 0.2F}, {"no_mask", 0.8F}};
    a.faces.push_back(f);
    return a;
  }

 private:
  std::atomic<int>& calls_;
};

TEST_CASE("with a stride the detector skips frames, and every frame still gets the tracked face",
          "[pipeline]") {
  testing::TempDir in, out;
  write_video(in.path() / "clip.avi", 30);
  RecordingSink rec;
  RunInfo info;
  JsonReport report(out.path() / "report.json", info);
  std::istringstream no_stdin;
  std::atomic<int> calls{0};
  PipelineOptions o = options(in.path() / "clip.avi", out.path(), 2);
  o.video.stride = 3;
  const RunSummary s = run_pipeline(
      o, [&calls] { return std::make_unique<CountingEngine>(calls); }, {&rec, &report}, no_stdin);
  CHECK(calls == 10);
  REQUIRE(rec.frames.size() == 30);
  CHECK(s.people == 1);
  CHECK(s.by_label.at("no_mask") == 1);
  const auto j = nlohmann::json::parse(testing::read_text(out.path() / "report.json"));
  const auto& v = j["files"][0];
  CHECK(v["frames_with_faces"] == 30);
  CHECK(v["faces_by_label"]["no_mask"] == 30);
  REQUIRE(v["tracks"].size() == 1);
  CHECK(v["tracks"][0]["detections"] == 10);
  CHECK(v["tracks"][0]["frames"] == 30);
  CHECK(v["tracks"][0]["person"] == true);
  CHECK(v["people_by_label"]["no_mask"] == 1);
  // 30 frames at 10 fps: an unmasked face on screen for 3 s.
  CHECK(v["seconds_by_label"]["no_mask"].get<double>() == Approx(3.0).margin(0.01));
}

TEST_CASE("the frames of a video picked by start, end and max_frames", "[pipeline]") {
  testing::TempDir in, out;
  write_video(in.path() / "clip.avi", 40);  // 10 fps: frame i at i * 100 ms
  std::istringstream no_stdin;
  SECTION("a time range") {
    RecordingSink rec;
    PipelineOptions o = options(in.path() / "clip.avi", out.path(), 2);
    o.video.start_s = 1.0;
    o.video.end_s = 2.5;
    run_pipeline(o, fake_engines(), {&rec}, no_stdin);
    // Frames at 1.0 .. 2.4 s, numbered from 0 in what was processed.
    CHECK(rec.frames.size() == 15);
  }
  SECTION("a frame count") {
    RecordingSink rec;
    PipelineOptions o = options(in.path() / "clip.avi", out.path(), 2);
    o.video.max_frames = 7;
    const RunSummary s = run_pipeline(o, fake_engines(), {&rec}, no_stdin);
    CHECK(rec.frames.size() == 7);
    CHECK(s.failed == 0);
  }
}
