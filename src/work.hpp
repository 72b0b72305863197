// What flows through the pipeline's three stages (private to pipeline.cc and input_source.cc).
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <opencv2/core/mat.hpp>
#include <optional>
#include <string>

#include "maskdetect/input_walk.hpp"
#include "maskdetect/media_sniff.hpp"
#include "maskdetect/pipeline.hpp"
#include "maskdetect/types.hpp"
#include "maskdetect/video_source.hpp"

namespace maskdetect {

// A video being read. Made by the input stage before its first frame, then read and changed
// only by the in-order output stage: workers never touch it.
struct VideoState {
  InputFile input;
  FileResult result;
  std::int64_t failed_frames = 0, detected_frames = 0;
  std::unique_ptr<Tracker> tracker;
  double last_ms = -1;  // time of the previous frame, for the seconds each label is on screen

  // Adds the frame's time to seconds_by_label: a frame lasts until the next one; the first
  // counts one nominal frame.
  void count_seconds(const FrameRecord& frame) {
    const double t = frame.time_ms;
    const double fps = result.fps > 0 ? result.fps : 25.0;
    const double dt = last_ms >= 0 && t > last_ms ? (t - last_ms) / 1000 : 1 / fps;
    last_ms = t;
    const auto& faces = frame.faces;
    for (auto f = faces.begin(); f != faces.end(); ++f) {
      // Once per label on screen, however many faces have it.
      const auto same = [&](const Face& g) { return g.label == f->label; };
      if (std::none_of(faces.begin(), f, same)) result.seconds_by_label[f->label] += dt;
    }
  }
};

struct Work {
  // Dropped: a photo left unprocessed by an urgent stop; no sink sees it.
  enum class Type { File, Frame, VideoEnd, Dropped } type = Type::File;
  InputFile input;                    // File
  MediaInfo info;                     // File
  FileResult result;                  // File: filled by the worker (images) or already failed
  std::shared_ptr<VideoState> video;  // Frame, VideoEnd
  bool detect = true;                 // Frame: run the detector (else the tracks carry faces)
  // Frame: decoded pixels, what the worker found, and why it failed (empty: it did not).
  cv::Mat pixels;
  FrameRecord record;
  StageTimes times;
  std::string error;
  // VideoEnd: how reading ended.
  bool interrupted = false, oversized = false;
  std::int64_t lost_frames = 0, first_loss_at = -1, announced_frames = 0, dropped_frames = 0;
};

// The pipeline's first stage: walks the inputs, sniffs each file, opens videos and reads their
// frames, one item per call, in input order.
class InputSource {
 public:
  InputSource(const PipelineOptions& options, std::istream& stdin_list);
  ~InputSource();
  std::optional<Work> next();
  bool interrupted() const { return interrupted_; }

 private:
  bool cancelled();
  std::optional<Work> next_file();
  Work open_video(InputFile input, const MediaInfo& info);
  Work open_live(InputFile input);
  Work start_video(InputFile input, FileKind kind, const std::string& format);
  bool read_frame(Work& w);
  Work next_frame();

  const PipelineOptions& o_;
  InputWalker walker_;
  std::unique_ptr<FrameSource> video_;
  std::shared_ptr<VideoState> state_;
  std::int64_t index_ = 0;  // frames of the current video handed on
  bool interrupted_ = false;
};

}  // namespace maskdetect
