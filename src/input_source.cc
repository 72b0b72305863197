#include <chrono>

#include "maskdetect/image_decode.hpp"
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

}  // namespace

InputSource::InputSource(const PipelineOptions& options, std::istream& stdin_list)
    : o_(options), walker_(options.inputs, options.out_dir, &stdin_list) {}

InputSource::~InputSource() = default;

bool InputSource::cancelled() {
  if (o_.cancel && o_.cancel->load()) interrupted_ = true;
  return interrupted_;
}

std::optional<Work> InputSource::next() {
  if (video_) return next_frame();
  if (cancelled()) return std::nullopt;
  return next_file();
}

std::optional<Work> InputSource::next_file() {
  std::optional<InputFile> in = walker_.next();
  if (!in) return std::nullopt;
  // A file that cannot be processed still gets its place, in order, in every report.
  if (!in->error.empty()) return failed(std::move(*in), FileKind::Unknown, "", in->error);
  MediaInfo info;
  try {
    info = sniff_media(in->path);
  } catch (const std::exception& e) {
    return failed(std::move(*in), FileKind::Unknown, "", e.what());
  }
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
  state_ = std::make_shared<VideoState>();
  FileResult& r = state_->result;
  r.path = input.display;
  r.kind = info.kind;
  r.format = info.format;
  r.fps = video_->fps();
  r.width = video_->size().width;
  r.height = video_->size().height;
  state_->input = std::move(input);
  index_ = 0;
  return next_frame();
}

Work InputSource::next_frame() {
  Work w;
  w.video = state_;
  const auto t0 = Clock::now();
  double time_ms = 0;
  if (!cancelled() && video_->read(w.pixels, time_ms)) {
    w.type = Work::Type::Frame;
    w.times.decode = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    w.record.index = index_++;
    w.record.time_ms = time_ms;
    return w;
  }
  w.type = Work::Type::VideoEnd;
  w.interrupted = interrupted_;
  w.oversized = video_->oversized();
  w.lost_frames = interrupted_ ? 0 : video_->lost_frames();
  w.first_loss_at = video_->first_loss_at();
  w.announced_frames = video_->frame_count();
  video_.reset();
  state_.reset();
  return w;
}

}  // namespace maskdetect
