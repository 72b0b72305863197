// `maskdetect --input ... --out ...` as a function: resolves the engine, builds the sinks the
// options ask for, runs the pipeline and says how the process should exit.
#pragma once

#include <iosfwd>
#include <string>

#include "maskdetect/console.hpp"
#include "maskdetect/engine.hpp"
#include "maskdetect/pipeline.hpp"

namespace maskdetect {

struct FailOn {
  bool unmasked = false, any_face = false, error = false;
};

struct RunOptions {
  PipelineOptions pipeline;  // reduce_to and labels are filled in from the engine
  EngineOptions engine;
  bool annotate = true, save_crops = false;
  std::string jsonl;  // empty: none; "-": the data stream
  ConsoleOptions console;
  FailOn fail_on;
};

struct RunOutcome {
  RunSummary summary;
  int exit_status = 0;  // 0 ok, 1 some inputs failed, 3 --fail-on met, 130 interrupted
};

// Throws SetupError when the run cannot start (model, cascade, output folder, JSONL file).
// `stdin_list` supplies paths for the input "-"; `data_out` receives JSONL for "-"; `log`
// receives messages, progress and the summary.
RunOutcome run_maskdetect(const RunOptions& options, std::istream& stdin_list,
                          std::ostream& data_out, std::ostream& log);

// The process exit status for a finished run; `unmasked_label` is the model card's.
int exit_status_for(const RunSummary& summary, const FailOn& fail_on,
                    const std::string& unmasked_label);

}  // namespace maskdetect
