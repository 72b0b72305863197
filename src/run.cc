#include "maskdetect/run.hpp"

#include <algorithm>
#include <atomic>
#include <ctime>
#include <exception>
#include <fstream>
#include <functional>
#include <iomanip>
#include <memory>
#include <sstream>
#include <thread>

#include "maskdetect/classifier.hpp"
#include "maskdetect/config.hpp"
#include "maskdetect/errors.hpp"
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
  return info;
}

// The outputs, in the order they must see each result: crops read the pixels before the
// annotators draw on them, and media sinks record their files before the reports list them.
struct Sinks {
  std::ofstream jsonl_file;  // outlives the writer that uses it
  std::vector<std::unique_ptr<Sink>> owned;
  std::vector<Sink*> list() const {
    std::vector<Sink*> out;
    for (const auto& s : owned) out.push_back(s.get());
    return out;
  }
};

void make_sinks(Sinks& s, const RunOptions& o, const EngineConfig& config, std::ostream& data_out,
                std::ostream& log) {
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
  s.owned.push_back(std::make_unique<JsonReport>(out / "report.json", run_info(o, config)));
  s.owned.push_back(std::make_unique<CsvReport>(out / "report.csv"));
  if (o.html)
    s.owned.push_back(std::make_unique<HtmlReport>(out, config.card, run_info(o, config)));
  if (o.jsonl == "-") {
    s.owned.push_back(std::make_unique<JsonlWriter>(data_out));
  } else if (!o.jsonl.empty()) {
    s.jsonl_file.open(o.jsonl, std::ios::trunc);
    if (!s.jsonl_file)
      throw SetupError("cannot write --jsonl file " + o.jsonl + "; check the folder exists");
    s.owned.push_back(std::make_unique<JsonlWriter>(s.jsonl_file));
  }
  ConsoleOptions console = o.console;
  console.labels = config.card.face_labels();
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

}  // namespace

RunOutcome run_maskdetect(const RunOptions& o, std::istream& stdin_list, std::ostream& data_out,
                          std::ostream& log) {
  // A camera that is not there is a mistake in the command, found before anything is loaded.
  for (const auto& input : o.pipeline.inputs)
    if (const std::string problem = camera_problem(input); !problem.empty())
      throw SetupError(problem);
  const auto config = std::make_shared<const EngineConfig>(EngineConfig::resolve(o.engine));
  std::error_code ec;
  fs::create_directories(o.pipeline.out_dir, ec);
  if (ec || !fs::is_directory(o.pipeline.out_dir))
    throw SetupError("cannot create output folder " + o.pipeline.out_dir.string() + ": " +
                     (ec ? ec.message() : "not a directory") + "; choose another --out");
  Sinks sinks;
  make_sinks(sinks, o, *config, data_out, log);
  PipelineOptions p = o.pipeline;
  p.reduce_to = config->detector.detect_size;
  p.labels = config->card.face_labels();
  p.video.label_rule = track_label_rule(config);
  if (p.video.stride <= 0) p.video.stride = default_stride(config->detector.engine);
  std::atomic<bool> stop{false};
  p.stop = &stop;
  RunOutcome outcome;
  const auto run = [&] {
    outcome.summary = run_pipeline(p, engine_factory(config), sinks.list(), stdin_list);
  };
  if (!o.show) {
    run();
  } else if (show_while(*static_cast<ShowWindow*>(sinks.owned.front().get()), run, stop)) {
    if (!o.console.quiet)
      log << "maskdetect: stopped from the --show window; the reports cover what was processed\n";
  }
  outcome.exit_status =
      outcome.summary.interrupted
          ? 130
          : exit_status_for(outcome.summary, o.fail_on, failing_labels(config->card, o.fail_on));
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
                   (fail_on.any_face && s.faces + s.people > 0) || (fail_on.error && s.failed > 0);
  if (met) return 3;
  return s.failed > 0 ? 1 : 0;
}

}  // namespace maskdetect
