// Fuzzes PASCAL VOC parsing and what eval does with the boxes it yields: parse_voc may throw
// std::runtime_error (malformed XML, an object without a usable box) and nothing else; the
// parsed boxes then go through iou, match_greedy and score_image as ground truth and, shifted,
// as predictions, so hostile coordinates reach the IoU arithmetic.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <stdexcept>
#include <string_view>
#include <vector>

#include "fuzz_roles.hpp"
#include "maskdetect/eval.hpp"

namespace {

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "voc: %s\n", what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view xml(reinterpret_cast<const char*>(data), size);
  maskdetect::VocAnnotation a;
  try {
    a = maskdetect::parse_voc(xml);
  } catch (const std::runtime_error&) {
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "voc: parse_voc threw %s\n", e.what());
    std::abort();
  }
  std::vector<cv::Rect> boxes;
  std::vector<maskdetect::Face> predictions;
  for (const auto& g : a.faces) {
    if (g.box.width < 0 || g.box.height < 0) fail("negative box size");
    boxes.push_back(g.box);
    maskdetect::Face f;
    f.box = g.box;
    f.label = predictions.size() % 2 ? "no_mask" : "mask";
    predictions.push_back(f);
    // A neighbour of the same box, as a detector would report it.
    f.box.x += f.box.width / 3;
    predictions.push_back(f);
  }
  for (std::size_t i = 0; i < boxes.size() && i < 64; ++i)
    for (std::size_t j = 0; j < boxes.size() && j < 64; ++j) {
      const double v = maskdetect::iou(boxes[i], boxes[j]);
      if (!(v >= 0 && v <= 1)) fail("iou outside [0, 1]");
      if (v != maskdetect::iou(boxes[j], boxes[i])) fail("iou not symmetric");
    }
  if (boxes.size() > 256) return 0;  // matching is quadratic by design; keep runs fast
  const std::vector<int> m = maskdetect::match_greedy(boxes, boxes, 0.5);
  if (m.size() != boxes.size()) fail("match_greedy: one entry per prediction");
  for (int g : m)
    if (g < -1 || g >= static_cast<int>(boxes.size())) fail("match_greedy: index out of range");
  const maskdetect::VocTally t =
      maskdetect::score_image(a.faces, predictions, maskdetect::fuzz::roles());
  if (t.predictions != static_cast<std::int64_t>(predictions.size()))
    fail("score_image: prediction count");
  if (t.matched_pred50 > t.matched_pred30) fail("score_image: more matches at IoU 0.5 than 0.3");
  return 0;
}
