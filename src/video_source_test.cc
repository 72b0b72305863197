#include "maskdetect/video_source.hpp"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <opencv2/videoio.hpp>

#include "maskdetect/image_decode.hpp"
#include "test_support.hpp"

using namespace maskdetect;
namespace fs = std::filesystem;

namespace {

fs::path write_clip(const fs::path& dir, int frames, cv::Size size = {64, 48}) {
  const fs::path p = dir / "clip.avi";
  cv::VideoWriter w(p.string(), cv::CAP_FFMPEG, cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), 20,
                    size);
  REQUIRE(w.isOpened());
  for (int i = 0; i < frames; ++i) w.write(cv::Mat(size, CV_8UC3, cv::Scalar::all(i * 5)));
  return p;
}

}  // namespace

TEST_CASE("a video's frames come in order with their presentation times", "[video]") {
  testing::TempDir dir;
  VideoSource v(write_clip(dir.path(), 12), 100'000'000);
  CHECK(v.size() == cv::Size(64, 48));
  CHECK(v.fps() == Approx(20));
  cv::Mat frame;
  double t = 0, last = -1;
  int n = 0;
  while (v.read(frame, t)) {
    CHECK(frame.size() == cv::Size(64, 48));
    CHECK(t > last);
    last = t;
    ++n;
  }
  CHECK(n == 12);
  CHECK(last == Approx(11 * 50.0));
  CHECK(v.lost_frames() == 0);
  CHECK(v.first_loss_at() == -1);
}

TEST_CASE("frames above max_pixels are refused before any is decoded", "[video]") {
  testing::TempDir dir;
  const fs::path clip = write_clip(dir.path(), 3, {320, 240});
  try {
    VideoSource v(clip, 320 * 240 - 1);
    FAIL("a 320x240 video passed a limit of 76799 pixels");
  } catch (const InputError& e) {
    CHECK(std::string(e.what()).find("320x240") != std::string::npos);
    CHECK(std::string(e.what()).find("above --max-pixels") != std::string::npos);
  }
  CHECK_NOTHROW(VideoSource(clip, 320 * 240));
}

TEST_CASE("a video path that is a FIFO, or not a video, is refused at once", "[video]") {
  testing::TempDir dir;
  const fs::path fifo = dir.path() / "clip.mp4";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  CHECK_THROWS_AS(VideoSource(fifo, 100'000'000), InputError);
  const fs::path text = dir.path() / "notes.mp4";
  std::ofstream(text) << "not a video at all";
  CHECK_THROWS_AS(VideoSource(text, 100'000'000), InputError);
}

TEST_CASE("a video with a claimed size of 16000x16000 is refused from its stream header",
          "[video][hostile]") {
  const fs::path p = testing::shared_file("hostile/video-claims-16000x16000.mp4");
  CHECK_THROWS_WITH(VideoSource(p, 100'000'000), Catch::Contains("16000x16000"));
}

TEST_CASE("a damaged video is read past the damage and the loss is counted", "[video][hostile]") {
  const fs::path p = testing::shared_file("hostile/video-corrupt-middle.mp4");
  VideoSource v(p, 100'000'000);
  cv::Mat frame;
  double t = 0;
  int n = 0;
  while (v.read(frame, t)) ++n;
  // FFmpeg's own CLI decodes 264 of the 275 frames; OpenCV used to stop at 113.
  CHECK(n == 264);
  CHECK(v.lost_frames() == 11);
  CHECK(v.first_loss_at() == 113);
}
