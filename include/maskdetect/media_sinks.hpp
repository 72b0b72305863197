// The sinks that write media under --out, mirroring the input tree: annotated images and
// videos, face crops, and each video's per-frame records.
#pragma once

#include <filesystem>
#include <fstream>
#include <memory>

#include "maskdetect/model_card.hpp"
#include "maskdetect/report.hpp"
#include "maskdetect/sink.hpp"
#include "maskdetect/video_writer.hpp"

namespace maskdetect {

// Every face crop as the classifier framed it, under <out>/crops/, named by label. Reads the
// pixels as decoded, so it must come before the sinks that draw on them.
class CropSink : public Sink {
 public:
  CropSink(std::filesystem::path out_dir, const ModelCard& card);
  int pixels_needed() const override { return kFullSize; }
  void image(const InputFile& input, FileResult& result, cv::Mat& bgr) override;
  void frame(const InputFile& input, FileResult& video, const FrameRecord& frame,
             cv::Mat& bgr) override;

 private:
  void save(const cv::Mat& bgr, const std::vector<Face>& faces, const InputFile& input,
            const std::string& tag);
  std::filesystem::path out_dir_;
  const ModelCard& card_;
};

// Annotated images: the mirrored path, with .jpg added when OpenCV cannot write the original
// extension. Never overwrites an input. Images whose longest side exceeds `max_side` (0: no
// limit) are written scaled down to it: a camera photo's annotated copy is for looking at, and
// decoding and encoding 12 MP for it cost more than finding the faces.
class AnnotatedImageSink : public Sink {
 public:
  AnnotatedImageSink(std::filesystem::path out_dir, const ModelCard& card, int max_side = 0);
  int pixels_needed() const override { return max_side_; }
  void image(const InputFile& input, FileResult& result, cv::Mat& bgr) override;

 private:
  std::filesystem::path out_dir_;
  const ModelCard& card_;
  int max_side_;
};

// `faces` with their boxes in the pixels of an image of `to` instead of `from`.
std::vector<Face> rescale_faces(std::vector<Face> faces, cv::Size from, cv::Size to);

// Annotated videos: every frame, H.264 MP4 at the source's rate and size with the source's
// audio copied in (MPEG-4 Part 2 when no H.264 encoder is present, with a warning). VideoWriter
// encodes on a thread of its own, so the pipeline's output stage only draws and hands over.
class AnnotatedVideoSink : public Sink {
 public:
  // `audio`: copy the source's sound (never a live source's: a stream would be opened twice).
  // [start_s, end_s): the part of each video processed, in seconds (end_s < 0: to the end),
  // whose audio is copied; a video that stops before its end keeps the sound up to its last
  // frame.
  AnnotatedVideoSink(std::filesystem::path out_dir, const ModelCard& card, bool audio = true,
                     double start_s = 0, double end_s = -1);
  void frame(const InputFile& input, FileResult& video, const FrameRecord& frame,
             cv::Mat& bgr) override;
  void file(const InputFile& input, FileResult& result) override;

 private:
  void open(const InputFile& input, FileResult& r, const cv::Mat& bgr);
  void fail(FileResult& r, const std::string& why);
  std::filesystem::path out_dir_;
  const ModelCard& card_;
  bool audio_;
  double start_s_, end_s_;
  std::unique_ptr<VideoWriter> writer_;
  std::filesystem::path current_;  // the video being written
  double last_ms_ = 0;             // time of the last frame written
};

// <video>.frames.jsonl beside the annotated video: one record per frame.
class FrameRecordSink : public Sink {
 public:
  explicit FrameRecordSink(std::filesystem::path out_dir);
  void frame(const InputFile& input, FileResult& video, const FrameRecord& frame,
             cv::Mat& bgr) override;
  void file(const InputFile& input, FileResult& result) override;

 private:
  std::filesystem::path out_dir_, path_;
  std::ofstream out_;
  std::unique_ptr<JsonlWriter> lines_;
  bool failed_ = false;
};

// Where an annotated image of `out_rel` goes.
std::filesystem::path image_output_path(const std::filesystem::path& out_dir,
                                        const std::filesystem::path& out_rel);

}  // namespace maskdetect
