// The counts and ratios of `maskdetect eval` (see docs/eval.md): box matching, per-image tallies
// and the metrics computed from summed tallies.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <opencv2/core/types.hpp>
#include <string>
#include <utility>
#include <vector>

#include "maskdetect/model_card.hpp"
#include "maskdetect/types.hpp"
#include "maskdetect/voc.hpp"

namespace maskdetect {

// What the scores need to know about the model's labels, from its card, so that no scoring code
// spells a label.
struct LabelRoles {
  std::vector<std::string> labels;  // the model's labels, in output order (confusion columns)
  std::string unmasked;             // the label a "no_mask face found" alert is
  std::map<std::string, std::string> ground_truth;  // annotated class -> the right label
  std::string incorrect;  // the label for a mask worn wrong; empty when the model has none

  static LabelRoles of(const ModelCard& card);
};

// Counts per annotated class, and per annotated class and label.
using ClassCounts = std::map<std::string, std::int64_t>;
using Confusion = std::map<std::string, ClassCounts>;

// num / den, or null when there is nothing to count.
nlohmann::json count_ratio(std::int64_t num, std::int64_t den);
// Annotated classes in reading order: the known ones (always, when `all_known`, so reports have
// the same keys whatever the set holds), then any others present.
std::vector<std::string> class_order(const ClassCounts& present, bool all_known);
// Every label of the model in output order, then any other label the confusion holds.
std::vector<std::string> label_order(const Confusion& confusion,
                                     const std::vector<std::string>& labels);
nlohmann::json confusion_json(const Confusion& confusion, const std::vector<std::string>& rows,
                              const std::vector<std::string>& cols);
// Faces labelled right and faces with a right label, over the classes the card names.
std::pair<std::int64_t, std::int64_t> correct_of(const Confusion& confusion,
                                                 const LabelRoles& roles);
// For a model with an incorrect role: the share of with_incorrect_mask faces given that label
// (its recall) and of with_mask faces given it (the cost of flagging). Null when it has none.
nlohmann::json incorrect_json(const Confusion& confusion, const LabelRoles& roles);

// Area of intersection over area of union; 0 when either box is empty. Computed in 64-bit
// integers and doubles, so any int coordinates are safe (no overflow near INT_MAX).
double iou(const cv::Rect& a, const cv::Rect& b);

// One-to-one matching: all (gt, pred) pairs with IoU >= min_iou, taken greedily by IoU
// descending (ties: lower gt index, then lower pred index). Returns, per prediction, the index
// of its ground-truth face or -1.
std::vector<int> match_greedy(const std::vector<cv::Rect>& gt, const std::vector<cv::Rect>& pred,
                              double min_iou);

// Counts for VOC sets. Plain integers, so summing per-image tallies in any order gives the same
// totals. The no_mask_* counts are about the roles' unmasked label (the JSON's "no_mask_found").
struct VocTally {
  std::int64_t images = 0, predictions = 0;
  std::map<std::string, std::int64_t> gt;                // per class, "all" excluded
  std::map<std::string, std::int64_t> found50, found30;  // matched gt per class
  std::int64_t matched_pred50 = 0, matched_pred30 = 0;
  Confusion confusion;  // gt class -> label
  std::int64_t no_mask_tp = 0, no_mask_fp_with_mask = 0, no_mask_fp_unmatched = 0, no_mask_fn = 0,
               no_mask_ignored = 0;
  VocTally& operator+=(const VocTally& o);
};

// Scores one image's predictions (labels already assigned) against its ground truth. An alert
// (a prediction labelled roles.unmasked) on a face whose right label is the unmasked one is a
// TP, on a face with no right label or the incorrect role's label ignored (so no_mask F1 means
// the same for models with and without that label), on a face with another right label a FP.
VocTally score_image(const std::vector<GtFace>& gt, const std::vector<Face>& predictions,
                     const LabelRoles& roles);

// Ratios and counts of a tally.
nlohmann::json voc_metrics(const VocTally& t, const LabelRoles& roles);

// Counts for class-folder crop sets: true class -> predicted label.
struct CropTally {
  Confusion confusion;
};

nlohmann::json crop_metrics(const CropTally& t, const LabelRoles& roles);

}  // namespace maskdetect
