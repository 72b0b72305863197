#include "maskdetect/eval_print.hpp"

#include <algorithm>
#include <cstdint>
#include <iomanip>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include "maskdetect/voc.hpp"

using json = nlohmann::json;

namespace maskdetect {
namespace {

constexpr const char* kAll = "all";

// The keys of a per-class object in reading order: known classes, others, then "all" (JSON
// objects here are sorted alphabetically, which puts "all" first).
std::vector<std::string> class_keys(const json& obj) {
  std::vector<std::string> keys;
  for (const char* c : kKnownClasses)
    if (obj.contains(c)) keys.push_back(c);
  for (const auto& [k, v] : obj.items())
    if (std::find(keys.begin(), keys.end(), k) == keys.end() && k != kAll) keys.push_back(k);
  if (obj.contains(kAll)) keys.push_back(kAll);
  return keys;
}

// nlohmann's operator<< takes the stream width as its indent, so values go through strings.
std::string str(const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

std::string fmt(const json& v, int precision = 3) {
  if (v.is_null()) return "-";
  std::ostringstream s;
  s << std::fixed << std::setprecision(precision) << v.get<double>();
  return s.str();
}

void print_confusion(std::ostream& out, const json& confusion, const json& labels,
                     const char* indent = "  ") {
  // A column as wide as its label, so a long one (mask_incorrect) keeps the table aligned.
  std::vector<int> width;
  for (const auto& l : labels)
    width.push_back(std::max(9, static_cast<int>(l.get<std::string>().size()) + 2));
  out << indent << std::left << std::setw(22) << "true \\ predicted";
  for (std::size_t k = 0; k < labels.size(); ++k)
    out << std::right << std::setw(width[k]) << labels[k].get<std::string>();
  out << '\n';
  for (const auto& cls : class_keys(confusion)) {
    out << indent << std::left << std::setw(22) << cls;
    for (std::size_t k = 0; k < labels.size(); ++k)
      out << std::right << std::setw(width[k]) << str(confusion[cls][labels[k].get<std::string>()]);
    out << '\n';
  }
}

// The incorrect role's figures, when the model has one.
void print_incorrect(std::ostream& out, const json& incorrect, const char* indent = "  ") {
  if (incorrect.is_null()) return;
  out << indent << incorrect["label"].get<std::string>() << ": recall " << fmt(incorrect["recall"])
      << " on with_incorrect_mask, " << fmt(incorrect["with_mask_labelled_incorrect"])
      << " of with_mask faces given it\n";
}

// Per threshold: the share of true faces the not_face gate keeps, per class, and their labels.
void print_gate(std::ostream& out, const json& gate) {
  const std::vector<std::string> classes = class_keys(gate["faces"]);
  out << "  not_face gate on true face crops (" << gate["faces"]["all"] << " faces";
  if (gate["empty_boxes"].get<std::int64_t>() > 0)
    out << ", " << gate["empty_boxes"] << " boxes too small to crop";
  out << "): share kept\n";
  out << "  " << std::left << std::setw(22) << "at P(face) >=" << std::right;
  for (const auto& cls : classes) out << std::setw(21) << cls;
  out << '\n';
  for (const auto& [name, at] : gate["at"].items()) {
    std::ostringstream head;
    head << name << " " << fmt(at["face_threshold"], 2);
    out << "  " << std::left << std::setw(22) << head.str() << std::right;
    for (const auto& cls : classes) out << std::setw(21) << fmt(at["keep_rate"][cls]);
    out << '\n';
  }
  if (!gate["at"].contains("run")) return;
  const json& run = gate["at"]["run"];
  out << "  labels of true face crops at this run's thresholds: accuracy " << fmt(run["accuracy"])
      << '\n';
  print_confusion(out, run["confusion"], gate["labels"]);
  print_incorrect(out, run["incorrect"]);
}

void print_detection(std::ostream& out, const json& d) {
  const std::vector<std::string> classes = class_keys(d["faces"]);
  out << "  " << std::left << std::setw(22) << "faces" << std::right;
  for (const auto& cls : classes) out << std::setw(21) << cls;
  out << '\n' << "  " << std::left << std::setw(22) << "ground truth" << std::right;
  for (const auto& cls : classes) out << std::setw(21) << str(d["faces"][cls]);
  out << '\n';
  for (const char* k : {"iou_0.5", "iou_0.3"}) {
    const json& det = d["detection"][k];
    out << "  recall @" << std::left << std::setw(13) << (k + 4) << std::right;
    for (const auto& cls : classes) out << std::setw(21) << fmt(det["recall"][cls]);
    out << '\n';
  }
  out << "  face precision: " << fmt(d["detection"]["iou_0.5"]["precision"]) << " @0.5, "
      << fmt(d["detection"]["iou_0.3"]["precision"]) << " @0.3 (" << d["predictions"]
      << " predicted faces)\n";
}

void print_voc(std::ostream& out, const json& d) {
  print_detection(out, d);
  const json& c = d["classification"];
  out << "  labels of faces found (IoU 0.3): accuracy " << fmt(c["accuracy"]) << " on "
      << c["total"] << " faces of the classes the model card scores\n";
  print_confusion(out, c["confusion"], c["labels"]);
  print_incorrect(out, c["incorrect"]);
  const json& nm = d["no_mask_found"];
  out << "  \"no_mask face found\": precision " << fmt(nm["precision"]) << "  recall "
      << fmt(nm["recall"]) << "  F1 " << fmt(nm["f1"]) << "  (TP " << nm["tp"] << ", FP "
      << nm["fp"] << " = " << nm["fp_on_with_mask"] << " on with_mask + " << nm["fp_unmatched"]
      << " not a face, FN " << nm["fn"] << ", ignored " << nm["ignored"] << ")\n";
  const json& t = d["time_ms"];
  out << "  ms per image: detect+classify median " << fmt(t["detect_classify"]["median"], 1)
      << " mean " << fmt(t["detect_classify"]["mean"], 1) << "; with decode median "
      << fmt(t["with_decode"]["median"], 1) << " mean " << fmt(t["with_decode"]["mean"], 1) << '\n';
  if (d.contains("gate")) print_gate(out, d["gate"]);
}

void print_crops(std::ostream& out, const json& d) {
  out << "  accuracy " << fmt(d["accuracy"]) << " on " << d["total"]
      << " with_mask/without_mask crops\n";
  for (const auto& [cls, pc] : d["per_class"].items())
    out << "  " << std::left << std::setw(14) << cls << std::right << "precision "
        << fmt(pc["precision"]) << "  recall " << fmt(pc["recall"]) << "  (" << pc["support"]
        << " crops)\n";
  print_confusion(out, d["confusion"], d["labels"]);
  const json& t = d["time_ms"];
  out << "  ms per crop: classify mean " << fmt(t["classify"]["mean"], 2) << "; with decode median "
      << fmt(t["with_decode"]["median"], 2) << " mean " << fmt(t["with_decode"]["mean"], 2) << '\n';
}

}  // namespace

void print_dataset(std::ostream& out, const json& d) {
  out << d["path"].get<std::string>() << "  (" << d["kind"].get<std::string>() << ", split "
      << d["split"].get<std::string>() << ", " << d["images"]
      << (d["kind"] == "voc" ? " images" : " crops");
  if (d.contains("scale")) out << ", scale " << fmt(d["scale"]);
  if (d["failed"].get<std::int64_t>() > 0) out << ", " << d["failed"] << " unreadable";
  out << ")\n";
  if (d["kind"] == "voc")
    print_voc(out, d);
  else
    print_crops(out, d);
  out << '\n';
}

void print_over_scales(std::ostream& out, const json& summary) {
  out << summary["path"].get<std::string>() << "  (split " << summary["split"].get<std::string>()
      << ", mean over scales";
  for (const auto& s : summary["scales"]) out << " " << fmt(s);
  out << ")\n  no_mask F1: mean " << fmt(summary["no_mask_f1"]["mean"]) << " (";
  const json& by = summary["no_mask_f1"]["by_scale"];
  for (std::size_t i = 0; i < by.size(); ++i)
    out << (i ? ", " : "") << fmt(summary["scales"][i]) << ": " << fmt(by[i]);
  out << ")\n  face recall @0.3, mean:";
  for (const auto& cls : class_keys(summary["recall_iou_0.3"]))
    out << " " << cls << " " << fmt(summary["recall_iou_0.3"][cls]["mean"]);
  out << '\n';
  if (summary.contains("gate_keep")) {
    out << "  not_face gate keeps, of all true faces (lowest over the scales / mean):";
    for (const auto& [name, k] : summary["gate_keep"].items())
      out << " " << name << " " << fmt(k["min"]) << " / " << fmt(k["mean"]);
    out << '\n';
  }
  out << '\n';
}

}  // namespace maskdetect
