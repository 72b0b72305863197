#include "maskdetect/eval_gate.hpp"

#include "maskdetect/classifier.hpp"
#include "numbers.hpp"

namespace maskdetect {
namespace {

using json = nlohmann::json;

constexpr const char* kAll = "all";
constexpr const char* kRun = "run";

std::int64_t total(const ClassCounts& m) {
  std::int64_t s = 0;
  for (const auto& [k, v] : m) s += v;
  return s;
}

std::int64_t at(const ClassCounts& m, const std::string& k) {
  const auto it = m.find(k);
  return it == m.end() ? 0 : it->second;
}

json accuracy(const Confusion& confusion, const LabelRoles& roles) {
  const auto [correct, all] = correct_of(confusion, roles);
  return count_ratio(correct, all);
}

}  // namespace

std::vector<GateThreshold> gate_thresholds(const ModelCard& card, float run_face_threshold) {
  std::vector<GateThreshold> out;
  for (const auto& [detector, t] : card.face_thresholds)
    out.push_back({detector.empty() ? "card" : detector, t});
  out.push_back({kRun, run_face_threshold});
  return out;
}

GateTally& GateTally::operator+=(const GateTally& o) {
  for (const auto& [k, v] : o.faces) faces[k] += v;
  empty += o.empty;
  for (const auto& [name, counts] : o.kept)
    for (const auto& [k, v] : counts) kept[name][k] += v;
  for (const auto& [name, c] : o.confusion)
    for (const auto& [cls, row] : c)
      for (const auto& [label, n] : row) confusion[name][cls][label] += n;
  return *this;
}

GateTally tally_gate(const std::vector<GtFace>& faces, const std::vector<std::vector<float>>& probs,
                     const ModelCard& card, float threshold,
                     const std::vector<GateThreshold>& thresholds) {
  GateTally t;
  for (std::size_t i = 0; i < faces.size(); ++i) {
    const std::string& cls = faces[i].cls;
    if (i >= probs.size() || probs[i].empty()) {
      t.empty += 1;
      continue;
    }
    t.faces[cls] += 1;
    for (const GateThreshold& g : thresholds) {
      Face f;
      assign_label(f, card, probs[i], threshold, g.face_threshold);
      if (!card.rejects(f.label)) t.kept[g.name][cls] += 1;
      t.confusion[g.name][cls][f.label] += 1;
    }
  }
  return t;
}

json gate_metrics(const GateTally& t, const LabelRoles& roles,
                  const std::vector<GateThreshold>& thresholds) {
  const std::vector<std::string> classes = class_order(t.faces, true);
  json faces = json::object();
  for (const auto& c : classes) faces[c] = at(t.faces, c);
  faces[kAll] = total(t.faces);
  Confusion labels_seen;
  for (const auto& [name, c] : t.confusion)
    for (const auto& [cls, row] : c) labels_seen[cls].insert(row.begin(), row.end());
  const std::vector<std::string> cols = label_order(labels_seen, roles.labels);
  json per = json::object();
  for (const GateThreshold& g : thresholds) {
    const auto k = t.kept.find(g.name);
    const ClassCounts kept = k == t.kept.end() ? ClassCounts{} : k->second;
    const auto c = t.confusion.find(g.name);
    const Confusion confusion = c == t.confusion.end() ? Confusion{} : c->second;
    json n = json::object(), rate = json::object();
    for (const auto& cls : classes) {
      n[cls] = at(kept, cls);
      rate[cls] = count_ratio(at(kept, cls), at(t.faces, cls));
    }
    n[kAll] = total(kept);
    rate[kAll] = count_ratio(total(kept), total(t.faces));
    per[g.name] = {{"face_threshold", shortest(g.face_threshold)},
                   {"kept", n},
                   {"keep_rate", rate},
                   {"confusion", confusion_json(confusion, classes, cols)},
                   {"accuracy", accuracy(confusion, roles)},
                   {"incorrect", incorrect_json(confusion, roles)}};
  }
  return {{"faces", faces}, {"empty_boxes", t.empty}, {"labels", cols}, {"at", per}};
}

}  // namespace maskdetect
