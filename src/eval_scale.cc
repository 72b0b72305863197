#include "maskdetect/eval_scale.hpp"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>
#include <string>

namespace maskdetect {
namespace {

using json = nlohmann::json;

int scaled(int v, double factor) { return static_cast<int>(std::lround(v * factor)); }

// A value per scale, its mean and, when asked, its minimum; null when any value is.
json over_scales(const std::vector<json>& values, bool with_min) {
  json out = {{"by_scale", values}};
  const bool all_known =
      !values.empty() &&
      std::all_of(values.begin(), values.end(), [](const json& v) { return v.is_number(); });
  double total = 0, lowest = 0;
  for (std::size_t i = 0; all_known && i < values.size(); ++i) {
    const double v = values[i].get<double>();
    total += v;
    lowest = i == 0 ? v : std::min(lowest, v);
  }
  out["mean"] = all_known ? json(total / static_cast<double>(values.size())) : json(nullptr);
  if (with_min) out["min"] = all_known ? json(lowest) : json(nullptr);
  return out;
}

// Values at `pointer` in every entry, null where an entry lacks it.
std::vector<json> column(const std::vector<json>& entries, const json::json_pointer& pointer) {
  std::vector<json> out;
  for (const json& e : entries) out.push_back(e.contains(pointer) ? e.at(pointer) : json(nullptr));
  return out;
}

}  // namespace

cv::Size scaled_size(cv::Size full, double scale) {
  return {std::max(1, scaled(full.width, scale)), std::max(1, scaled(full.height, scale))};
}

std::vector<GtFace> scale_faces(const std::vector<GtFace>& faces, cv::Size from, cv::Size to) {
  if (from == to) return faces;
  const double sx = static_cast<double>(to.width) / from.width;
  const double sy = static_cast<double>(to.height) / from.height;
  std::vector<GtFace> out = faces;
  for (GtFace& f : out) f.box = scale_box(f.box, sx, sy);
  return out;
}

cv::Mat scale_image(const cv::Mat& bgr, cv::Size size) {
  if (bgr.size() == size) return bgr;
  cv::Mat out;
  cv::resize(bgr, out, size, 0, 0, cv::INTER_AREA);
  return out;
}

json summarise_scales(const std::vector<json>& entries) {
  json out = json::object();
  if (entries.empty()) return out;
  const json& first = entries.front();
  out["path"] = first.value("path", "");
  out["split"] = first.value("split", "");
  out["scales"] = column(entries, "/scale"_json_pointer);
  // A photo the tool cannot analyse at a scale is not counted there: the means are then over
  // different photos, which these make visible.
  out["images"] = column(entries, "/images"_json_pointer);
  out["failed"] = column(entries, "/failed"_json_pointer);
  out["no_mask_f1"] = over_scales(column(entries, "/no_mask_found/f1"_json_pointer), false);
  json recall = json::object();
  for (const auto& [cls, v] : first["detection"]["iou_0.3"]["recall"].items())
    recall[cls] =
        over_scales(column(entries, json::json_pointer("/detection/iou_0.3/recall/" + cls)), false);
  out["recall_iou_0.3"] = recall;
  if (first.contains("gate")) {
    json keep = json::object();
    for (const auto& [name, v] : first["gate"]["at"].items())
      keep[name] = over_scales(
          column(entries, json::json_pointer("/gate/at/" + name + "/keep_rate/all")), true);
    out["gate_keep"] = keep;
  }
  return out;
}

}  // namespace maskdetect
