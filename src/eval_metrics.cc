#include "maskdetect/eval_metrics.hpp"

#include <algorithm>
#include <tuple>

namespace maskdetect {
namespace {

using json = nlohmann::json;
using Counts = ClassCounts;

constexpr const char* kAll = "all";

std::int64_t get(const Counts& m, const std::string& k) {
  const auto it = m.find(k);
  return it == m.end() ? 0 : it->second;
}

std::int64_t sum(const Counts& m) {
  std::int64_t s = 0;
  for (const auto& [k, v] : m) s += v;
  return s;
}

// The label that is right for a ground-truth class; null when the card names none (a model
// without an incorrect role has no right answer for a mask worn wrong: reported, not scored).
const std::string* right_label(const LabelRoles& roles, const std::string& cls) {
  const auto it = roles.ground_truth.find(cls);
  return it == roles.ground_truth.end() ? nullptr : &it->second;
}

json detection_json(const VocTally& t, const std::vector<std::string>& classes, const Counts& found,
                    std::int64_t matched) {
  json recall = json::object(), n = json::object();
  for (const auto& c : classes) {
    recall[c] = count_ratio(get(found, c), get(t.gt, c));
    n[c] = get(found, c);
  }
  recall[kAll] = count_ratio(sum(found), sum(t.gt));
  n[kAll] = sum(found);
  return json{{"recall", recall},
              {"found", n},
              {"precision", count_ratio(matched, t.predictions)},
              {"matched_predictions", matched}};
}

json classification_json(const VocTally& t, const std::vector<std::string>& classes,
                         const LabelRoles& roles) {
  const auto [correct, total] = correct_of(t.confusion, roles);
  const std::vector<std::string> cols = label_order(t.confusion, roles.labels);
  json incorrect = json::object();
  const auto inc = t.confusion.find(kIncorrect);
  for (const auto& l : cols)
    incorrect[l] = inc == t.confusion.end() ? json(nullptr)
                                            : count_ratio(get(inc->second, l), sum(inc->second));
  return {{"iou", 0.3},
          {"labels", cols},
          {"confusion", confusion_json(t.confusion, classes, cols)},
          {"accuracy", count_ratio(correct, total)},
          {"correct", correct},
          {"total", total},
          {"with_incorrect_mask_labelled", incorrect},
          {"incorrect", incorrect_json(t.confusion, roles)}};
}

json alerts_json(const VocTally& t) {
  const std::int64_t fp = t.no_mask_fp_with_mask + t.no_mask_fp_unmatched;
  // F1 from counts (2TP / (2TP + FP + FN)), defined whenever anything was counted.
  return {{"iou", 0.3},
          {"tp", t.no_mask_tp},
          {"fp", fp},
          {"fp_on_with_mask", t.no_mask_fp_with_mask},
          {"fp_unmatched", t.no_mask_fp_unmatched},
          {"fn", t.no_mask_fn},
          {"ignored", t.no_mask_ignored},
          {"precision", count_ratio(t.no_mask_tp, t.no_mask_tp + fp)},
          {"recall", count_ratio(t.no_mask_tp, t.no_mask_tp + t.no_mask_fn)},
          {"f1", count_ratio(2 * t.no_mask_tp, 2 * t.no_mask_tp + fp + t.no_mask_fn)}};
}

}  // namespace

LabelRoles LabelRoles::of(const ModelCard& card) {
  return LabelRoles{card.labels, card.unmasked_label, card.ground_truth, card.incorrect_label};
}

json count_ratio(std::int64_t num, std::int64_t den) {
  if (den == 0) return nullptr;
  return static_cast<double>(num) / static_cast<double>(den);
}

std::vector<std::string> class_order(const Counts& present, bool all_known) {
  std::vector<std::string> out;
  for (const char* c : kKnownClasses)
    if (all_known || get(present, c) > 0) out.push_back(c);
  for (const auto& [k, v] : present)
    if (std::find(out.begin(), out.end(), k) == out.end() && v > 0) out.push_back(k);
  return out;
}

std::vector<std::string> label_order(const Confusion& confusion,
                                     const std::vector<std::string>& labels) {
  std::vector<std::string> out = labels;
  for (const auto& [cls, row] : confusion)
    for (const auto& [label, n] : row)
      if (std::find(out.begin(), out.end(), label) == out.end()) out.push_back(label);
  return out;
}

json confusion_json(const Confusion& confusion, const std::vector<std::string>& rows,
                    const std::vector<std::string>& cols) {
  json out = json::object();
  for (const auto& r : rows) {
    const auto it = confusion.find(r);
    json row = json::object();
    for (const auto& c : cols) row[c] = it == confusion.end() ? 0 : get(it->second, c);
    out[r] = std::move(row);
  }
  return out;
}

std::pair<std::int64_t, std::int64_t> correct_of(const Confusion& confusion,
                                                 const LabelRoles& roles) {
  std::int64_t correct = 0, total = 0;
  for (const auto& [cls, label] : roles.ground_truth) {
    const auto it = confusion.find(cls);
    if (it == confusion.end()) continue;
    correct += get(it->second, label);
    total += sum(it->second);
  }
  return {correct, total};
}

json incorrect_json(const Confusion& confusion, const LabelRoles& roles) {
  if (roles.incorrect.empty()) return nullptr;
  const auto share = [&](const char* cls) {
    const auto it = confusion.find(cls);
    return it == confusion.end() ? json(nullptr)
                                 : count_ratio(get(it->second, roles.incorrect), sum(it->second));
  };
  return {{"label", roles.incorrect},
          {"recall", share(kIncorrect)},
          {"with_mask_labelled_incorrect", share(kWithMask)}};
}

double iou(const cv::Rect& a, const cv::Rect& b) {
  if (a.width <= 0 || a.height <= 0 || b.width <= 0 || b.height <= 0) return 0.0;
  // x + width can pass INT_MAX and width * height does for large boxes: 64-bit throughout.
  // Each side of the intersection is at most a width (< 2^31), so every product fits.
  using I = std::int64_t;
  const I iw = std::min(I{a.x} + a.width, I{b.x} + b.width) - std::max(I{a.x}, I{b.x});
  const I ih = std::min(I{a.y} + a.height, I{b.y} + b.height) - std::max(I{a.y}, I{b.y});
  if (iw <= 0 || ih <= 0) return 0.0;
  const double inter = static_cast<double>(iw * ih);
  const double uni = static_cast<double>(I{a.width} * a.height) +
                     static_cast<double>(I{b.width} * b.height) - inter;
  return uni > 0 ? inter / uni : 0.0;
}

std::vector<int> match_greedy(const std::vector<cv::Rect>& gt, const std::vector<cv::Rect>& pred,
                              double min_iou) {
  std::vector<std::tuple<double, int, int>> pairs;
  for (size_t g = 0; g < gt.size(); ++g)
    for (size_t p = 0; p < pred.size(); ++p) {
      const double v = iou(gt[g], pred[p]);
      if (v >= min_iou && v > 0) pairs.emplace_back(v, static_cast<int>(g), static_cast<int>(p));
    }
  std::sort(pairs.begin(), pairs.end(), [](const auto& a, const auto& b) {
    if (std::get<0>(a) != std::get<0>(b)) return std::get<0>(a) > std::get<0>(b);
    return std::make_pair(std::get<1>(a), std::get<2>(a)) <
           std::make_pair(std::get<1>(b), std::get<2>(b));
  });
  std::vector<int> of_pred(pred.size(), -1);
  std::vector<bool> gt_taken(gt.size(), false);
  for (const auto& [v, g, p] : pairs) {
    if (gt_taken[static_cast<size_t>(g)] || of_pred[static_cast<size_t>(p)] >= 0) continue;
    gt_taken[static_cast<size_t>(g)] = true;
    of_pred[static_cast<size_t>(p)] = g;
  }
  return of_pred;
}

VocTally& VocTally::operator+=(const VocTally& o) {
  images += o.images;
  predictions += o.predictions;
  for (const auto& [k, v] : o.gt) gt[k] += v;
  for (const auto& [k, v] : o.found50) found50[k] += v;
  for (const auto& [k, v] : o.found30) found30[k] += v;
  matched_pred50 += o.matched_pred50;
  matched_pred30 += o.matched_pred30;
  for (const auto& [cls, row] : o.confusion)
    for (const auto& [label, n] : row) confusion[cls][label] += n;
  no_mask_tp += o.no_mask_tp;
  no_mask_fp_with_mask += o.no_mask_fp_with_mask;
  no_mask_fp_unmatched += o.no_mask_fp_unmatched;
  no_mask_fn += o.no_mask_fn;
  no_mask_ignored += o.no_mask_ignored;
  return *this;
}

VocTally score_image(const std::vector<GtFace>& gt, const std::vector<Face>& predictions,
                     const LabelRoles& roles) {
  std::vector<cv::Rect> gb, pb;
  for (const auto& g : gt) gb.push_back(g.box);
  for (const auto& p : predictions) pb.push_back(p.box);
  // Matching ignores labels: first "was this face found", then "was it labelled right".
  const std::vector<int> m50 = match_greedy(gb, pb, 0.5), m30 = match_greedy(gb, pb, 0.3);

  VocTally t;
  t.images = 1;
  t.predictions = static_cast<std::int64_t>(predictions.size());
  for (const auto& g : gt) t.gt[g.cls] += 1;
  std::vector<bool> alerted(gt.size(), false);
  for (size_t p = 0; p < predictions.size(); ++p) {
    if (m50[p] >= 0) {
      t.found50[gt[static_cast<size_t>(m50[p])].cls] += 1;
      t.matched_pred50 += 1;
    }
    const bool alert = predictions[p].label == roles.unmasked;
    if (m30[p] < 0) {
      if (alert) t.no_mask_fp_unmatched += 1;
      continue;
    }
    const GtFace& g = gt[static_cast<size_t>(m30[p])];
    t.found30[g.cls] += 1;
    t.matched_pred30 += 1;
    t.confusion[g.cls][predictions[p].label] += 1;
    if (!alert) continue;
    const std::string* right = right_label(roles, g.cls);
    if (!right || *right == roles.incorrect) {
      t.no_mask_ignored += 1;
    } else if (*right == roles.unmasked) {
      t.no_mask_tp += 1;
      alerted[static_cast<size_t>(m30[p])] = true;
    } else {
      t.no_mask_fp_with_mask += 1;
    }
  }
  for (size_t g = 0; g < gt.size(); ++g) {
    const std::string* right = right_label(roles, gt[g].cls);
    if (right && *right == roles.unmasked && !alerted[g]) t.no_mask_fn += 1;
  }
  return t;
}

json voc_metrics(const VocTally& t, const LabelRoles& roles) {
  const std::vector<std::string> classes = class_order(t.gt, true);
  json out;
  out["images"] = t.images;
  json faces = json::object();
  for (const auto& c : classes) faces[c] = get(t.gt, c);
  faces[kAll] = sum(t.gt);
  out["faces"] = faces;
  out["predictions"] = t.predictions;
  out["detection"] = {{"iou_0.5", detection_json(t, classes, t.found50, t.matched_pred50)},
                      {"iou_0.3", detection_json(t, classes, t.found30, t.matched_pred30)}};
  out["classification"] = classification_json(t, classes, roles);
  out["no_mask_found"] = alerts_json(t);
  return out;
}

json crop_metrics(const CropTally& t, const LabelRoles& roles) {
  Counts per_class;
  for (const auto& [cls, row] : t.confusion) per_class[cls] = sum(row);
  const std::vector<std::string> rows = class_order(per_class, false);
  const std::vector<std::string> cols = label_order(t.confusion, roles.labels);
  json out;
  out["images"] = sum(per_class);
  json counts = json::object();
  for (const auto& c : rows) counts[c] = get(per_class, c);
  out["faces"] = counts;

  std::int64_t correct = 0, total = 0;
  json classes = json::object();
  for (const auto& [cls, label] : roles.ground_truth) {
    const auto it = t.confusion.find(cls);
    const std::int64_t tp = it == t.confusion.end() ? 0 : get(it->second, label);
    const std::int64_t support = get(per_class, cls);
    // Precision over the scored classes only: a with_incorrect_mask crop has no right answer,
    // so it counts against no label.
    std::int64_t predicted = 0;
    for (const auto& [c2, l2] : roles.ground_truth) {
      const auto r = t.confusion.find(c2);
      if (r != t.confusion.end()) predicted += get(r->second, label);
    }
    classes[cls] = {{"label", label},
                    {"support", support},
                    {"predicted", predicted},
                    {"correct", tp},
                    {"precision", count_ratio(tp, predicted)},
                    {"recall", count_ratio(tp, support)}};
    correct += tp;
    total += support;
  }
  out["accuracy"] = count_ratio(correct, total);
  out["correct"] = correct;
  out["total"] = total;
  out["per_class"] = classes;
  out["labels"] = cols;
  out["confusion"] = confusion_json(t.confusion, rows, cols);
  return out;
}

}  // namespace maskdetect
