#include "maskdetect/video_source.hpp"

#include <unistd.h>

#include <cmath>
#include <string>
#include <vector>

#include "maskdetect/image_decode.hpp"

extern "C" {
#include <libavformat/avformat.h>
#include <libavutil/dict.h>
}

namespace maskdetect {
namespace {

// Consecutive failed reads after which a damaged video is taken to have ended. FFmpeg skips a
// damaged stretch within a few reads (8 for 20 KB of garbage in the fixture); at the real end
// every further read fails at once, so the retries cost microseconds.
constexpr int kMaxFailedReads = 64;

std::string mpx(std::uint64_t pixels) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", static_cast<double>(pixels) / 1e6);
  return buf;
}

// The size of the best video stream as the decoder will see it. avformat_find_stream_info
// decodes a few frames to learn it; with max_pixels handed to those decoders, a stream that
// claims a huge size fails their size check instead of allocating frames.
cv::Size probe_size(const std::string& url, std::uint64_t max_pixels) {
  AVFormatContext* ctx = nullptr;
  if (avformat_open_input(&ctx, url.c_str(), nullptr, nullptr) < 0)
    throw InputError("cannot open video: no demuxer could read it");
  struct Close {
    AVFormatContext** ctx;
    ~Close() { avformat_close_input(ctx); }
  } close{&ctx};
  std::vector<AVDictionary*> options(ctx->nb_streams, nullptr);
  for (auto& o : options)
    av_dict_set_int(&o, "max_pixels", static_cast<std::int64_t>(max_pixels), 0);
  const int probed = avformat_find_stream_info(ctx, options.empty() ? nullptr : options.data());
  for (auto& o : options) av_dict_free(&o);
  if (probed < 0) throw InputError("cannot open video: FFmpeg could not read its streams");
  const int stream = av_find_best_stream(ctx, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  if (stream < 0) throw InputError("no video stream in the file");
  const AVCodecParameters* par = ctx->streams[stream]->codecpar;
  return {par->width, par->height};
}

// The container's own statement of the frame size, read before anything is decoded; what the
// probe reports when the probe's decoders refused the frames as too large.
cv::Size claimed_size(const std::string& url) {
  AVFormatContext* ctx = nullptr;
  if (avformat_open_input(&ctx, url.c_str(), nullptr, nullptr) < 0) return {};
  cv::Size size;
  for (unsigned i = 0; i < ctx->nb_streams; ++i) {
    const AVCodecParameters* par = ctx->streams[i]->codecpar;
    if (par->codec_type == AVMEDIA_TYPE_VIDEO && par->width > 0) {
      size = {par->width, par->height};
      break;
    }
  }
  avformat_close_input(&ctx);
  return size;
}

}  // namespace

VideoSource::VideoSource(const std::filesystem::path& path, std::uint64_t max_pixels)
    : max_pixels_(max_pixels) {
  fd_ = open_regular_file(path);
  // FFmpeg opens the descriptor checked above, not whatever the path names by then.
  const std::string url = "/proc/self/fd/" + std::to_string(fd_);
  try {
    size_ = probe_size(url, max_pixels);
    if (size_.area() == 0) size_ = claimed_size(url);
    const auto pixels =
        static_cast<std::uint64_t>(size_.width) * static_cast<std::uint64_t>(size_.height);
    if (pixels == 0)
      throw InputError("the video's frame size could not be read (or is above --max-pixels " +
                       std::to_string(max_pixels) + "); refused before decoding");
    if (pixels > max_pixels)
      throw InputError("video frames are " + std::to_string(size_.width) + "x" +
                       std::to_string(size_.height) + " (" + mpx(pixels) +
                       " Mpx), above --max-pixels " + std::to_string(max_pixels) +
                       ": refused before decoding");
    try {
      cap_.open(url, cv::CAP_FFMPEG);
    } catch (const cv::Exception&) {
    }
    if (!cap_.isOpened()) throw InputError("cannot open video: no decoder could read it");
  } catch (...) {
    ::close(fd_);
    throw;
  }
  fps_ = cap_.get(cv::CAP_PROP_FPS);
  const double count = cap_.get(cv::CAP_PROP_FRAME_COUNT);
  frame_count_ = std::isfinite(count) && count > 0 ? static_cast<std::int64_t>(count) : 0;
}

VideoSource::~VideoSource() {
  cap_.release();
  if (fd_ >= 0) ::close(fd_);
}

bool VideoSource::read(cv::Mat& bgr, double& time_ms) {
  if (oversized_) return false;
  for (int failed = 0; failed < kMaxFailedReads; ++failed) {
    bool ok = false;
    try {
      ok = cap_.read(bgr) && !bgr.empty();
    } catch (const cv::Exception&) {
    }
    if (!ok) {
      // A failure before the announced end is damage; past it, the end itself.
      if (frame_count_ > 0 && decoded_ >= frame_count_) return false;
      if (first_loss_at_ < 0) first_loss_at_ = decoded_;
      continue;
    }
    const auto pixels = static_cast<std::uint64_t>(bgr.total());
    if (pixels > max_pixels_) {
      oversized_ = true;
      bgr.release();
      return false;
    }
    const double fps = fps_ > 0 ? fps_ : 25.0;
    const double pos = cap_.get(cv::CAP_PROP_POS_MSEC);
    time_ms = std::isfinite(pos) && pos > 0 ? pos : static_cast<double>(decoded_) * 1000.0 / fps;
    ++decoded_;
    return true;
  }
  return false;
}

std::int64_t VideoSource::lost_frames() const {
  return frame_count_ > decoded_ ? frame_count_ - decoded_ : 0;
}

}  // namespace maskdetect
