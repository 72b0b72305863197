// Fuzzes parse_report_faces, the reader behind `maskdetect eval --from-report`: any text may
// come in and SetupError is the only allowed failure. The faces it returns are then scored
// against themselves, as eval would against ground truth.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_roles.hpp"
#include "maskdetect/errors.hpp"
#include "maskdetect/eval.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::map<std::string, std::vector<maskdetect::Face>> faces;
  try {
    faces = maskdetect::parse_report_faces(text);
  } catch (const maskdetect::SetupError&) {
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "report: parse_report_faces threw %s\n", e.what());
    std::abort();
  }
  for (const auto& [name, list] : faces) {
    if (list.size() > 128) continue;  // scoring is quadratic by design
    std::vector<maskdetect::GtFace> gt;
    for (const auto& f : list) {
      maskdetect::GtFace g;
      g.box = f.box;
      g.cls = maskdetect::canonical_gt_class(f.label);
      g.label = f.label;
      gt.push_back(g);
    }
    (void)maskdetect::score_image(gt, list, maskdetect::fuzz::roles());
  }
  return 0;
}
