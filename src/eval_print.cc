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

void print_confusion(std::ostream& out, const json& confusion, const json& labels) {
  out << "  " << std::left << std::setw(22) << "true \\ predicted";
  for (const auto& l : labels) out << std::right << std::setw(9) << l.get<std::string>();
  out << '\n';
  for (const auto& cls : class_keys(confusion)) {
    out << "  " << std::left << std::setw(22) << cls;
    for (const auto& l : labels)
      out << std::right << std::setw(9) << str(confusion[cls][l.get<std::string>()]);
    out << '\n';
  }
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
      << c["total"] << " with_mask/without_mask faces\n";
  print_confusion(out, c["confusion"], c["labels"]);
  const json& nm = d["no_mask_found"];
  out << "  \"no_mask face found\": precision " << fmt(nm["precision"]) << "  recall "
      << fmt(nm["recall"]) << "  F1 " << fmt(nm["f1"]) << "  (TP " << nm["tp"] << ", FP "
      << nm["fp"] << " = " << nm["fp_on_with_mask"] << " on with_mask + " << nm["fp_unmatched"]
      << " not a face, FN " << nm["fn"] << ", ignored " << nm["ignored"] << ")\n";
  const json& t = d["time_ms"];
  out << "  ms per image: detect+classify median " << fmt(t["detect_classify"]["median"], 1)
      << " mean " << fmt(t["detect_classify"]["mean"], 1) << "; with decode median "
      << fmt(t["with_decode"]["median"], 1) << " mean " << fmt(t["with_decode"]["mean"], 1) << '\n';
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
  if (d["failed"].get<std::int64_t>() > 0) out << ", " << d["failed"] << " unreadable";
  out << ")\n";
  if (d["kind"] == "voc")
    print_voc(out, d);
  else
    print_crops(out, d);
  out << '\n';
}

}  // namespace maskdetect
