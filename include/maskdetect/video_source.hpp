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

class VideoSource {
 public:
  // Opens a regular file (a FIFO or device is refused, never waited on) and reads the frame
  // size the codec will decode, not just what the container claims: FFmpeg probes the stream
  // with its max_pixels limit, so a header that asks for gigabytes costs nothing. Throws
  // InputError (cannot open, frame size unknown or above max_pixels).
  VideoSource(const std::filesystem::path& path, std::uint64_t max_pixels);
  ~VideoSource();
  VideoSource(const VideoSource&) = delete;
  VideoSource& operator=(const VideoSource&) = delete;

  double fps() const { return fps_; }
  cv::Size size() const { return size_; }
  std::int64_t frame_count() const { return frame_count_; }  // as the container says; 0: unknown

  // The next frame and its presentation time. False at the end. When a frame cannot be decoded
  // reading goes on (FFmpeg resumes at the next frame it can decode); the frames that cost are
  // counted by lost_frames().
  bool read(cv::Mat& bgr, double& time_ms);

  // Frames the container announced that were never decoded, and where decoding first failed.
  std::int64_t lost_frames() const;
  std::int64_t first_loss_at() const { return first_loss_at_; }  // frame index; -1: none
  // A frame that came out larger than max_pixels (the stream changed size): reading stops.
  bool oversized() const { return oversized_; }

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
