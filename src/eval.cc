// `maskdetect eval`, the run: plans every dataset, analyses the photos with the tool's own
// engines on the shared worker pool, scores them and writes eval.json.
#include "maskdetect/eval.hpp"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <memory>
#include <numeric>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <thread>
#include <utility>

#include "eval_run.hpp"
#include "maskdetect/classifier.hpp"
#include "maskdetect/config.hpp"
#include "maskdetect/errors.hpp"
#include "maskdetect/eval_print.hpp"
#include "maskdetect/eval_scale.hpp"
#include "maskdetect/image_decode.hpp"
#include "maskdetect/media_sniff.hpp"
#include "maskdetect/report.hpp"
#include "maskdetect/worker_pool.hpp"
#include "numbers.hpp"

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace maskdetect {
namespace {

json time_stats(std::vector<double> v) {
  if (v.empty()) return {{"median", nullptr}, {"mean", nullptr}};
  const double mean = std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  const double median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
  return {{"median", median}, {"mean", mean}};
}

}  // namespace

double ms_since(EvalClock::time_point t0) {
  return std::chrono::duration<double, std::milli>(EvalClock::now() - t0).count();
}

EvalEngine::EvalEngine(std::shared_ptr<const EngineConfig> config, bool photos)
    : config_(std::move(config)),
      engine_(photos ? make_engine(*config_) : nullptr),
      classifier_(config_->card) {}

Analysis EvalEngine::analyze(const cv::Mat& bgr, int reduction) {
  if (!engine_) throw std::logic_error("eval worker built without a detector");
  return engine_->analyze(bgr, reduction);
}

bool Collector::add(std::size_t index, const Outcome& o) {
  tick();
  if (!o.ok) {
    ++failed_;
    log_ << "maskdetect eval: " << plan_.samples[index].image.string() << ": " << o.error
         << "; not counted\n";
    return false;
  }
  infer_.push_back(o.infer_ms);
  with_decode_.push_back(o.decode_ms + o.infer_ms);
  return true;
}

// A line every 250 items; the summary says when it is finished.
void Collector::tick() {
  ++done_;
  if (done_ % 250 == 0 && done_ != plan_.samples.size())
    log_ << "maskdetect eval: " << plan_.path.string() << ": " << done_ << "/"
         << plan_.samples.size() << '\n'
         << std::flush;
}

json Collector::times(const char* infer_name) const {
  return {{infer_name, time_stats(infer_)}, {"with_decode", time_stats(with_decode_)}};
}

namespace {

constexpr const char* kSchema = "maskdetect.eval/3";

// Crops are classified in batches fixed by position, so results cannot depend on --threads.
constexpr std::size_t kCropBatch = 32;

// Parallelism comes from the pool; OpenCV's own threads are given back as they were afterwards.
class OpenCvThreads {
 public:
  OpenCvThreads() : saved_(cv::getNumThreads()) {}
  ~OpenCvThreads() { cv::setNumThreads(saved_); }
  OpenCvThreads(const OpenCvThreads&) = delete;
  OpenCvThreads& operator=(const OpenCvThreads&) = delete;

 private:
  int saved_;
};

// The crop is the face, so it is not re-framed with the card margin as detector boxes are.
// It goes through the same resizes as training/train.py eval_view (squashed to the card's
// crop-set side, then to the input), so crop-set numbers can be checked against the card's.
cv::Mat crop_view(const cv::Mat& bgr, const ModelCard& card) {
  const cv::Size input(card.input_width, card.input_height);
  cv::Mat stored = bgr, out;
  if (const int side = card.crop_set_side; side > 0) {
    const bool shrinking = bgr.cols > side || bgr.rows > side;
    cv::resize(bgr, stored, {side, side}, 0, 0, shrinking ? cv::INTER_AREA : cv::INTER_LINEAR);
  }
  const bool shrinking = stored.cols > input.width || stored.rows > input.height;
  cv::resize(stored, out, input, 0, 0, shrinking ? cv::INTER_AREA : cv::INTER_LINEAR);
  return out;
}

struct CropBatch {
  std::size_t begin = 0;
  std::vector<Outcome> outcomes;
  std::vector<std::string> labels;
};

// Decodes the batch's crops (in full, as a normal run decodes a photo) and classifies the
// readable ones in one forward pass.
void classify_batch(const DatasetPlan& plan, const EngineConfig& config, Classifier& classifier,
                    CropBatch& b) {
  std::vector<cv::Mat> crops;
  std::vector<std::size_t> readable;
  for (std::size_t k = 0; k < b.outcomes.size(); ++k) {
    try {
      const fs::path& p = plan.samples[b.begin + k].image;
      const auto t0 = EvalClock::now();
      const cv::Mat bgr = decode_image(p, sniff_media(p), DecodeOptions{}).bgr;
      b.outcomes[k].decode_ms = ms_since(t0);
      crops.push_back(crop_view(bgr, config.card));
      readable.push_back(k);
    } catch (const std::exception& e) {
      b.outcomes[k].error = e.what();
    }
  }
  const auto t0 = EvalClock::now();
  const auto probs = classifier.probabilities(crops);
  const double per_crop = crops.empty() ? 0 : ms_since(t0) / static_cast<double>(crops.size());
  for (std::size_t r = 0; r < readable.size(); ++r) {
    Face f;
    assign_label(f, config.card, probs[r], config.threshold, config.face_threshold);
    b.labels[readable[r]] = f.label;
    b.outcomes[readable[r]].infer_ms = per_crop;
    b.outcomes[readable[r]].ok = true;
  }
}

json eval_crops(const DatasetPlan& plan, WorkerPool& pool, const EngineConfig& config,
                std::ostream& log) {
  const std::size_t n = plan.samples.size();
  std::size_t next = 0;
  CropTally tally;
  Collector collector(plan, log);
  pool.run<CropBatch>(
      kInFlightPerThread * static_cast<std::size_t>(pool.threads()),
      [&]() -> std::optional<CropBatch> {
        if (next == n) return std::nullopt;
        CropBatch b;
        b.begin = next;
        next = std::min(n, next + kCropBatch);
        b.outcomes.resize(next - b.begin);
        b.labels.resize(next - b.begin);
        return b;
      },
      [&](Engine& engine, CropBatch& b) {
        classify_batch(plan, config, dynamic_cast<EvalEngine&>(engine).classifier(), b);
      },
      [&](CropBatch& b) {
        for (std::size_t k = 0; k < b.outcomes.size(); ++k)
          if (collector.add(b.begin + k, b.outcomes[k]))
            tally.confusion[plan.samples[b.begin + k].cls][b.labels[k]] += 1;
      });
  json m = crop_metrics(tally, LabelRoles::of(config.card));
  m["failed"] = collector.failed();
  m["keys_from_stem"] = plan.keys_from_stem;
  m["time_ms"] = collector.times("classify");
  return m;
}

void check_options(const EvalOptions& o) {
  if (o.split != "all" && o.split != "train" && o.split != "val" && o.split != "test")
    throw SetupError("unknown split \"" + o.split + "\"; use all, train, val or test");
  if (o.datasets.empty()) throw SetupError("no dataset given to evaluate");
  if (o.scales.empty()) throw SetupError("no --scale given");
  for (std::size_t i = 0; i < o.scales.size(); ++i) {
    const double s = o.scales[i];
    if (!(s > 0 && s <= 1))
      throw SetupError("--scale " + json(s).dump() + " is not in (0, 1]; photos are only shrunk");
    if (std::find(o.scales.begin(), o.scales.begin() + static_cast<std::ptrdiff_t>(i), s) !=
        o.scales.begin() + static_cast<std::ptrdiff_t>(i))
      throw SetupError("--scale " + json(s).dump() + " is given twice");
  }
  if (!o.from_report.empty() && o.scales != std::vector<double>{1.0})
    throw SetupError("--from-report scores a report's boxes as they are: only --scale 1");
  if (o.json_out.empty()) return;
  // Fail before a long run, not after it; an existing file is left intact, a new one removed.
  std::error_code ec;
  const bool existed = fs::exists(o.json_out, ec);
  const bool writable = static_cast<bool>(std::ofstream(o.json_out, std::ios::app));
  if (!writable)
    throw SetupError("cannot write " + o.json_out.string() + "; check the folder exists");
  if (!existed) fs::remove(o.json_out, ec);
}

// The pool for the datasets that need one (none when a report is scored): engines with the
// tool's detector for photo sets, and a classifier of their own in every case.
std::unique_ptr<WorkerPool> make_pool(const std::vector<DatasetPlan>& plans,
                                      std::shared_ptr<const EngineConfig> config,
                                      const EvalOptions& o) {
  const auto has = [&](const char* kind) {
    return std::any_of(plans.begin(), plans.end(), [&](const auto& p) { return p.kind == kind; });
  };
  const bool photos = has("voc") && o.from_report.empty(), crops = has("crops");
  if (!photos && !crops) return nullptr;
  EngineFactory factory = [config, photos] { return std::make_unique<EvalEngine>(config, photos); };
  return std::make_unique<WorkerPool>(factory, o.threads);
}

json model_json(const EngineConfig& config) {
  const ModelCard& card = config.card;
  json m = {{"path", card.onnx_path.string()},
            {"card", card.card_path.string()},
            {"name", card.name},
            {"sha256", card.sha256},
            {"labels", card.labels},
            {"threshold", shortest(config.threshold)},
            {"face_threshold", shortest(config.face_threshold)}};
  // The card's own statement of its split, beside the rule applied here, so a mismatch shows.
  try {
    const json c = json::parse(read_file_bytes(card.card_path));
    if (c.contains("training") && c["training"].contains("split"))
      m["training_split"] = c["training"]["split"];
  } catch (const std::exception&) {
  }
  return m;
}

int thread_count(const WorkerPool* pool, int requested) {
  if (pool) return pool->threads();
  return requested > 0 ? requested
                       : static_cast<int>(std::max(1U, std::thread::hardware_concurrency()));
}

// A dataset's eval.json entries: one per scale for a VOC set, one for a crop set.
std::vector<json> evaluate(const DatasetPlan& plan, WorkerPool* pool, const EngineConfig& config,
                           const std::map<std::string, std::vector<Face>>& reported,
                           const EvalOptions& o, std::ostream& log) {
  std::vector<json> entries;
  if (plan.kind != "voc")
    entries.push_back(eval_crops(plan, *pool, config, log));
  else if (o.from_report.empty())
    entries = eval_voc(plan, *pool, config, o.scales, log);
  else
    entries.push_back(eval_voc_report(plan, reported, config.card, log));
  for (json& e : entries) {
    json d = {{"path", plan.path.string()}, {"kind", plan.kind}, {"split", o.split}};
    d.update(e);
    e = std::move(d);
  }
  return entries;
}

}  // namespace

json run_eval(const EvalOptions& o, std::ostream& out, std::ostream& log) {
  check_options(o);
  const auto config = std::make_shared<const EngineConfig>(EngineConfig::resolve(o.engine));
  std::vector<DatasetPlan> plans;
  for (const auto& d : o.datasets) plans.push_back(plan_dataset(d, o.split, o.limit, log));
  std::map<std::string, std::vector<Face>> reported;
  if (!o.from_report.empty()) {
    for (const DatasetPlan& p : plans)
      if (p.kind != "voc")
        throw SetupError("--from-report scores annotated photo sets only; " + p.path.string() +
                         " is a crop set");
    reported = faces_from_report(o.from_report);
  }
  const OpenCvThreads opencv_threads;
  const std::unique_ptr<WorkerPool> pool = make_pool(plans, config, o);

  json result = {{"schema", kSchema}, {"tool_version", config::kVersion}};
  result["datasets"] = json::array();
  result["over_scales"] = json::array();
  for (const DatasetPlan& plan : plans) {
    log << "maskdetect eval: " << plan.path.string() << ": " << plan.samples.size() << " "
        << (plan.kind == "voc" ? "images" : "crops") << " (split " << o.split << ")\n"
        << std::flush;
    const std::vector<json> entries = evaluate(plan, pool.get(), *config, reported, o, log);
    for (const json& d : entries) {
      print_dataset(out, d);
      result["datasets"].push_back(d);
    }
    if (plan.kind == "voc") {
      json summary = summarise_scales(entries);
      if (entries.size() > 1) print_over_scales(out, summary);
      result["over_scales"].push_back(std::move(summary));
    }
  }
  if (o.from_report.empty()) {
    result["params"] = config->params();
    result["params"]["scale"] = o.scales;
  } else
    result["from_report"] = o.from_report.string();
  result["model"] = model_json(*config);
  result["split_rule"] =
      "int(sha1(key) as hex) % 10: 0 test, 1 val, else train; key: VOC annotation file stem, "
      "crop sets: manifest source_sha256";
  result["threads"] = thread_count(pool.get(), o.threads);
  result["limit"] = o.limit;
  out << std::flush;
  if (!o.json_out.empty()) {
    try {
      write_file_atomically(o.json_out, result.dump(2) + '\n');
    } catch (const std::exception& e) {
      throw SetupError(std::string("could not write eval JSON: ") + e.what());
    }
  }
  return result;
}

}  // namespace maskdetect
