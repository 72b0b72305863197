#include "maskdetect/types.hpp"

#include <algorithm>
#include <cmath>

namespace maskdetect {

// These strings are part of the report format (maskdetect.report/2); changing one breaks every
// consumer that filters on them.
const char* to_string(FileKind kind) {
  switch (kind) {
    case FileKind::Image:
      return "image";
    case FileKind::Video:
      return "video";
    case FileKind::Unknown:
      break;
  }
  return "unknown";
}

const char* to_string(FileStatus status) {
  switch (status) {
    case FileStatus::Ok:
      return "ok";
    case FileStatus::Skipped:
      return "skipped";
    case FileStatus::Error:
      break;
  }
  return "error";
}

void RunSummary::add(const FileResult& r) {
  ++files;
  if (r.status == FileStatus::Ok)
    ++ok;
  else if (r.status == FileStatus::Skipped)
    ++skipped;
  else
    ++failed;
  if (r.kind == FileKind::Video) {
    // A video counts people (its tracks), not faces per frame: one person in front of the
    // camera for 8 s is one no_mask, not 200.
    for (const auto& [label, n] : r.people_by_label) {
      people += n;
      by_label[label] += n;
    }
    frames += r.frames;
  } else {
    faces += static_cast<std::int64_t>(r.faces.size());
    for (const Face& f : r.faces) by_label[f.label] += 1;
  }
}

cv::Rect scale_box(const cv::Rect& box, double sx, double sy) {
  const auto scaled = [](int v, double f) { return static_cast<int>(std::lround(v * f)); };
  const int x0 = scaled(box.x, sx), y0 = scaled(box.y, sy);
  const int x1 = scaled(box.x + box.width, sx), y1 = scaled(box.y + box.height, sy);
  return {x0, y0, std::max(0, x1 - x0), std::max(0, y1 - y0)};
}

}  // namespace maskdetect
