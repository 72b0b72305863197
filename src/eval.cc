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

#include "maskdetect/classifier.hpp"
#include "maskdetect/config.hpp"
#include "maskdetect/errors.hpp"
#include "maskdetect/eval_print.hpp"
#include "maskdetect/image_decode.hpp"
#include "maskdetect/media_sniff.hpp"
#include "maskdetect/report.hpp"
#include "maskdetect/worker_pool.hpp"

namespace fs = std::filesystem;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace maskdetect {
namespace {

// Images (or crop batches) analysed at once per worker: enough to keep every worker busy.
constexpr std::size_t kInFlightPerThread = 2;
// Crops are classified in batches fixed by position, so results cannot depend on --threads.
constexpr std::size_t kCropBatch = 32;

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

json time_stats(std::vector<double> v) {
  if (v.empty()) return {{"median", nullptr}, {"mean", nullptr}};
  const double mean = std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  const double median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
  return {{"median", median}, {"mean", mean}};
}

// What each worker of eval's pool holds: the tool's own engine for photos (make_engine, so the
// figures are the tool's) and, for crop sets, a classifier of its own, since a crop is the face
// and is classified directly.
class EvalEngine final : public Engine {
 public:
  // Keeps `config` alive: the engine made from it refers to it.
  EvalEngine(std::shared_ptr<const EngineConfig> config, bool photos, bool crops)
      : config_(std::move(config)),
        engine_(photos ? make_engine(*config_) : nullptr),
        classifier_(crops ? std::make_unique<Classifier>(config_->card) : nullptr) {}

  Analysis analyze(const cv::Mat& bgr, int reduction) override {
    if (!engine_) throw std::logic_error("eval worker built without a detector");
    return engine_->analyze(bgr, reduction);
  }
  Classifier& classifier() {
    if (!classifier_) throw std::logic_error("eval worker built without a crop classifier");
    return *classifier_;
  }

 private:
  std::shared_ptr<const EngineConfig> config_;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<Classifier> classifier_;
};

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

// One sample's outcome. Results are consumed in dataset order, so sums and the order of the
// timings are the same for any thread count.
struct Outcome {
  bool ok = false;
  std::string error;
  double decode_ms = 0, infer_ms = 0;
};

// What is gathered, in order, over a dataset: failures (named on the log) and timings.
class Collector {
 public:
  Collector(const DatasetPlan& plan, std::ostream& log) : plan_(plan), log_(log) {}

  // Returns whether `o` is to be counted.
  bool add(std::size_t index, const Outcome& o) {
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
  std::int64_t failed() const { return failed_; }
  json times(const char* infer_name) const {
    return {{infer_name, time_stats(infer_)}, {"with_decode", time_stats(with_decode_)}};
  }

 private:
  // A line every 250 items; the summary says when it is finished.
  void tick() {
    ++done_;
    if (done_ % 250 == 0 && done_ != plan_.samples.size())
      log_ << "maskdetect eval: " << plan_.path.string() << ": " << done_ << "/"
           << plan_.samples.size() << '\n'
           << std::flush;
  }

  const DatasetPlan& plan_;
  std::ostream& log_;
  std::int64_t failed_ = 0;
  std::size_t done_ = 0;
  std::vector<double> infer_, with_decode_;
};

struct PhotoItem {
  std::size_t index = 0;
  Outcome outcome;
  VocTally tally;
};

json voc_result(const DatasetPlan& plan, const VocTally& total, const Collector& c,
                const LabelRoles& roles) {
  json m = voc_metrics(total, roles);
  m["failed"] = c.failed();
  m["missing_images"] = plan.missing_images;
  m["bad_annotations"] = plan.bad_annotations;
  m["time_ms"] = c.times("detect_classify");
  return m;
}

// Every photo decoded and analysed exactly as `maskdetect --no-annotate FILE` does it
// (analyze_file with the reduced JPEG decode), then scored.
json eval_voc(const DatasetPlan& plan, WorkerPool& pool, const EngineConfig& config,
              std::ostream& log) {
  const LabelRoles roles = LabelRoles::of(config.card);
  DecodeOptions decode;
  decode.reduce_to = config.detector.detect_size;
  std::size_t next = 0;
  VocTally total;
  Collector collector(plan, log);
  pool.run<PhotoItem>(
      kInFlightPerThread * static_cast<std::size_t>(pool.threads()),
      [&]() -> std::optional<PhotoItem> {
        if (next == plan.samples.size()) return std::nullopt;
        PhotoItem item;
        item.index = next++;
        return item;
      },
      [&](Engine& engine, PhotoItem& item) {
        const EvalSample& s = plan.samples[item.index];
        try {
          const FileAnalysis fa = analyze_file(engine, s.image, decode);
          item.outcome.decode_ms = fa.decode_ms;
          item.outcome.infer_ms = fa.analysis.detect_ms + fa.analysis.classify_ms;
          item.tally = score_image(s.gt, fa.analysis.faces, roles);
          item.outcome.ok = true;
        } catch (const std::exception& e) {
          item.outcome.error = e.what();
        }
      },
      [&](PhotoItem& item) {
        if (collector.add(item.index, item.outcome)) total += item.tally;
      });
  return voc_result(plan, total, collector, roles);
}

// The faces of a report instead of the detector's: nothing to decode or analyse, so no pool.
json eval_voc_report(const DatasetPlan& plan, const std::map<std::string, std::vector<Face>>& rep,
                     const ModelCard& card, std::ostream& log) {
  const LabelRoles roles = LabelRoles::of(card);
  VocTally total;
  Collector collector(plan, log);
  for (std::size_t i = 0; i < plan.samples.size(); ++i) {
    const EvalSample& s = plan.samples[i];
    Outcome o;
    std::vector<Face> faces;
    const auto found = rep.find(s.image.filename().string());
    if (found == rep.end()) {
      o.error = "not in the report";
    } else {
      // Boxes the card rejects are not faces; the tool drops them, so they are dropped here.
      for (const Face& f : found->second)
        if (!card.rejects(f.label)) faces.push_back(f);
      o.ok = true;
    }
    if (collector.add(i, o)) total += score_image(s.gt, faces, roles);
  }
  return voc_result(plan, total, collector, roles);
}

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
      const auto t0 = Clock::now();
      const cv::Mat bgr = decode_image(p, sniff_media(p), DecodeOptions{}).bgr;
      b.outcomes[k].decode_ms = ms_since(t0);
      crops.push_back(crop_view(bgr, config.card));
      readable.push_back(k);
    } catch (const std::exception& e) {
      b.outcomes[k].error = e.what();
    }
  }
  const auto t0 = Clock::now();
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
// tool's detector for photo sets, crop classifiers for crop sets.
std::unique_ptr<WorkerPool> make_pool(const std::vector<DatasetPlan>& plans,
                                      std::shared_ptr<const EngineConfig> config,
                                      const EvalOptions& o) {
  const auto has = [&](const char* kind) {
    return std::any_of(plans.begin(), plans.end(), [&](const auto& p) { return p.kind == kind; });
  };
  const bool photos = has("voc") && o.from_report.empty(), crops = has("crops");
  if (!photos && !crops) return nullptr;
  EngineFactory factory = [config, photos, crops] {
    return std::make_unique<EvalEngine>(config, photos, crops);
  };
  return std::make_unique<WorkerPool>(factory, o.threads);
}

json model_json(const EngineConfig& config) {
  const ModelCard& card = config.card;
  json m = {{"path", card.onnx_path.string()},
            {"card", card.card_path.string()},
            {"name", card.name},
            {"sha256", card.sha256},
            {"labels", card.labels},
            {"threshold", config.threshold},
            {"face_threshold", config.face_threshold}};
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

  json result = {{"schema", "maskdetect.eval/2"}, {"tool_version", config::kVersion}};
  result["datasets"] = json::array();
  for (const DatasetPlan& plan : plans) {
    log << "maskdetect eval: " << plan.path.string() << ": " << plan.samples.size() << " "
        << (plan.kind == "voc" ? "images" : "crops") << " (split " << o.split << ")\n"
        << std::flush;
    json d = {{"path", plan.path.string()}, {"kind", plan.kind}, {"split", o.split}};
    if (plan.kind != "voc")
      d.update(eval_crops(plan, *pool, *config, log));
    else if (o.from_report.empty())
      d.update(eval_voc(plan, *pool, *config, log));
    else
      d.update(eval_voc_report(plan, reported, config->card, log));
    print_dataset(out, d);
    result["datasets"].push_back(std::move(d));
  }
  if (o.from_report.empty())
    result["params"] = config->params();
  else
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
