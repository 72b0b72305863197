// What eval.cc (orchestration, crop sets) and eval_voc.cc (photo sets) share: the workers'
// engines, the in-order collection of outcomes and timings (private to eval).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "maskdetect/classifier.hpp"
#include "maskdetect/engine.hpp"
#include "maskdetect/eval_dataset.hpp"
#include "maskdetect/worker_pool.hpp"

namespace maskdetect {

using EvalClock = std::chrono::steady_clock;

// Images (or crop batches) analysed at once per worker: enough to keep every worker busy.
inline constexpr std::size_t kInFlightPerThread = 2;

double ms_since(EvalClock::time_point t0);

// What each worker of eval's pool holds: the tool's own engine for photos (make_engine, so the
// figures are the tool's) and a classifier of its own for what eval classifies directly (crop
// sets, and the true faces of photos that the gate is measured on).
class EvalEngine final : public Engine {
 public:
  // Keeps `config` alive: the engine made from it refers to it.
  EvalEngine(std::shared_ptr<const EngineConfig> config, bool photos);

  Analysis analyze(const cv::Mat& bgr, int reduction) override;
  Classifier& classifier() { return classifier_; }

 private:
  std::shared_ptr<const EngineConfig> config_;
  std::unique_ptr<Engine> engine_;
  Classifier classifier_;
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
  bool add(std::size_t index, const Outcome& o);
  std::int64_t failed() const { return failed_; }
  nlohmann::json times(const char* infer_name) const;

 private:
  void tick();

  const DatasetPlan& plan_;
  std::ostream& log_;
  std::int64_t failed_ = 0;
  std::size_t done_ = 0;
  std::vector<double> infer_, with_decode_;
};

// One eval.json entry per scale for a VOC set, each without path, kind and split (scale
// included), analysed by the pool's engines. Scale 1 is exactly `maskdetect --no-annotate`.
std::vector<nlohmann::json> eval_voc(const DatasetPlan& plan, WorkerPool& pool,
                                     const EngineConfig& config, const std::vector<double>& scales,
                                     std::ostream& log);

// The eval.json entry of a VOC set scored from a report's faces (at scale 1; no gate).
nlohmann::json eval_voc_report(const DatasetPlan& plan,
                               const std::map<std::string, std::vector<Face>>& report,
                               const ModelCard& card, std::ostream& log);

}  // namespace maskdetect
