// Cameras and network streams. They are read on a thread of their own so that a slow analysis
// never lets frames pile up: the newest frame wins, older ones are dropped and counted, and
// memory stays flat however long the source runs.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <opencv2/core/mat.hpp>
#include <opencv2/videoio.hpp>
#include <string>
#include <thread>

#include "maskdetect/video_source.hpp"

namespace maskdetect {

// Whether an --input names a live source rather than a file: a URL FFmpeg reads as a stream
// (rtsp, rtmp, http, https, udp, tcp, srt), a camera device /dev/videoN, or camera:N.
bool is_live_input(const std::string& spec);

// The device or URL to open: camera:N is /dev/videoN, anything else stays as it is.
std::string live_target(const std::string& spec);

// A name for the source's outputs under --out: "camera0", "rtsp_cam.local_554_live", ...
std::string live_output_name(const std::string& spec);

// Checks that a camera named by spec exists and is a character device, before the run starts
// (a missing camera is a usage error, not a failed input). Returns the problem; empty when none
// or when spec is not a camera.
std::string camera_problem(const std::string& spec);

class LiveSource : public FrameSource {
 public:
  // Opens the source and waits for its first frame (at most timeout_ms for streams). Throws
  // InputError when it cannot be opened or its frames are larger than max_pixels.
  LiveSource(const std::string& spec, std::uint64_t max_pixels, int timeout_ms = 10000);
  ~LiveSource() override;
  LiveSource(const LiveSource&) = delete;
  LiveSource& operator=(const LiveSource&) = delete;

  double fps() const override { return fps_; }
  cv::Size size() const override { return size_; }
  std::int64_t frame_count() const override { return 0; }
  // The newest frame not yet taken (waiting for one if needed), with its time since the first
  // frame arrived. False once the source has ended and every frame was taken.
  bool read(cv::Mat& bgr, double& time_ms) override;
  bool oversized() const override;
  std::int64_t dropped_frames() const override;
  bool live() const override { return true; }

 private:
  void read_loop();

  cv::VideoCapture cap_;
  std::uint64_t max_pixels_;
  double fps_ = 0;
  cv::Size size_;
  std::thread reader_;
  mutable std::mutex mutex_;
  std::condition_variable ready_;
  cv::Mat latest_;  // the newest frame not yet taken; empty when none
  double latest_ms_ = 0;
  std::int64_t dropped_ = 0;
  bool ended_ = false, stop_ = false, oversized_ = false;
};

}  // namespace maskdetect
