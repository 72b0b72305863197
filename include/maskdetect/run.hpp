// `maskdetect --input ... --out ...` as a function: resolves the engine, builds the sinks the
// options ask for, runs the pipeline and says how the process should exit.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "maskdetect/console.hpp"
#include "maskdetect/engine.hpp"
#include "maskdetect/out_dir.hpp"
#include "maskdetect/pipeline.hpp"
#include "maskdetect/stop.hpp"

namespace maskdetect {

struct FailOn {
  bool unmasked = false, any_face = false, error = false;
  // With `unmasked`: faces with the card's incorrect label (mask under the nose) do not count.
  bool allow_incorrect = false;
  bool empty = false;  // nothing to process: no image or video among the inputs
};

struct RunOptions {
  PipelineOptions pipeline;  // reduce_to and labels are filled in from the engine
  EngineOptions engine;
  bool annotate = true, save_crops = false;
  bool html = true;  // report.html and its thumbnails
  // Longest side of annotated images (0: the original size). Larger photos are then decoded
  // reduced where the format allows. Not the default: on highres-ilc2021 with YuNet, 1920 px ran
  // no faster (7.75 against 8.77 photos/s) because shrinking by a non-integer factor costs what
  // the smaller decode and encode save (README, "Speed").
  int annotate_size = 0;
  std::string jsonl;  // empty: none; "-": the data stream
  bool audio = true;  // annotated videos keep the source's sound
  bool show = false;  // a window with the annotated frames as they are processed
  ConsoleOptions console;
  FailOn fail_on;
  // An earlier run in --out: refused (exit 2), continued (--resume) or replaced (--overwrite).
  Reuse reuse = Reuse::Refuse;
  // Asked to stop by a signal (install_stop_signals) or, through the JSON Lines writer, by a
  // closed stdout; null: the run makes its own, which only a closed stdout can set.
  StopRequest* stop = nullptr;
};

struct RunOutcome {
  RunSummary summary;
  // 0 ok, 1 some inputs failed, 3 --fail-on met; stopped: StopRequest::exit_status() (130
  // SIGINT, 143 SIGTERM, 141 stdout closed).
  int exit_status = 0;
};

// Throws SetupError when the run cannot start (model, cascade, output folder, JSONL file).
// `stdin_list` supplies paths for the input "-"; `data_out` receives JSONL for "-"; `log`
// receives messages, progress and the summary.
RunOutcome run_maskdetect(const RunOptions& options, std::istream& stdin_list,
                          std::ostream& data_out, std::ostream& log);

// The --vid-stride default, chosen with bench/video_tracking.py (README, "Video"): the largest
// stride at which the faces of every frame still match, for at least 95 % of them (IoU >= 0.5),
// those found by detecting on every frame. Haar's boxes jitter more than YuNet's, so their
// tracks hold for fewer frames: Haar at 3 keeps 95.7 % on the fixture video (4: 91.9 %), YuNet
// at 4 keeps 98.1 % on its 1280x720 copy (5: 91.3 %).
int default_stride(const std::string& detector);

// The labels --fail-on no_mask counts: the card's unmasked label, and its incorrect label
// (mask under the nose) unless fail_on.allow_incorrect.
std::vector<std::string> failing_labels(const ModelCard& card, const FailOn& fail_on);

// The process exit status for a finished run; `failing` is failing_labels' answer.
int exit_status_for(const RunSummary& summary, const FailOn& fail_on,
                    const std::vector<std::string>& failing);

}  // namespace maskdetect
