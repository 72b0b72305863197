// PASCAL VOC annotations as `maskdetect eval` reads them: one face per top-level <object>.
#pragma once

#include <opencv2/core/types.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace maskdetect {

// The ground-truth classes, as spelled in annotations and in eval's JSON. These are annotated
// classes, not model labels: the model card's ground_truth maps them to labels.
inline constexpr const char* kWithMask = "with_mask";
inline constexpr const char* kWithoutMask = "without_mask";
inline constexpr const char* kIncorrect = "with_incorrect_mask";
inline constexpr const char* kOtherClass = "other";  // any label not listed above
// The classes above in reading order (tables and JSON list them so).
inline constexpr const char* kKnownClasses[] = {kWithMask, kWithoutMask, kIncorrect};

// "mask_weared_incorrect" -> "with_incorrect_mask"; known spellings as they are; anything else
// -> "other" (still a face for detection, but excluded from the mask metrics).
std::string canonical_gt_class(std::string_view voc_name);

struct GtFace {
  cv::Rect box;       // xmin, ymin, xmax - xmin, ymax - ymin (as training cuts it)
  std::string cls;    // canonical_gt_class
  std::string label;  // as written in the file
};

struct VocAnnotation {
  std::string filename;  // <filename>, may be empty
  std::vector<GtFace> faces;
};

// Parses the top-level <object>s of a PASCAL VOC annotation (<part>s inside are ignored) with
// pugixml. Coordinates are read as int(float(text)), locale-independently, like training does;
// values beyond +-1e9 are refused, so no box arithmetic downstream can overflow. Throws
// std::runtime_error for malformed XML or an object without a usable <bndbox>.
VocAnnotation parse_voc(std::string_view xml);

}  // namespace maskdetect
