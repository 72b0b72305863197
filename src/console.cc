#include "maskdetect/console.hpp"

#include <algorithm>
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

void ConsoleSink::frame(const InputFile&, FileResult& video, const FrameRecord&, cv::Mat&) {
  if (frames_ == 0) video_start_ = std::chrono::steady_clock::now();
  ++frames_;
  video_ = &video;
  progress();
}

void ConsoleSink::file(const InputFile&, FileResult& r) {
  seen_.add(r);
  if (r.resumed) ++resumed_;
  if (r.kind == FileKind::Video) {
    frames_ = 0;  // now counted in seen_
    video_ = nullptr;
  }
  const char* clear = o_.progress ? kClearLine : "";
  // A file --resume took from the earlier run was reported then; only its error is repeated,
  // as the reason for this run's exit status.
  if (r.resumed && r.status != FileStatus::Error) return progress();
  // --quiet silences the chatter, never the reason for an exit status of 1.
  if (r.status == FileStatus::Error) {
    log_ << clear << "maskdetect: " << r.path << ": " << r.error << '\n';
  } else if (o_.quiet) {
    return;
  } else if (r.status == FileStatus::Skipped) {
    if (o_.verbose) log_ << clear << "maskdetect: " << r.path << ": skipped: " << r.error << '\n';
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
  line << kClearLine << files_progress(s);
  if (seen_.frames + frames_ > 0) line << ", " << seen_.frames + frames_ << " frames";
  line << ", " << seen_.faces << " faces, " << seen_.failed << " failed";
  if (video_ != nullptr) line << video_progress();
  log_ << line.str() << std::flush;
}

// "37/120 files (30%), 3.2 files/s, 26 s left"; without a total, "37 files, 3.2 files/s". The
// rate counts only files processed now, not those --resume took from an earlier run.
std::string ConsoleSink::files_progress(double seconds) const {
  const std::int64_t total = o_.total ? o_.total() : -1;
  const double rate = seconds > 0 ? static_cast<double>(seen_.files - resumed_) / seconds : 0.0;
  std::ostringstream out;
  out << std::fixed << std::setprecision(1) << seen_.files;
  if (total > 0)
    out << '/' << total << " files (" << std::min<std::int64_t>(100, seen_.files * 100 / total)
        << "%)";
  else
    out << " files";
  out << ", " << rate << " files/s";
  if (total > seen_.files && rate > 0)
    out << ", " << std::setprecision(0) << static_cast<double>(total - seen_.files) / rate
        << " s left";
  return out.str();
}

// " · clip.mp4 frame 120/275 (44%), 18.3 frames/s, 8 s left"; live sources have no total.
std::string ConsoleSink::video_progress() const {
  const double s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - video_start_).count();
  const double rate = s > 0 ? static_cast<double>(frames_) / s : 0.0;
  std::ostringstream out;
  out << std::fixed << std::setprecision(1) << " · " << video_->path << " frame " << frames_;
  const std::int64_t total = video_->frames_expected;
  if (total > 0) {
    out << '/' << total << " (" << std::min<std::int64_t>(100, frames_ * 100 / total) << "%)";
  }
  out << ", " << rate << " frames/s";
  if (total > frames_ && rate > 0)
    out << ", " << std::setprecision(0) << static_cast<double>(total - frames_) / rate << " s left";
  return out.str();
}

}  // namespace maskdetect
