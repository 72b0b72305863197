// An MP4 writer built on FFmpeg's libraries: H.264 video encoded on a thread of its own, and the
// source's audio copied in unchanged. cv::VideoWriter can do neither, so annotated videos lost
// their sound and the pipeline's output thread spent its time encoding.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <opencv2/core/mat.hpp>
#include <string>
#include <vector>

namespace maskdetect {

struct VideoWriterOptions {
  cv::Size size;    // of the video written; frames of another size are scaled to it
  double fps = 25;  // the source's frame rate
  // Every audio stream of this file that MP4 can hold is copied (not re-encoded); empty: none.
  std::filesystem::path audio_from;
  // The part of the source being written, in seconds on its video's clock (a frame's time_ms /
  // 1000): only the audio within [start_s, end_s) is copied, and output time 0 is start_s.
  // start_s = 0 also keeps audio that begins before the first frame; end_s < 0: to the end.
  double start_s = 0, end_s = -1;
  // libx264's speed and quality; when FFmpeg lacks `encoder` the video is MPEG-4 Part 2.
  // ultrafast: 8 ms of CPU a 1280x720 frame against veryfast's 20 and cv::VideoWriter's 60, on
  // a 2-core budget of 67 ms for everything; its files are 2.2x veryfast's.
  std::string encoder = "libx264", preset = "ultrafast";
  int crf = 23;
  // The encoder's threads. 0: one up to 1920x1088, where one keeps up and x264's own choice
  // (1.5 a core) costs up to 25% more CPU; x264's choice above.
  int threads = 0;
  int queue = 4;  // frames write() may hand over before it waits for the encoder
  std::function<void()> before_encode;  // tests: runs on the encoder thread before each frame
};

// Writes `out` as an MP4 (moov first, so it plays while loading). Construction opens the file
// and throws std::runtime_error when it cannot; what degrades instead (no H.264 encoder, an
// audio stream MP4 cannot hold, an unreadable audio source) is listed in warnings(). write() and
// close() are for one thread; an error on the encoder thread is rethrown by the next of them.
class VideoWriter {
 public:
  VideoWriter(const std::filesystem::path& out, const VideoWriterOptions& options);
  ~VideoWriter();  // closes, swallowing errors: call close() to learn of them
  VideoWriter(const VideoWriter&) = delete;
  VideoWriter& operator=(const VideoWriter&) = delete;

  // Queues a copy of an 8-bit BGR frame shown at `time_ms` on the source video's clock; blocks
  // while `queue` frames wait.
  void write(const cv::Mat& bgr, double time_ms);
  // Encodes what is queued, copies the rest of the audio and finishes the file. Idempotent.
  void close();
  // close(), with the sound ending at `time_ms` on the source video's clock: a video stopped
  // early (Ctrl-C, --max-frames, --duration) keeps only the sound of what it shows.
  void close(double audio_end_ms);
  const std::vector<std::string>& warnings() const;

 private:
  void close_with(std::int64_t audio_end_us);
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace maskdetect
