// What `maskdetect eval` reads: which images of a dataset folder are evaluated, with which ground
// truth, and the faces of an existing report when one is scored instead of running the detector.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "maskdetect/types.hpp"
#include "maskdetect/voc.hpp"

namespace maskdetect {

// The project's train/val/test split: int(sha1(key) as hex) mod 10: 0 test, 1 val, else train.
// Must stay equal to training/common.py split_of.
std::string split_of(std::string_view key);

// One image to evaluate.
struct EvalSample {
  std::filesystem::path image;
  std::string key;         // split key
  std::string cls;         // crop sets: the folder's class
  std::vector<GtFace> gt;  // VOC sets: the annotated faces
};

// A dataset folder, planned: its samples in evaluation order and what was left out.
struct DatasetPlan {
  std::filesystem::path path;
  std::string kind;  // "voc" or "crops"
  std::vector<EvalSample> samples;
  std::int64_t missing_images = 0, bad_annotations = 0, keys_from_stem = 0;
};

// Recognises the layout (annotations/ + images/: VOC; with_mask/, without_mask/,
// with_incorrect_mask/: crops) and lists the samples of `split` ("all", "train", "val", "test"),
// the first `limit` of them when > 0 (VOC: by annotation name; crops: by split key). Skipped
// annotations and images are named on `log`. Throws SetupError for a folder of neither layout.
DatasetPlan plan_dataset(const std::filesystem::path& dir, const std::string& split,
                         std::size_t limit, std::ostream& log);

// Faces per image file name from a report (maskdetect's report.json, or any JSON with
// files[].path and files[].faces[].box / .label); the first entry of a name wins. Throws
// SetupError when the file is unreadable or has no "files" list.
std::map<std::string, std::vector<Face>> faces_from_report(const std::filesystem::path& report);
// The same from the report's text (what faces_from_report reads); throws SetupError only.
std::map<std::string, std::vector<Face>> parse_report_faces(std::string_view text);

// The whole file as bytes. Throws std::runtime_error naming it when it cannot be read.
std::string read_file_bytes(const std::filesystem::path& path);

}  // namespace maskdetect
