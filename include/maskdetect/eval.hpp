// `maskdetect eval`: runs the tool's own analysis (Engine, through the same decode as
// `maskdetect --no-annotate`) over annotated sets and measures what a user of the tool
// experiences (faces found, labels right, "no_mask face found" alerts right). See docs/eval.md
// for the metric definitions.
//
// The pieces live in their own headers, all included here: voc.hpp (annotations),
// eval_metrics.hpp (matching and metrics), eval_dataset.hpp (what is evaluated, split rule,
// faces of a report).
#pragma once

#include <cstddef>
#include <filesystem>
#include <iosfwd>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "maskdetect/engine.hpp"
#include "maskdetect/eval_dataset.hpp"
#include "maskdetect/eval_gate.hpp"
#include "maskdetect/eval_metrics.hpp"
#include "maskdetect/eval_scale.hpp"
#include "maskdetect/voc.hpp"

namespace maskdetect {

struct EvalOptions {
  std::vector<std::filesystem::path> datasets;  // VOC folders or class-folder crop sets
  std::string split = "all";                    // "all", "train", "val" or "test" (split_of)
  std::filesystem::path json_out;               // metrics JSON written here; empty: none
  EngineOptions engine;                         // detector, model and thresholds, as for a run
  int threads = 0;                              // 0: one per core; totals do not depend on it
  std::size_t limit = 0;  // first N images of each set after the split; 0: all
  // VOC sets are evaluated once per factor, each photo shrunk by it (INTER_AREA) with its ground
  // truth, as a stand-in for smaller faces; each in (0, 1]. Crop sets ignore it.
  std::vector<double> scales{1.0};
  // Score the faces of this report (maskdetect's report.json, or any JSON with files[].path and
  // files[].faces[].box / .label) instead of running the detector: VOC sets only.
  std::filesystem::path from_report;
};

// Prints a table per dataset to `out`, notes (unreadable images, ...) to `log`, writes
// `json_out` (atomically) and returns the same JSON. Throws SetupError (model, detector, dataset
// layout, unwritable json_out, unknown split).
nlohmann::json run_eval(const EvalOptions& options, std::ostream& out, std::ostream& log);

}  // namespace maskdetect
