#include "maskdetect/video_writer.hpp"

#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <cstring>
#include <future>
#include <opencv2/videoio.hpp>

#include "test_support.hpp"

extern "C" {
#include <libavformat/avformat.h>
}

using namespace maskdetect;
namespace fs = std::filesystem;

namespace {

const char* kClip = "video/short_hamilton_clip.mp4";

// What libavformat reads back from a written file.
struct Streams {
  int width = 0, height = 0, video_packets = 0;
  std::string video_codec;
  double video_start = 0;
  std::vector<std::string> audio_codecs;
  std::vector<double> audio_seconds, audio_starts;
};

double seconds(std::int64_t ts, AVRational tb) {
  return ts == AV_NOPTS_VALUE ? 0 : static_cast<double>(ts) * av_q2d(tb);
}

Streams probe(const fs::path& path) {
  AVFormatContext* ctx = nullptr;
  REQUIRE(avformat_open_input(&ctx, path.c_str(), nullptr, nullptr) == 0);
  Streams s;
  if (avformat_find_stream_info(ctx, nullptr) >= 0) {
    for (unsigned i = 0; i < ctx->nb_streams; ++i) {
      const AVStream* st = ctx->streams[i];
      const AVCodecParameters* par = st->codecpar;
      if (par->codec_type == AVMEDIA_TYPE_VIDEO) {
        s.width = par->width;
        s.height = par->height;
        s.video_codec = avcodec_get_name(par->codec_id);
        s.video_start = seconds(st->start_time, st->time_base);
      } else if (par->codec_type == AVMEDIA_TYPE_AUDIO) {
        s.audio_codecs.push_back(avcodec_get_name(par->codec_id));
        s.audio_seconds.push_back(seconds(st->duration, st->time_base));
        s.audio_starts.push_back(seconds(st->start_time, st->time_base));
      }
    }
    AVPacket* p = av_packet_alloc();
    while (av_read_frame(ctx, p) >= 0) {
      if (ctx->streams[p->stream_index]->codecpar->codec_type == AVMEDIA_TYPE_VIDEO)
        ++s.video_packets;
      av_packet_unref(p);
    }
    av_packet_free(&p);
  }
  avformat_close_input(&ctx);
  return s;
}

VideoWriterOptions options(cv::Size size = {640, 360}, double fps = 29.97) {
  VideoWriterOptions o;
  o.size = size;
  o.fps = fps;
  return o;
}

// Writes the clip's frames whose time is in [from_ms, to_ms) as the pipeline times them;
// returns how many.
int write_clip(VideoWriter& w, double from_ms = 0, double to_ms = 1e12) {
  cv::VideoCapture cap(testing::fixture(kClip).string(), cv::CAP_FFMPEG);
  REQUIRE(cap.isOpened());
  const double fps = cap.get(cv::CAP_PROP_FPS);
  int n = 0, index = 0;
  for (cv::Mat f; cap.read(f); ++index) {
    const double pos = cap.get(cv::CAP_PROP_POS_MSEC);
    const double t = pos > 0 ? pos : index * 1000.0 / fps;
    if (t < from_ms || t >= to_ms) continue;
    w.write(f, t);
    ++n;
  }
  return n;
}

// A one-second mono 16-bit PCM WAV of silence: audio MP4 cannot hold.
void write_wav(const fs::path& path) {
  const std::uint32_t rate = 8000, bytes = rate * 2;
  std::string wav = "RIFF";
  auto u32 = [&](std::uint32_t v) { wav.append(reinterpret_cast<const char*>(&v), 4); };
  auto u16 = [&](std::uint16_t v) { wav.append(reinterpret_cast<const char*>(&v), 2); };
  u32(36 + bytes);
  wav += "WAVEfmt ";
  u32(16), u16(1), u16(1), u32(rate), u32(rate * 2), u16(2), u16(16);
  wav += "data";
  u32(bytes);
  wav.append(bytes, '\0');
  testing::write_file(path, wav);
}

}  // namespace

TEST_CASE("VideoWriter copies the source's audio unchanged beside H.264 video", "[video_writer]") {
  testing::TempDir dir;
  const fs::path clip = testing::fixture(kClip), out = dir.path() / "clip.mp4";
  VideoWriterOptions o = options();
  o.audio_from = clip;
  VideoWriter w(out, o);
  const int frames = write_clip(w);
  w.close();
  w.close();  // idempotent
  CHECK(w.warnings().empty());

  const Streams source = probe(clip), written = probe(out);
  CHECK(written.video_codec == "h264");
  CHECK(written.width == 640);
  CHECK(written.height == 360);
  CHECK(frames == 275);
  CHECK(written.video_packets == frames);
  REQUIRE(source.audio_seconds.size() == 1);
  REQUIRE(written.audio_codecs.size() == 1);
  CHECK(written.audio_codecs[0] == "aac");
  CHECK(std::abs(written.audio_seconds[0] - source.audio_seconds[0]) < 0.1);
  // The sound keeps its place against the pictures (within a frame).
  CHECK(std::abs((written.video_start - written.audio_starts[0]) -
                 (source.video_start - source.audio_starts[0])) < 1 / 29.97);
}

TEST_CASE("VideoWriter without audio_from writes a file with no audio stream", "[video_writer]") {
  testing::TempDir dir;
  VideoWriter w(dir.path() / "silent.mp4", options());
  CHECK(write_clip(w, 0, 1000) == 30);
  w.close();
  const Streams s = probe(dir.path() / "silent.mp4");
  CHECK(s.video_packets == 30);
  CHECK(s.audio_codecs.empty());
}

TEST_CASE("VideoWriter copies only the audio between start_s and end_s, from time 0",
          "[video_writer]") {
  testing::TempDir dir;
  VideoWriterOptions o = options();
  o.audio_from = testing::fixture(kClip);
  o.start_s = 2;
  o.end_s = 5;
  VideoWriter w(dir.path() / "part.mp4", o);
  const int frames = write_clip(w, 2000, 5000);
  w.close();
  const Streams s = probe(dir.path() / "part.mp4");
  CHECK(frames == 90);
  CHECK(s.video_packets == frames);
  CHECK(s.video_start < 0.05);
  REQUIRE(s.audio_seconds.size() == 1);
  CHECK(s.audio_seconds[0] == Approx(3.0).margin(0.1));
  CHECK(s.audio_starts[0] < 0.05);
}

TEST_CASE("VideoWriter names the path it cannot write", "[video_writer]") {
  testing::TempDir dir;
  testing::write_file(dir.path() / "file", "not a folder");
  const fs::path out = dir.path() / "file" / "clip.mp4";
  try {
    VideoWriter w(out, options());
    FAIL("a video was opened inside a regular file");
  } catch (const std::runtime_error& e) {
    CHECK_THAT(e.what(), Catch::Contains("cannot write video " + out.string()));
    CHECK_THAT(e.what(), Catch::Contains("Not a directory"));
  }
}

TEST_CASE("VideoWriter write returns while the encoder is busy until its queue is full",
          "[video_writer]") {
  testing::TempDir dir;
  std::promise<void> entered, release;
  std::shared_future<void> released = release.get_future().share();
  bool first = true;
  VideoWriterOptions o = options({64, 48}, 10);
  o.queue = 4;
  o.before_encode = [&] {  // holds the encoder on the first frame until released
    if (!std::exchange(first, false)) return;
    entered.set_value();
    released.wait();
  };
  VideoWriter w(dir.path() / "q.mp4", o);
  const cv::Mat frame(48, 64, CV_8UC3, cv::Scalar::all(80));
  w.write(frame, 0);
  entered.get_future().wait();
  // Four more fill the queue without waiting for the encoder...
  auto fill = std::async(std::launch::async, [&] {
    for (int i = 1; i <= 4; ++i) w.write(frame, i * 100.0);
  });
  REQUIRE(fill.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  // ...and the next waits for it: memory stays bounded.
  auto sixth = std::async(std::launch::async, [&] { w.write(frame, 500.0); });
  CHECK(sixth.wait_for(std::chrono::milliseconds(300)) == std::future_status::timeout);
  release.set_value();
  REQUIRE(sixth.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  w.close();
  CHECK(probe(dir.path() / "q.mp4").video_packets == 6);
}

TEST_CASE("VideoWriter falls back to MPEG-4 Part 2 with a warning when the encoder is missing",
          "[video_writer]") {
  testing::TempDir dir;
  VideoWriterOptions o = options({64, 48}, 10);
  o.encoder = "no-such-encoder";
  VideoWriter w(dir.path() / "m.mp4", o);
  for (int i = 0; i < 5; ++i) w.write(cv::Mat(48, 64, CV_8UC3, cv::Scalar::all(i * 40)), i * 100);
  w.close();
  REQUIRE(w.warnings().size() == 1);
  CHECK_THAT(w.warnings()[0], Catch::Contains("MPEG-4 Part 2"));
  const Streams s = probe(dir.path() / "m.mp4");
  CHECK(s.video_codec == "mpeg4");
  CHECK(s.video_packets == 5);
}

TEST_CASE("VideoWriter skips audio MP4 cannot hold with a warning, and odd sizes lose an edge",
          "[video_writer]") {
  testing::TempDir dir;
  write_wav(dir.path() / "pcm.wav");
  VideoWriterOptions o = options({65, 49}, 10);
  o.audio_from = dir.path() / "pcm.wav";
  VideoWriter w(dir.path() / "v.mp4", o);
  for (int i = 0; i < 5; ++i) w.write(cv::Mat(49, 65, CV_8UC3, cv::Scalar::all(i * 40)), i * 100);
  w.close();
  REQUIRE(w.warnings().size() == 1);
  CHECK_THAT(w.warnings()[0], Catch::Contains("pcm_s16le") && Catch::Contains("not copied"));
  const Streams s = probe(dir.path() / "v.mp4");
  CHECK(s.audio_codecs.empty());
  CHECK(s.width == 64);
  CHECK(s.height == 48);
  CHECK(s.video_packets == 5);
}
