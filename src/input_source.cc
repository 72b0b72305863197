#include <algorithm>
#include <chrono>
#include <cmath>

#include "maskdetect/image_decode.hpp"
#include "maskdetect/journal.hpp"
#include "maskdetect/live_source.hpp"
#include "work.hpp"

namespace maskdetect {
namespace {

using Clock = std::chrono::steady_clock;

Work failed(InputFile input, FileKind kind, const std::string& format, const std::string& why) {
  Work w;
  w.result.path = input.display;
  w.result.kind = kind;
  w.result.format = format;
  w.result.status = FileStatus::Error;
  w.result.error = why;
  w.input = std::move(input);
  return w;
}

Work skipped(InputFile input, const std::string& format, const std::string& why) {
  Work w = failed(std::move(input), FileKind::Unknown, format, why);
  w.result.status = FileStatus::Skipped;
  return w;
}

// Frames the video will hand on, for the progress line: what the container announces, cut by
// --start, --end, --duration and --max-frames; 0 when unknown (live sources).
std::int64_t expected_frames(const FrameSource& v, const VideoOptions& o) {
  if (v.frame_count() <= 0 || v.fps() <= 0) return 0;
  const double total_s = static_cast<double>(v.frame_count()) / v.fps();
  double end_s = o.end_s > 0 ? std::min(o.end_s, total_s) : total_s;
  if (o.max_seconds > 0) end_s = std::min(end_s, o.start_s + o.max_seconds);
  auto n = static_cast<std::int64_t>(std::ceil(std::max(0.0, end_s - o.start_s) * v.fps()));
  n = std::min(n, v.frame_count());
  return o.max_frames > 0 ? std::min(n, o.max_frames) : n;
}

}  // namespace

InputSource::InputSource(const PipelineOptions& options, std::istream& stdin_list)
    : o_(options), walker_(options.inputs, options.out_dir, &stdin_list, options.list_separator) {}

InputSource::~InputSource() = default;

bool InputSource::cancelled() {
  if (o_.cancel && o_.cancel->requested()) interrupted_ = true;
  return interrupted_ || (o_.stop && o_.stop->load());
}

std::optional<Work> InputSource::next() {
  if (video_) return next_frame();
  if (cancelled()) return std::nullopt;
  return next_file();
}

std::optional<Work> InputSource::next_file() {
  std::optional<InputFile> in = walker_.next();
  // Decided by the reported path, the one name every shard and merge agree on.
  while (in && !in_shard(in->display, o_.shard)) in = walker_.next();
  if (!in) return std::nullopt;
  // --resume: an input the earlier run finished takes its earlier result, in its place.
  if (o_.resume && !is_live_input(in->display))
    if (std::optional<FileResult> done = o_.resume->take(in->display)) {
      Work w;
      w.result = std::move(*done);
      w.input = std::move(*in);
      return w;
    }
  // A file that cannot be processed still gets its place, in order, in every report.
  // Copied first: the InputFile argument may be moved from before a reference into it is read.
  if (const std::string why = in->error; !why.empty())
    return failed(std::move(*in), FileKind::Unknown, "", why);
  if (const std::string why = in->skipped; !why.empty()) return skipped(std::move(*in), {}, why);
  if (is_live_input(in->display)) return open_live(std::move(*in));
  MediaInfo info;
  try {
    info = sniff_media(in->path);
  } catch (const std::exception& e) {
    return failed(std::move(*in), FileKind::Unknown, "", e.what());
  }
  if (not_media(in->path, info))
    return skipped(std::move(*in), info.format,
                   info.reason.empty() ? "not an image or video" : info.reason);
  if (info.kind == FileKind::Unknown)
    return failed(std::move(*in), info.kind, info.format,
                  info.reason.empty() ? "not an image or video" : info.reason);
  if (info.kind == FileKind::Video) return open_video(std::move(*in), info);
  Work w;
  w.result.path = in->display;
  w.result.kind = info.kind;
  w.result.format = info.format;
  w.input = std::move(*in);
  w.info = std::move(info);
  return w;
}

Work InputSource::open_video(InputFile input, const MediaInfo& info) {
  // Decoding is sequential, so it happens here and frames fan out to the workers.
  try {
    video_ = std::make_unique<VideoSource>(input.path, o_.max_pixels);
  } catch (const InputError& e) {
    return failed(std::move(input), info.kind, info.format, e.what());
  }
  return start_video(std::move(input), info.kind, info.format);
}

Work InputSource::open_live(InputFile input) {
  try {
    video_ = std::make_unique<LiveSource>(input.path.string(), o_.max_pixels);
  } catch (const InputError& e) {
    return failed(std::move(input), FileKind::Video, "live", e.what());
  }
  return start_video(std::move(input), FileKind::Video, "live");
}

Work InputSource::start_video(InputFile input, FileKind kind, const std::string& format) {
  const VideoOptions& vo = o_.video;
  state_ = std::make_shared<VideoState>();
  TrackerOptions track = vo.tracker;
  track.frame_size = video_->size();
  state_->tracker = std::make_unique<Tracker>(track, vo.label_rule);
  FileResult& r = state_->result;
  r.path = input.display;
  r.kind = kind;
  r.format = format;
  r.fps = video_->fps();
  r.width = video_->size().width;
  r.height = video_->size().height;
  r.live = video_->live();
  r.frames_expected = expected_frames(*video_, vo);
  state_->input = std::move(input);
  index_ = 0;
  return next_frame();
}

// Reads up to the next frame to hand on: frames before --start are decoded and passed over
// (exact, and cheap next to analysing them), and --end, --duration and --max-frames end it.
bool InputSource::read_frame(Work& w) {
  const VideoOptions& vo = o_.video;
  if (vo.max_frames > 0 && index_ >= vo.max_frames) return false;
  double time_ms = 0;
  for (;;) {
    if (cancelled() || !video_->read(w.pixels, time_ms)) return false;
    if (time_ms >= vo.start_s * 1000) break;
  }
  if (vo.end_s > 0 && time_ms >= vo.end_s * 1000) return false;
  if (vo.max_seconds > 0 && time_ms - vo.start_s * 1000 >= vo.max_seconds * 1000) return false;
  w.type = Work::Type::Frame;
  w.record.index = index_;
  w.record.time_ms = time_ms;
  w.detect = index_ % std::max(1, vo.stride) == 0;  // run.cc resolves stride 0
  ++index_;
  return true;
}

Work InputSource::next_frame() {
  Work w;
  w.video = state_;
  const auto t0 = Clock::now();
  if (read_frame(w)) {
    w.times.decode = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    return w;
  }
  w.type = Work::Type::VideoEnd;
  w.pixels.release();
  w.interrupted = interrupted_;
  w.oversized = video_->oversized();
  // Stopping early on purpose (--end, --max-frames) is not damage.
  const bool cut = o_.video.end_s > 0 || o_.video.max_frames > 0 || o_.video.max_seconds > 0;
  w.lost_frames = interrupted_ || cut ? 0 : video_->lost_frames();
  w.first_loss_at = video_->first_loss_at();
  w.announced_frames = video_->frame_count();
  w.dropped_frames = video_->dropped_frames();
  video_.reset();
  state_.reset();
  return w;
}

}  // namespace maskdetect
