#include "maskdetect/types.hpp"

namespace maskdetect {

// These strings are part of the report format (maskdetect.report/1); changing one breaks every
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
    case FileStatus::Error:
      break;
  }
  return "error";
}

void RunSummary::add(const FileResult& r) {
  ++files;
  if (r.status == FileStatus::Ok)
    ++ok;
  else
    ++failed;
  if (r.kind == FileKind::Video) {
    // A video keeps only per-label totals (its frames streamed elsewhere), so they are the
    // count; its `faces` vector is empty by contract.
    for (const auto& [label, n] : r.faces_by_label) {
      faces += n;
      by_label[label] += n;
    }
    frames += r.frames;
  } else {
    faces += static_cast<std::int64_t>(r.faces.size());
    for (const Face& f : r.faces) by_label[f.label] += 1;
  }
}

}  // namespace maskdetect
