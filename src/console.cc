#include "maskdetect/console.hpp"

#include <iomanip>
#include <sstream>

#include "maskdetect/report.hpp"

namespace maskdetect {
namespace {

// Clears the progress line before a message is printed over it.
constexpr const char* kClearLine = "\r\033[K";

}  // namespace

ConsoleSink::ConsoleSink(std::ostream& log, ConsoleOptions options)
    : log_(log), o_(std::move(options)), start_(std::chrono::steady_clock::now()) {}

void ConsoleSink::frame(const InputFile&, FileResult&, const FrameRecord&, cv::Mat&) {
  ++frames_;
  progress();
}

void ConsoleSink::file(const InputFile&, FileResult& r) {
  seen_.add(r);
  if (r.kind == FileKind::Video) frames_ = 0;  // now counted in seen_
  if (o_.quiet) return;
  const char* clear = o_.progress ? kClearLine : "";
  if (r.status == FileStatus::Error) {
    log_ << clear << "maskdetect: " << r.path << ": " << r.error << '\n';
  } else if (o_.verbose || !r.warnings.empty()) {
    std::ostringstream line;
    line << clear << "maskdetect: " << r.path << ": ";
    if (r.kind == FileKind::Video)
      line << r.frames << " frames";
    else
      line << r.faces.size() << (r.faces.size() == 1 ? " face" : " faces");
    for (const auto& w : r.warnings) line << "; warning: " << w;
    log_ << line.str() << '\n';
  }
  progress();
}

void ConsoleSink::finish(const RunSummary& summary) {
  if (o_.quiet) return;
  if (o_.progress) log_ << kClearLine;
  log_ << format_summary(summary, o_.labels) << std::flush;
}

void ConsoleSink::progress() {
  if (!o_.progress || o_.quiet) return;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_ < std::chrono::milliseconds(100)) return;
  last_ = now;
  const double s = std::chrono::duration<double>(now - start_).count();
  std::ostringstream line;
  line << kClearLine << seen_.files << " files";
  if (seen_.frames + frames_ > 0) line << ", " << seen_.frames + frames_ << " frames";
  line << ", " << seen_.faces << " faces, " << seen_.failed << " failed  " << std::fixed
       << std::setprecision(1) << (s > 0 ? seen_.files / s : 0.0) << " files/s";
  log_ << line.str() << std::flush;
}

}  // namespace maskdetect
