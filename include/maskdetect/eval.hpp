// `maskdetect eval`: runs the real detector and classifier over annotated sets and measures what
// a user of the tool experiences (faces found, labels right, "no_mask face found" alerts right).
// See docs/eval.md for the metric definitions.
#pragma once

#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <map>
#include <nlohmann/json.hpp>
#include <opencv2/core/types.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "maskdetect/detector.hpp"
#include "maskdetect/types.hpp"

namespace maskdetect {

struct EvalOptions {
  std::vector<std::filesystem::path> datasets;  // VOC folders or class-folder crop sets
  std::string split = "all";                    // "all", "train", "val" or "test" (split_of)
  std::filesystem::path json_out;               // metrics JSON written here; empty: none
  DetectorOptions detector;
  std::filesystem::path model;  // .onnx or its card; empty: find_default_model
  float threshold = 0.5F;
  std::optional<float> face_threshold;  // none: the model card's
  int threads = 0;                      // 0: one per core; totals do not depend on it
  std::size_t limit = 0;                // first N images of each set after the split; 0: all
  // Score the faces of this report (maskdetect's report.json, or any JSON with files[].path and
  // files[].faces[].box / .label) instead of running the detector: VOC sets only.
  std::filesystem::path from_report;
};

// Faces per image file name from a report (see EvalOptions::from_report); the first entry of a
// name wins. Throws SetupError when the file is unreadable or has no "files" list.
std::map<std::string, std::vector<Face>> faces_from_report(const std::filesystem::path& report);
// The same from the report's text (what faces_from_report reads); throws SetupError only.
std::map<std::string, std::vector<Face>> parse_report_faces(std::string_view text);

// Prints a table per dataset to `out`, notes (unreadable images, ...) to `log`, writes
// `json_out` and returns the same JSON. Throws SetupError (model, detector, dataset layout,
// unwritable json_out, unknown split).
nlohmann::json run_eval(const EvalOptions& options, std::ostream& out, std::ostream& log);

// --- The pieces, exposed for tests. ---

// The ground-truth classes, as spelled in the JSON.
inline constexpr const char* kWithMask = "with_mask";
inline constexpr const char* kWithoutMask = "without_mask";
inline constexpr const char* kIncorrect = "with_incorrect_mask";
inline constexpr const char* kOtherClass = "other";  // any label not listed above

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

// Parses the top-level <object>s of a PASCAL VOC annotation (<part>s inside are ignored).
// Throws std::runtime_error for malformed XML or an object without a usable <bndbox>.
VocAnnotation parse_voc(std::string_view xml);

// Area of intersection over area of union; 0 when either box is empty.
double iou(const cv::Rect& a, const cv::Rect& b);

// One-to-one matching: all (gt, pred) pairs with IoU >= min_iou, taken greedily by IoU
// descending (ties: lower gt index, then lower pred index). Returns, per prediction, the index
// of its ground-truth face or -1.
std::vector<int> match_greedy(const std::vector<cv::Rect>& gt, const std::vector<cv::Rect>& pred,
                              double min_iou);

// The project's train/val/test split: int(sha1(key) as hex) mod 10: 0 test, 1 val, else train.
// Must stay equal to training/common.py split_of.
std::string split_of(std::string_view key);

// Counts for VOC sets. Plain integers, so summing per-image tallies in any order gives the same
// totals.
struct VocTally {
  std::int64_t images = 0, predictions = 0;
  std::map<std::string, std::int64_t> gt;                // per class, "all" excluded
  std::map<std::string, std::int64_t> found50, found30;  // matched gt per class
  std::int64_t matched_pred50 = 0, matched_pred30 = 0;
  std::map<std::string, std::map<std::string, std::int64_t>> confusion;  // gt class -> label
  std::int64_t no_mask_tp = 0, no_mask_fp_with_mask = 0, no_mask_fp_unmatched = 0, no_mask_fn = 0,
               no_mask_ignored = 0;
  VocTally& operator+=(const VocTally& o);
};

// Scores one image's predictions (labels already assigned) against its ground truth.
VocTally score_image(const std::vector<GtFace>& gt, const std::vector<Face>& predictions);

// Ratios and counts of a tally; `labels` are the model's labels (confusion columns).
nlohmann::json voc_metrics(const VocTally& t, const std::vector<std::string>& labels);

// Counts for class-folder crop sets: true class -> predicted label.
struct CropTally {
  std::map<std::string, std::map<std::string, std::int64_t>> confusion;
};

nlohmann::json crop_metrics(const CropTally& t, const std::vector<std::string>& labels);

}  // namespace maskdetect
