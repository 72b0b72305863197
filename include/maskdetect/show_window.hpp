// --show: the annotated frames in a window as they are processed, quit with q or Esc. The
// pipeline hands each frame over (the newest wins, so a slow screen never slows the run) and the
// thread that made the window shows them: OpenCV's Qt windows belong to one thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <opencv2/core/mat.hpp>
#include <string>

#include "maskdetect/model_card.hpp"
#include "maskdetect/sink.hpp"

namespace maskdetect {

// Empty when a window can be opened here; else why not (no DISPLAY, or it does not answer).
// OpenCV's Qt backend aborts the process when it cannot reach the display, so this is asked
// first.
std::string display_problem();

class ShowWindow : public Sink {
 public:
  // Throws SetupError when there is no display (display_problem).
  ShowWindow(std::string title, const ModelCard& card);
  ~ShowWindow() override;

  // Called by the pipeline's in-order stage: draws the frame's faces on a copy and posts it.
  void frame(const InputFile& input, FileResult& video, const FrameRecord& frame,
             cv::Mat& bgr) override;
  // Photos are shown too, one after the other as they finish.
  void image(const InputFile& input, FileResult& result, cv::Mat& bgr) override;

  // On the thread that owns the window: shows posted frames until `done` says the run has
  // finished or the user quits. Returns true when the user quit (q, Esc or closing the window).
  bool show_until(const std::function<bool()>& done);

 private:
  void post(cv::Mat annotated, const std::string& caption);

  std::string title_;
  const ModelCard& card_;
  std::mutex mutex_;
  cv::Mat pending_;  // newest annotated frame not yet shown
  std::string caption_;
};

}  // namespace maskdetect
