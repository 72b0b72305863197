// What a person watching the terminal sees: a line for each failed file (and, with --verbose or
// warnings, each file), a progress line when stderr is a terminal, and the summary at the end.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "maskdetect/sink.hpp"

namespace maskdetect {

struct ConsoleOptions {
  bool quiet = false, verbose = false, progress = false;
  std::vector<std::string> labels;  // the model's face labels, in the summary's order
  // The files the run will report, or -1 while unknown (InputCounter::total); none: unknown.
  std::function<std::int64_t()> total = {};
};

class ConsoleSink : public Sink {
 public:
  ConsoleSink(std::ostream& log, ConsoleOptions options);
  void frame(const InputFile& input, FileResult& video, const FrameRecord& frame,
             cv::Mat& bgr) override;
  void file(const InputFile& input, FileResult& result) override;
  void finish(const RunSummary& summary) override;

 private:
  void progress();
  std::string files_progress(double seconds) const;
  std::string video_progress() const;
  std::ostream& log_;
  ConsoleOptions o_;
  RunSummary seen_;                    // what the progress line counts
  std::int64_t resumed_ = 0;           // of seen_.files: taken from an earlier run (--resume)
  std::int64_t frames_ = 0;            // of the video being read
  const FileResult* video_ = nullptr;  // the video being read; valid until its file() call
  std::chrono::steady_clock::time_point video_start_{};
  std::chrono::steady_clock::time_point start_, last_{};
};

}  // namespace maskdetect
