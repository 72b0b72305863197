// Wires the stages together: walks the inputs, decodes, detects, classifies, annotates and hands
// results, in input order, to the report writers. Owns the threads.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "maskdetect/detector.hpp"
#include "maskdetect/types.hpp"

namespace maskdetect {

struct FailOn {
  bool no_mask = false, any_face = false, error = false;
};

struct PipelineOptions {
  std::vector<std::string> inputs;
  std::filesystem::path out_dir;
  DetectorOptions detector;
  std::filesystem::path model;          // .onnx or its .json card
  float threshold = 0.5F;               // P(mask) at or above which a face is "mask"
  std::optional<float> face_threshold;  // P(face) below which a box is dropped; none: the card's
  int threads = 0;                      // 0: one per core
  bool annotate = true;
  bool save_crops = false;
  std::uint64_t max_pixels = 100'000'000;
  std::string jsonl;  // empty: none; "-": stdout
  bool quiet = false, verbose = false, progress = false;
  FailOn fail_on;
  const std::atomic<bool>* cancel = nullptr;  // set (e.g. by SIGINT) to stop taking new work
};

struct PipelineOutcome {
  RunSummary summary;
  int exit_status = 0;  // 0 ok, 1 some inputs failed, 3 --fail-on met, 130 interrupted
};

// Throws SetupError when the run cannot start (model, cascade, output folder, JSONL file).
// `stdin_list` supplies paths for the input "-"; `data_out` receives JSONL for "-"; `log`
// receives warnings, progress and the summary.
PipelineOutcome run_pipeline(const PipelineOptions& options, std::istream& stdin_list,
                             std::ostream& data_out, std::ostream& log);

// The process exit status for a finished run.
int exit_status_for(const RunSummary& summary, const FailOn& fail_on);

}  // namespace maskdetect
