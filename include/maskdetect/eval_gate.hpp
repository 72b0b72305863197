// The not_face gate measured on true faces: every annotated face of a VOC photo is cut with the
// tool's own crop rule and classified, and the gate is asked whether it would keep it. A face the
// gate drops is lost whatever the detector does, so this bounds end-to-end recall per detector.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "maskdetect/eval_metrics.hpp"
#include "maskdetect/model_card.hpp"
#include "maskdetect/voc.hpp"

namespace maskdetect {

// A face threshold the gate is measured at.
struct GateThreshold {
  std::string name;  // a detector the card gives a threshold for, "card" for its single one, or
                     // "run" for this run's (--face-threshold, else the card's for --detector)
  float face_threshold = 0.5F;
};

// The card's thresholds in name order, then this run's.
std::vector<GateThreshold> gate_thresholds(const ModelCard& card, float run_face_threshold);

struct GateTally {
  ClassCounts faces;       // true faces classified, per annotated class
  std::int64_t empty = 0;  // true faces whose box holds no pixel (shrunk away): not classified
  std::map<std::string, ClassCounts> kept;     // threshold name -> class -> faces the gate keeps
  std::map<std::string, Confusion> confusion;  // threshold name -> class -> label given
  GateTally& operator+=(const GateTally& o);
};

// Tallies one photo: `probs[i]` are the classifier's probabilities for the crop of `faces[i]`,
// empty for a face with an empty box. Each face is labelled by assign_label with `threshold`
// (--threshold) at every gate threshold; kept means not given one of the card's reject labels.
GateTally tally_gate(const std::vector<GtFace>& faces, const std::vector<std::vector<float>>& probs,
                     const ModelCard& card, float threshold,
                     const std::vector<GateThreshold>& thresholds);

// The eval.json "gate" object (docs/eval.md).
nlohmann::json gate_metrics(const GateTally& t, const LabelRoles& roles,
                            const std::vector<GateThreshold>& thresholds);

}  // namespace maskdetect
