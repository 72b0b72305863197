#include "maskdetect/media_sinks.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/videoio.hpp>

#include "test_support.hpp"

using namespace maskdetect;
namespace fs = std::filesystem;

namespace {

InputFile input(const fs::path& path, const fs::path& out_rel) {
  InputFile in;
  in.path = path;
  in.display = path.string();
  in.out_rel = out_rel;
  return in;
}

Face face(cv::Rect box, const std::string& label) {
  Face f;
  f.box = box;
  f.label = label;
  f.confidence = 0.9F;
  return f;
}

}  // namespace

TEST_CASE("annotated images mirror the input tree and never overwrite an input", "[media_sinks]") {
  testing::TempDir out;
  ModelCard card;
  AnnotatedImageSink sink(out.path(), card);
  cv::Mat bgr(60, 80, CV_8UC3, cv::Scalar::all(128));
  FileResult r;
  r.faces = {face({10, 10, 30, 30}, "no_mask")};
  sink.image(input("/photos/a/b.png", "photos/a/b.png"), r, bgr);
  CHECK(r.output == (out.path() / "photos/a/b.png").string());
  const cv::Mat written = cv::imread(r.output);
  REQUIRE(written.size() == bgr.size());
  CHECK(written.at<cv::Vec3b>(10, 10) != cv::Vec3b(128, 128, 128));  // the box was drawn

  // Writing the annotated copy over its own input is refused with a warning.
  const fs::path own = out.path() / "own.png";
  cv::imwrite(own.string(), bgr);
  FileResult same;
  sink.image(input(own, "own.png"), same, bgr);
  CHECK(same.output.empty());
  REQUIRE(same.warnings.size() == 1);
  CHECK(same.warnings[0].find("would overwrite the input") != std::string::npos);
}

TEST_CASE("annotated images larger than the limit are written scaled down, boxes with them",
          "[media_sinks]") {
  testing::TempDir out;
  ModelCard card;
  AnnotatedImageSink sink(out.path(), card, 200);
  CHECK(sink.pixels_needed() == 200);
  // Decoded at half of its 800x600 size, as a JPEG is when the limit allows it.
  cv::Mat bgr(300, 400, CV_8UC3, cv::Scalar::all(128));
  FileResult r;
  r.width = 800;
  r.height = 600;
  r.faces = {face({400, 200, 200, 200}, "no_mask")};  // original pixels
  sink.image(input("/p/big.png", "p/big.png"), r, bgr);
  const cv::Mat written = cv::imread(r.output);
  REQUIRE(written.size() == cv::Size(200, 150));
  CHECK(written.at<cv::Vec3b>(75, 100) == cv::Vec3b(0, 0, 230));  // left edge at x = 100
  CHECK(written.at<cv::Vec3b>(75, 90) == cv::Vec3b(128, 128, 128));
  CHECK(r.faces[0].box == cv::Rect(400, 200, 200, 200));  // the report keeps original pixels
  // Without a limit the image is written as decoded.
  AnnotatedImageSink full(out.path() / "full", card);
  CHECK(full.pixels_needed() == Sink::kFullSize);
  cv::Mat small(60, 80, CV_8UC3, cv::Scalar::all(128));
  FileResult r2;
  r2.width = 80;
  r2.height = 60;
  full.image(input("/p/s.png", "p/s.png"), r2, small);
  CHECK(cv::imread(r2.output).size() == cv::Size(80, 60));
}

TEST_CASE("rescale_faces maps boxes between image sizes by their corners", "[media_sinks]") {
  const auto f = rescale_faces({face({10, 20, 30, 40}, "mask")}, {100, 100}, {50, 25});
  CHECK(f[0].box == cv::Rect(5, 5, 15, 10));
  CHECK(rescale_faces({face({1, 1, 1, 1}, "mask")}, {100, 100}, {10, 10})[0].box.area() >= 1);
  CHECK(rescale_faces({face({3, 4, 5, 6}, "mask")}, {0, 0}, {10, 10})[0].box ==
        cv::Rect(3, 4, 5, 6));
}

TEST_CASE("face crops are named by their label", "[media_sinks]") {
  testing::TempDir out;
  ModelCard card;
  card.crop_margin = 0.1;
  CropSink sink(out.path(), card);
  cv::Mat bgr(60, 80, CV_8UC3, cv::Scalar::all(90));
  FileResult r;
  r.faces = {face({10, 10, 20, 20}, "mask"), face({40, 20, 20, 20}, "no_mask")};
  sink.image(input("x/group.jpg", "x/group.jpg"), r, bgr);
  CHECK(fs::exists(out.path() / "crops/x/group.face0.mask.jpg"));
  CHECK(fs::exists(out.path() / "crops/x/group.face1.no_mask.jpg"));
}

TEST_CASE("an annotated video holds every frame and the per-frame records one line each",
          "[media_sinks]") {
  testing::TempDir out;
  ModelCard card;
  AnnotatedVideoSink video(out.path(), card);
  FrameRecordSink records(out.path());
  const InputFile in = input("/videos/clip.mov", "videos/clip.mov");
  FileResult r;
  r.path = in.display;
  r.kind = FileKind::Video;
  r.fps = 10;
  for (int i = 0; i < 7; ++i) {
    cv::Mat frame(48, 64, CV_8UC3, cv::Scalar::all(40));
    FrameRecord rec;
    rec.index = i;
    rec.time_ms = i * 100.0;
    if (i % 2) rec.faces = {face({5, 5, 20, 20}, "mask")};
    video.frame(in, r, rec, frame);
    records.frame(in, r, rec, frame);
  }
  video.file(in, r);
  records.file(in, r);
  CHECK(r.output == (out.path() / "videos/clip.mov.mp4").string());
  CHECK(r.frames_file == (out.path() / "videos/clip.mov.frames.jsonl").string());
  cv::VideoCapture cap(r.output, cv::CAP_FFMPEG);
  REQUIRE(cap.isOpened());
  int frames = 0;
  for (cv::Mat f; cap.read(f);) ++frames;
  CHECK(frames == 7);
  const std::string lines = testing::read_text(r.frames_file);
  CHECK(std::count(lines.begin(), lines.end(), '\n') == 7);
}

TEST_CASE("an annotated video keeps its source's sound unless told not to", "[media_sinks]") {
  const fs::path clip = testing::fixture("video/short_hamilton_clip.mp4");
  testing::TempDir out;
  ModelCard card;
  const auto write = [&](bool audio, const std::string& name) {
    AnnotatedVideoSink video(out.path() / name, card, audio);
    const InputFile in = input(clip, "clip.mp4");
    FileResult r;
    r.kind = FileKind::Video;
    r.fps = 29.97;
    cv::VideoCapture cap(clip.string(), cv::CAP_FFMPEG);
    cv::Mat frame;
    for (int i = 0; i < 10 && cap.read(frame); ++i) {
      FrameRecord rec;
      rec.index = i;
      rec.time_ms = i * 1000 / 29.97;
      video.frame(in, r, rec, frame);
    }
    video.file(in, r);
    CHECK(r.warnings.empty());
    REQUIRE(r.output == (out.path() / name / "clip.mp4").string());
    return testing::run_command(
               "ffprobe -v error -select_streams a -show_entries stream=codec_name -of csv=p=0 " +
               testing::q(r.output))
        .out;
  };
  CHECK(write(true, "with") == "aac\n");
  CHECK(write(false, "without").empty());
}

TEST_CASE("an annotated video that cannot be written is a warning, not an output",
          "[media_sinks]") {
  testing::TempDir out;
  testing::write_file(out.path() / "videos", "a file where the folder would go");
  ModelCard card;
  AnnotatedVideoSink video(out.path(), card);
  const InputFile in = input("/videos/clip.mov", "videos/clip.mov");
  FileResult r;
  r.kind = FileKind::Video;
  cv::Mat frame(48, 64, CV_8UC3, cv::Scalar::all(40));
  video.frame(in, r, FrameRecord{}, frame);
  video.file(in, r);
  CHECK(r.output.empty());
  REQUIRE(r.warnings.size() == 1);
  CHECK_THAT(r.warnings[0], Catch::Contains("annotated video not written: cannot write video"));
}
