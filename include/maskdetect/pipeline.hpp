// Orchestration only: walks the inputs, decodes images and video frames, has them analysed in
// parallel by one Engine per worker, and hands the results, in input order, to the sinks.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <string>
#include <vector>

#include "maskdetect/engine.hpp"
#include "maskdetect/shard.hpp"
#include "maskdetect/sink.hpp"
#include "maskdetect/stop.hpp"
#include "maskdetect/tracker.hpp"
#include "maskdetect/types.hpp"

namespace maskdetect {

class ResumeSet;

struct VideoOptions {
  // The detector runs on every stride-th frame; the frames between get the faces' tracks,
  // moved as they move (1: detect on every frame; 0: default_stride of the detector).
  int stride = 0;
  // The part of each video to process, in seconds of the video; end 0: to the end.
  double start_s = 0, end_s = 0;
  // Stop each video or live source after this many seconds of it or frames (0: no limit).
  double max_seconds = 0;
  std::int64_t max_frames = 0;
  // The label of a track from the mean of its faces' scores (the model card's rule).
  LabelRule label_rule;
  TrackerOptions tracker;
};

struct PipelineOptions {
  // Files, folders, glob patterns, "-" for paths on stdin, "@FILE" for paths in FILE.
  std::vector<std::string> inputs;
  char list_separator = '\n';              // between the paths of "-" and "@FILE" ('\0': -0)
  std::filesystem::path out_dir;           // never walked into (sinks write there)
  int threads = 0;                         // 0: one per core; results do not depend on it
  std::uint64_t max_pixels = 100'000'000;  // images and video frames above are refused
  // When no sink writes pixels, a JPEG may be decoded reduced as long as its longest side stays
  // at least this long (the detection size); 0: always full size.
  int reduce_to = 0;
  // Every video's faces_by_label lists these, at 0 when no face had them (the model's face
  // labels).
  std::vector<std::string> labels;
  // Asked (SIGINT, SIGTERM, a closed stdout) to stop taking new work; the summary says why.
  const StopRequest* cancel = nullptr;
  // --resume: inputs an earlier run finished, replayed into the sinks instead of processed.
  ResumeSet* resume = nullptr;
  // --shard: only the inputs of this part are processed and reported; the others pass unseen.
  Shard shard;
  // Set to end the run early as if the inputs had ended, not as an interruption (--show's q).
  const std::atomic<bool>* stop = nullptr;
  // Videos and live sources.
  VideoOptions video;
};

// Returns the run's totals after every sink's finish(). A bad input never throws: it becomes
// that file's error. Throws what `engines` throws while building the workers (SetupError).
RunSummary run_pipeline(const PipelineOptions& options, const EngineFactory& engines,
                        const std::vector<Sink*>& sinks, std::istream& stdin_list);

}  // namespace maskdetect
