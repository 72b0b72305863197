#include "maskdetect/run.hpp"

#include <algorithm>
#include <ctime>
#include <fstream>
#include <iomanip>
#include <memory>
#include <sstream>
#include <thread>

#include "maskdetect/config.hpp"
#include "maskdetect/errors.hpp"
#include "maskdetect/media_sinks.hpp"
#include "maskdetect/report.hpp"

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
  if (o.save_crops) s.owned.push_back(std::make_unique<CropSink>(out, config.card));
  if (o.annotate) {
    s.owned.push_back(std::make_unique<AnnotatedImageSink>(out, config.card, o.annotate_size));
    s.owned.push_back(std::make_unique<AnnotatedVideoSink>(out, config.card));
  }
  s.owned.push_back(std::make_unique<FrameRecordSink>(out));
  s.owned.push_back(std::make_unique<JsonReport>(out / "report.json", run_info(o, config)));
  s.owned.push_back(std::make_unique<CsvReport>(out / "report.csv"));
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

}  // namespace

RunOutcome run_maskdetect(const RunOptions& o, std::istream& stdin_list, std::ostream& data_out,
                          std::ostream& log) {
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
  RunOutcome outcome;
  outcome.summary = run_pipeline(p, engine_factory(config), sinks.list(), stdin_list);
  outcome.exit_status =
      outcome.summary.interrupted
          ? 130
          : exit_status_for(outcome.summary, o.fail_on, failing_labels(config->card, o.fail_on));
  return outcome;
}

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
  const bool met = (fail_on.unmasked && unmasked_found) || (fail_on.any_face && s.faces > 0) ||
                   (fail_on.error && s.failed > 0);
  if (met) return 3;
  return s.failed > 0 ? 1 : 0;
}

}  // namespace maskdetect
