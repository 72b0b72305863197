// Reads a video's frames in order, refusing frames larger than --max-pixels before any is
// decoded, and decoding past damage as far as FFmpeg can.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <opencv2/core/mat.hpp>
#include <opencv2/videoio.hpp>
#include <string>

namespace maskdetect {

// Frames in order from a video file, a stream or a camera.
class FrameSource {
 public:
  virtual ~FrameSource() = default;
  virtual double fps() const = 0;                // 0: unknown
  virtual cv::Size size() const = 0;             // of the frames to come
  virtual std::int64_t frame_count() const = 0;  // as the container says; 0: unknown or live
  // The next frame and its presentation time. False at the end.
  virtual bool read(cv::Mat& bgr, double& time_ms) = 0;
  virtual std::int64_t lost_frames() const { return 0; }
  virtual std::int64_t first_loss_at() const { return -1; }
  virtual bool oversized() const = 0;
  // Live sources: frames skipped because processing fell behind (the newest frame wins).
  virtual std::int64_t dropped_frames() const { return 0; }
  virtual bool live() const { return false; }
};

class VideoSource : public FrameSource {
 public:
  // Opens a regular file (a FIFO or device is refused, never waited on) and reads the frame
  // size the codec will decode, not just what the container claims: FFmpeg probes the stream
  // with its max_pixels limit, so a header that asks for gigabytes costs nothing. Throws
  // InputError (cannot open, frame size unknown or above max_pixels).
  VideoSource(const std::filesystem::path& path, std::uint64_t max_pixels);
  ~VideoSource() override;
  VideoSource(const VideoSource&) = delete;
  VideoSource& operator=(const VideoSource&) = delete;

  double fps() const override { return fps_; }
  cv::Size size() const override { return size_; }
  std::int64_t frame_count() const override { return frame_count_; }

  // The next frame and its presentation time. False at the end. When a frame cannot be decoded
  // reading goes on (FFmpeg resumes at the next frame it can decode); the frames that cost are
  // counted by lost_frames().
  bool read(cv::Mat& bgr, double& time_ms) override;

  // Frames the container announced that were never decoded, and where decoding first failed.
  std::int64_t lost_frames() const override;
  std::int64_t first_loss_at() const override { return first_loss_at_; }  // frame index
  // A frame that came out larger than max_pixels (the stream changed size): reading stops.
  bool oversized() const override { return oversized_; }

 private:
  int fd_ = -1;
  cv::VideoCapture cap_;
  std::uint64_t max_pixels_;
  double fps_ = 0;
  cv::Size size_;
  std::int64_t frame_count_ = 0, decoded_ = 0, first_loss_at_ = -1;
  bool oversized_ = false;
};

}  // namespace maskdetect
