// Everything a run produces (reports, annotated media, the console) is a Sink handed to the
// pipeline from outside, so the pipeline only orchestrates and a test can record what it sends.
#pragma once

#include <opencv2/core/mat.hpp>

#include "maskdetect/input_walk.hpp"
#include "maskdetect/types.hpp"

namespace maskdetect {

class Sink {
 public:
  virtual ~Sink() = default;

  // How many pixels of an image the sink writes out: kNoPixels, kFullSize, or the longest side
  // it needs. The pipeline decodes each image at the least size every sink and the detector
  // need (a JPEG may then be decoded reduced, see DecodeOptions::reduce_to).
  static constexpr int kNoPixels = -1, kFullSize = 0;
  virtual int pixels_needed() const { return kNoPixels; }

  // An analysed image with its pixels. Called from worker threads, concurrently for different
  // images, in the order the sinks were given; may record outputs and warnings in `result`.
  // `bgr` may be smaller than the original (result.width x result.height), in which the face
  // boxes are given: scale them by bgr.cols / result.width.
  virtual void image(const InputFile& input, FileResult& result, cv::Mat& bgr) {
    (void)input, (void)result, (void)bgr;
  }

  // A video frame, in input order, on one thread. Earlier sinks may have drawn on `bgr`.
  virtual void frame(const InputFile& input, FileResult& video, const FrameRecord& frame,
                     cv::Mat& bgr) {
    (void)input, (void)video, (void)frame, (void)bgr;
  }

  // A finished file, in input order, on one thread: an image, a video with its totals, or an
  // input that failed. Earlier sinks may have recorded outputs in `result`.
  virtual void file(const InputFile& input, FileResult& result) { (void)input, (void)result; }

  // Once, after the last file, with the run's totals.
  virtual void finish(const RunSummary& summary) { (void)summary; }
};

}  // namespace maskdetect
