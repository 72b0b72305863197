// `maskdetect eval` on annotated photo sets: each photo analysed at each scale with the tool's
// own engine and scored, and its true faces put to the classifier's not_face gate.
#include <algorithm>
#include <optional>
#include <ostream>

#include "eval_run.hpp"
#include "maskdetect/eval_gate.hpp"
#include "maskdetect/eval_metrics.hpp"
#include "maskdetect/eval_scale.hpp"
#include "maskdetect/media_sniff.hpp"

using json = nlohmann::json;

namespace maskdetect {
namespace {

struct PhotoItem {
  std::size_t index = 0;
  Outcome outcome;
  VocTally tally;
  GateTally gate;
};

// What one photo gives at one scale: the analysed image, its faces and the ground truth, all in
// the same pixels.
struct ScaledPhoto {
  cv::Mat image;
  std::vector<Face> faces;
  std::vector<GtFace> gt;        // in the pixels of `faces` (scored against them)
  std::vector<GtFace> gt_image;  // in the pixels of `image` (cut for the gate)
};

// Scale 1 is what `maskdetect --no-annotate FILE` does (analyze_file, with the reduced JPEG
// decode). Other scales decode the photo in full and shrink it to the exact scaled size, so
// libjpeg's reduced decode cannot change which pixels a scale sees.
ScaledPhoto analyse_at(EvalEngine& engine, const EvalSample& s, double scale,
                       const DecodeOptions& reduced, Outcome& o) {
  ScaledPhoto p;
  if (scale == 1.0) {
    FileAnalysis fa = analyze_file(engine, s.image, reduced);
    o.decode_ms = fa.decode_ms;
    o.infer_ms = fa.analysis.detect_ms + fa.analysis.classify_ms;
    p.faces = std::move(fa.analysis.faces);
    p.gt = s.gt;
    p.gt_image = scale_faces(s.gt, fa.image.original, fa.image.bgr.size());
    p.image = fa.image.bgr;
    return p;
  }
  const auto t0 = EvalClock::now();
  const cv::Mat full = decode_image(s.image, sniff_media(s.image), DecodeOptions{}).bgr;
  p.image = scale_image(full, scaled_size(full.size(), scale));
  o.decode_ms = ms_since(t0);
  Analysis a = engine.analyze(p.image, 1);
  o.infer_ms = a.detect_ms + a.classify_ms;
  p.faces = std::move(a.faces);
  p.gt = scale_faces(s.gt, full.size(), p.image.size());
  p.gt_image = p.gt;
  return p;
}

// Probabilities for the crop of every true face (empty for a box with no pixel), in batches as
// small as Classifier::classify's so memory stays flat on crowded photos.
std::vector<std::vector<float>> true_face_probabilities(Classifier& classifier,
                                                        const ScaledPhoto& p) {
  constexpr std::size_t kBatch = 8;
  std::vector<std::vector<float>> probs(p.gt_image.size());
  std::vector<std::size_t> pending;
  std::vector<cv::Mat> crops;
  const auto flush = [&] {
    const auto out = classifier.probabilities(crops);
    for (std::size_t k = 0; k < pending.size(); ++k) probs[pending[k]] = out[k];
    pending.clear();
    crops.clear();
  };
  for (std::size_t i = 0; i < p.gt_image.size(); ++i) {
    if (p.gt_image[i].box.empty()) continue;
    pending.push_back(i);
    crops.push_back(classifier.crop(p.image, p.gt_image[i].box));
    if (crops.size() == kBatch) flush();
  }
  if (!crops.empty()) flush();
  return probs;
}

json voc_result(const DatasetPlan& plan, const VocTally& total, const Collector& c,
                const LabelRoles& roles) {
  json m = voc_metrics(total, roles);
  m["failed"] = c.failed();
  m["missing_images"] = plan.missing_images;
  m["bad_annotations"] = plan.bad_annotations;
  m["time_ms"] = c.times("detect_classify");
  return m;
}

json eval_voc_at(const DatasetPlan& plan, WorkerPool& pool, const EngineConfig& config,
                 double scale, std::ostream& log) {
  const LabelRoles roles = LabelRoles::of(config.card);
  const std::vector<GateThreshold> thresholds = gate_thresholds(config.card, config.face_threshold);
  DecodeOptions reduced;
  reduced.reduce_to = config.detector.detect_size;
  std::size_t next = 0;
  VocTally total;
  GateTally gate;
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
        auto& worker = dynamic_cast<EvalEngine&>(engine);
        try {
          const ScaledPhoto p =
              analyse_at(worker, plan.samples[item.index], scale, reduced, item.outcome);
          item.tally = score_image(p.gt, p.faces, roles);
          item.gate = tally_gate(p.gt_image, true_face_probabilities(worker.classifier(), p),
                                 config.card, config.threshold, thresholds);
          item.outcome.ok = true;
        } catch (const std::exception& e) {
          // A photo may fail at one scale only (too small for the detector once shrunk).
          item.outcome.error =
              (scale == 1.0 ? "" : "at scale " + json(scale).dump() + ": ") + e.what();
        }
      },
      [&](PhotoItem& item) {
        if (!collector.add(item.index, item.outcome)) return;
        total += item.tally;
        gate += item.gate;
      });
  json m = {{"scale", scale}};
  m.update(voc_result(plan, total, collector, roles));
  m["gate"] = gate_metrics(gate, roles, thresholds);
  return m;
}

}  // namespace

std::vector<json> eval_voc(const DatasetPlan& plan, WorkerPool& pool, const EngineConfig& config,
                           const std::vector<double>& scales, std::ostream& log) {
  std::vector<json> out;
  for (const double scale : scales) out.push_back(eval_voc_at(plan, pool, config, scale, log));
  return out;
}

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
  json m = {{"scale", 1.0}};
  m.update(voc_result(plan, total, collector, roles));
  return m;
}

}  // namespace maskdetect
