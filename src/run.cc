#include "maskdetect/run.hpp"

#include <algorithm>
#include <atomic>
#include <ctime>
#include <exception>
#include <fstream>
#include <functional>
#include <iomanip>
#include <memory>
#include <optional>
#include <sstream>
#include <thread>

#include "fail_on.hpp"
#include "maskdetect/classifier.hpp"
#include "maskdetect/config.hpp"
#include "maskdetect/errors.hpp"
#include "maskdetect/input_count.hpp"
#include "maskdetect/journal.hpp"
#include "maskdetect/live_source.hpp"
#include "maskdetect/media_sinks.hpp"
#include "maskdetect/report.hpp"
#include "maskdetect/report_html.hpp"
#include "maskdetect/show_window.hpp"

namespace fs = std::filesystem;

namespace maskdetect {
namespace {

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::ostringstream ss;
  ss << std::put_time(&tm, "%Y-%m-%dT%H:%M:%SZ");
  return ss.str();
}

RunInfo run_info(const RunOptions& o, const EngineConfig& config) {
  RunInfo info;
  info.tool_version = config::kVersion;
  info.model_path = config.card.onnx_path.string();
  info.model_sha256 = config.card.sha256;
  info.labels = config.card.labels;
  info.face_labels = config.card.face_labels();
  info.started_at = utc_now();
  info.params = config.params();
  info.params["max_pixels"] = o.pipeline.max_pixels;
  info.params["annotate"] = o.annotate;
  info.params["annotate_size"] = o.annotate_size;
  info.params["threads"] =
      o.pipeline.threads > 0 ? o.pipeline.threads
                             : static_cast<int>(std::max(1U, std::thread::hardware_concurrency()));
  // What `maskdetect merge` checks the shards by: the same N, each K once.
  if (!o.pipeline.shard.all()) info.params["shard"] = o.pipeline.shard.text();
  return info;
}

// The outputs, in the order they must see each result: crops read the pixels before the
// annotators draw on them, and media sinks record their files before the reports list them.
struct Sinks {
  std::ofstream jsonl_file;               // outlives the writer that uses it
  std::unique_ptr<InputCounter> counter;  // outlives the console that asks it for the total
  std::vector<std::unique_ptr<Sink>> owned;
  std::vector<Sink*> list() const {
    std::vector<Sink*> out;
    for (const auto& s : owned) out.push_back(s.get());
    return out;
  }
};

void make_sinks(Sinks& s, const RunOptions& o, const EngineConfig& config, RunInfo info,
                std::unique_ptr<Sink> journal, std::ostream& data_out, std::ostream& log,
                StopRequest* stop) {
  const fs::path& out = o.pipeline.out_dir;
  // First: it copies the pixels before any other sink draws on them or shrinks them.
  if (o.show) s.owned.push_back(std::make_unique<ShowWindow>("maskdetect", config.card));
  if (o.save_crops) s.owned.push_back(std::make_unique<CropSink>(out, config.card));
  // Before the annotators too: it draws its own boxes on a thumbnail of the clean pixels.
  if (o.html) s.owned.push_back(std::make_unique<ReportThumbnails>(out, config.card));
  if (o.annotate) {
    s.owned.push_back(std::make_unique<AnnotatedImageSink>(out, config.card, o.annotate_size));
    const VideoOptions& v = o.pipeline.video;
    s.owned.push_back(std::make_unique<AnnotatedVideoSink>(out, config.card, o.audio, v.start_s,
                                                           v.end_s > 0 ? v.end_s : -1));
  }
  s.owned.push_back(std::make_unique<FrameRecordSink>(out));
  s.owned.push_back(std::move(journal));  // after the sinks that record their outputs
  s.owned.push_back(std::make_unique<JsonReport>(out / "report.json", std::move(info)));
  s.owned.push_back(std::make_unique<CsvReport>(out / "report.csv"));
  if (o.html)
    s.owned.push_back(std::make_unique<HtmlReport>(out, config.card, run_info(o, config)));
  if (o.jsonl == "-") {
    s.owned.push_back(std::make_unique<JsonlWriter>(data_out, stop));
  } else if (!o.jsonl.empty()) {
    s.jsonl_file.open(o.jsonl, std::ios::trunc);
    if (!s.jsonl_file)
      throw SetupError("cannot write --jsonl file " + o.jsonl + "; check the folder exists");
    s.owned.push_back(std::make_unique<JsonlWriter>(s.jsonl_file));
  }
  ConsoleOptions console = o.console;
  console.labels = config.card.face_labels();
  if (console.progress) {
    s.counter = std::make_unique<InputCounter>(o.pipeline.inputs, out, o.pipeline.list_separator,
                                               o.pipeline.shard);
    console.total = [counter = s.counter.get()] { return counter->total(); };
  }
  s.owned.push_back(std::make_unique<ConsoleSink>(log, console));
}

// A track's label from the mean of its faces' scores, by the card's rule at the run's threshold
// (every face of a track already passed the not_face gate, so no gate here).
LabelRule track_label_rule(std::shared_ptr<const EngineConfig> config) {
  return [config](const std::map<std::string, float>& mean) {
    std::vector<float> probs;
    for (const auto& label : config->card.labels) {
      const auto it = mean.find(label);
      probs.push_back(it == mean.end() ? 0.F : it->second);
    }
    Face face;
    assign_label(face, config->card, probs, config->threshold, 0.F);
    return std::make_pair(face.label, face.confidence);
  };
}

// Runs `run` on a thread of its own while this thread, which made the window, shows the frames.
// When the user quits from the window, sets `stop` (the run then ends as if its inputs had) and
// returns true; `run` has returned either way.
bool show_while(ShowWindow& window, const std::function<void()>& run, std::atomic<bool>& stop) {
  std::atomic<bool> finished{false};
  std::exception_ptr error;
  bool quit = false;
  std::thread worker([&] {
    try {
      run();
    } catch (...) {
      error = std::current_exception();
    }
    finished = true;
  });
  try {
    quit = window.show_until([&] { return finished.load(); });
  } catch (...) {
    stop = true;
    worker.join();
    throw;
  }
  if (quit) stop = true;
  worker.join();
  if (error) std::rethrow_exception(error);
  return quit;
}

// The journal's first line: what ran, so that --resume can refuse to mix two different runs. Its
// params add to the report's the options that change what a video's entry says.
nlohmann::json journal_header(const RunInfo& info, const RunOptions& o) {
  const VideoOptions& v = o.pipeline.video;
  nlohmann::json params = info.params;
  params["vid_stride"] =
      v.stride > 0 ? v.stride : default_stride(info.params.value("detector", "haar"));
  params["start"] = v.start_s;
  params["end"] = v.end_s;
  params["duration"] = v.max_seconds;
  params["max_frames"] = v.max_frames;
  params["audio"] = o.audio;
  return {{"schema", kJournalSchema},
          {"tool", {{"name", "maskdetect"}, {"version", info.tool_version}}},
          {"started_at", info.started_at},
          {"model", {{"path", info.model_path}, {"sha256", info.model_sha256}}},
          {"params", std::move(params)}};
}

// With --resume, what the earlier run in `out` finished; the report keeps that run's start time,
// as one uninterrupted run's would.
EarlierRun resume_from(const OutDir& out, const RunOptions& o, RunInfo& info) {
  if (o.reuse != Reuse::Resume || !out.had_earlier_run()) return {};
  EarlierRun r = read_earlier_run(out.path());
  check_same_run(r.header, journal_header(info, o));
  if (r.header.contains("started_at")) info.started_at = r.header["started_at"];
  return r;
}

// Appends to the earlier run's journal; one that had only a report.json starts a journal with
// that report's entries, so a second interruption loses none of them.
std::unique_ptr<Sink> open_journal(const OutDir& out, const RunInfo& info, const RunOptions& o,
                                   const EarlierRun& r) {
  const bool append = !r.header.is_null();
  return std::make_unique<Journal>(out.journal(), journal_header(info, o), append,
                                   append ? std::vector<nlohmann::json>{} : r.files);
}

}  // namespace

RunOutcome run_maskdetect(const RunOptions& o, std::istream& stdin_list, std::ostream& data_out,
                          std::ostream& log) {
  // A camera that is not there is a mistake in the command, found before anything is loaded.
  for (const auto& input : o.pipeline.inputs)
    if (const std::string problem = camera_problem(input); !problem.empty())
      throw SetupError(problem);
  const auto config = std::make_shared<const EngineConfig>(EngineConfig::resolve(o.engine));
  // Every model loads once before the output folder is touched: a missing or broken YuNet file
  // (which the default Haar detector needs too) is exit 2 with nothing written, not a folder
  // that then holds an "earlier run".
  make_engine(*config);
  const OutDir out(o.pipeline.out_dir, o.reuse);  // outlives the sinks: cleans up after them
  StopRequest own_stop;
  StopRequest* stop = o.stop != nullptr ? o.stop : &own_stop;
  RunInfo info = run_info(o, *config);
  PipelineOptions p = o.pipeline;
  std::optional<ResumeSet> done;
  const EarlierRun earlier = resume_from(out, o, info);
  if (earlier.found) done.emplace(earlier.files);
  p.resume = done ? &*done : nullptr;
  Sinks sinks;
  make_sinks(sinks, o, *config, info, open_journal(out, info, o, earlier), data_out, log, stop);
  const std::vector<std::string> failing = failing_labels(config->card, o.fail_on);
  auto* witness = static_cast<FailOnWitness*>(
      sinks.owned.emplace_back(std::make_unique<FailOnWitness>(o.fail_on, failing)).get());
  p.reduce_to = config->detector.detect_size;
  p.labels = config->card.face_labels();
  p.video.label_rule = track_label_rule(config);
  if (p.video.stride <= 0) p.video.stride = default_stride(config->detector.engine);
  std::atomic<bool> quit{false};
  p.stop = &quit;
  p.cancel = stop;
  RunOutcome outcome;
  const auto run = [&] {
    outcome.summary = run_pipeline(p, engine_factory(config), sinks.list(), stdin_list);
  };
  if (!o.show) {
    run();
  } else if (show_while(*static_cast<ShowWindow*>(sinks.owned.front().get()), run, quit)) {
    if (!o.console.quiet)
      log << "maskdetect: stopped from the --show window; the reports cover what was processed\n";
  }
  const RunSummary& s = outcome.summary;
  if (s.interrupted) {
    outcome.exit_status = stop->requested() ? stop->exit_status() : 130;
    return outcome;
  }
  outcome.exit_status = exit_status_for(s, o.fail_on, failing);
  if (s.files == s.skipped && !o.console.quiet && !o.fail_on.empty)
    log << "maskdetect: warning: nothing to process: no image or video among the inputs"
        << (s.skipped > 0 ? " (" + std::to_string(s.skipped) + " skipped)" : std::string())
        << "; --fail-on empty makes this an error\n";
  // The reason for a failed gate is printed even with --quiet: it is why the build is red.
  if (outcome.exit_status == 3) log << witness->explain(s) << std::flush;
  return outcome;
}

int default_stride(const std::string& detector) { return detector == "yunet" ? 4 : 3; }

std::vector<std::string> failing_labels(const ModelCard& card, const FailOn& fail_on) {
  std::vector<std::string> labels{card.unmasked_label};
  if (!card.incorrect_label.empty() && !fail_on.allow_incorrect)
    labels.push_back(card.incorrect_label);
  return labels;
}

int exit_status_for(const RunSummary& s, const FailOn& fail_on,
                    const std::vector<std::string>& failing) {
  const bool unmasked_found = std::any_of(failing.begin(), failing.end(), [&](const auto& l) {
    const auto it = s.by_label.find(l);
    return it != s.by_label.end() && it->second > 0;
  });
  const bool met = (fail_on.unmasked && unmasked_found) ||
                   (fail_on.any_face && s.faces + s.people > 0) ||
                   (fail_on.error && s.failed > 0) || (fail_on.empty && s.files == s.skipped);
  if (met) return 3;
  return s.failed > 0 ? 1 : 0;
}

}  // namespace maskdetect
