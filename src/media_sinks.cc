#include "maskdetect/media_sinks.hpp"

#include <algorithm>
#include <cmath>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "maskdetect/annotate.hpp"
#include "maskdetect/face_crop.hpp"

namespace fs = std::filesystem;

namespace maskdetect {
namespace {

fs::path video_output_path(const fs::path& out_dir, const fs::path& out_rel) {
  fs::path p = out_dir / out_rel;
  if (p.extension() != ".mp4") p += ".mp4";
  return p;
}

bool same_file(const fs::path& a, const fs::path& b) {
  std::error_code ec;
  return fs::exists(a, ec) && fs::exists(b, ec) && fs::equivalent(a, b, ec);
}

void ensure_parent(const fs::path& p) {
  std::error_code ec;
  fs::create_directories(p.parent_path(), ec);  // racing workers: "exists" is fine
}

bool write_image(const fs::path& p, const cv::Mat& bgr) {
  ensure_parent(p);
  try {
    return cv::imwrite(p.string(), bgr);
  } catch (const cv::Exception&) {
    return false;
  }
}

}  // namespace

fs::path image_output_path(const fs::path& out_dir, const fs::path& out_rel) {
  fs::path p = out_dir / out_rel;
  if (!p.has_extension() || !cv::haveImageWriter(p.string())) p += ".jpg";
  return p;
}

// ---- crops ----

CropSink::CropSink(fs::path out_dir, const ModelCard& card)
    : out_dir_(std::move(out_dir)), card_(card) {}

std::vector<Face> rescale_faces(std::vector<Face> faces, cv::Size from, cv::Size to) {
  if (from == to || from.width <= 0 || from.height <= 0) return faces;
  const double sx = static_cast<double>(to.width) / from.width;
  const double sy = static_cast<double>(to.height) / from.height;
  for (Face& f : faces) {
    // A face stays drawable however small the copy: at least one pixel each way.
    f.box = scale_box(f.box, sx, sy);
    f.box.width = std::max(1, f.box.width);
    f.box.height = std::max(1, f.box.height);
  }
  return faces;
}

void CropSink::image(const InputFile& input, FileResult& result, cv::Mat& bgr) {
  save(bgr, rescale_faces(result.faces, {result.width, result.height}, bgr.size()), input, "");
}

void CropSink::frame(const InputFile& input, FileResult&, const FrameRecord& frame, cv::Mat& bgr) {
  save(bgr, frame.faces, input, ".frame" + std::to_string(frame.index));
}

void CropSink::save(const cv::Mat& bgr, const std::vector<Face>& faces, const InputFile& input,
                    const std::string& tag) {
  const fs::path base = out_dir_ / "crops" / input.out_rel;
  for (size_t i = 0; i < faces.size(); ++i) {
    const cv::Rect region = crop_region(faces[i].box, card_.crop_margin);
    const cv::Mat crop = crop_face(bgr, faces[i].box, card_.crop_margin, region.size());
    write_image(base.parent_path() / (base.stem().string() + tag + ".face" + std::to_string(i) +
                                      "." + faces[i].label + ".jpg"),
                crop);
  }
}

// ---- annotated images ----

AnnotatedImageSink::AnnotatedImageSink(fs::path out_dir, const ModelCard& card, int max_side)
    : out_dir_(std::move(out_dir)), card_(card), max_side_(std::max(0, max_side)) {}

void AnnotatedImageSink::image(const InputFile& input, FileResult& r, cv::Mat& bgr) {
  const fs::path out = image_output_path(out_dir_, input.out_rel);
  if (same_file(out, input.path)) {
    r.warnings.push_back("annotated image not written: " + out.string() +
                         " would overwrite the input");
    return;
  }
  const int side = std::max(bgr.cols, bgr.rows);
  if (max_side_ > 0 && side > max_side_) {
    const double f = static_cast<double>(max_side_) / side;
    cv::resize(bgr, bgr,
               cv::Size(std::max(1, static_cast<int>(std::lround(bgr.cols * f))),
                        std::max(1, static_cast<int>(std::lround(bgr.rows * f)))),
               0, 0, cv::INTER_AREA);
  }
  annotate(bgr, rescale_faces(r.faces, {r.width, r.height}, bgr.size()), card_);
  if (write_image(out, bgr))
    r.output = out.string();
  else
    r.warnings.push_back("could not write annotated image " + out.string());
}

// ---- annotated videos ----

AnnotatedVideoSink::AnnotatedVideoSink(fs::path out_dir, const ModelCard& card, bool audio,
                                       double start_s, double end_s)
    : out_dir_(std::move(out_dir)), card_(card), audio_(audio), start_s_(start_s), end_s_(end_s) {}

void AnnotatedVideoSink::open(const InputFile& input, FileResult& r, const cv::Mat& bgr) {
  current_ = video_output_path(out_dir_, input.out_rel);
  if (same_file(current_, input.path)) {
    r.warnings.push_back("annotated video not written: " + current_.string() +
                         " would overwrite the input");
    return;
  }
  ensure_parent(current_);
  VideoWriterOptions o;
  o.size = bgr.size();
  o.fps = r.fps > 0 ? r.fps : 25.0;
  if (audio_ && !r.live) o.audio_from = input.path;
  o.start_s = start_s_;
  o.end_s = end_s_;
  try {
    writer_ = std::make_unique<VideoWriter>(current_, o);
    r.warnings.insert(r.warnings.end(), writer_->warnings().begin(), writer_->warnings().end());
  } catch (const std::exception& e) {
    fail(r, e.what());
  }
}

void AnnotatedVideoSink::fail(FileResult& r, const std::string& why) {
  writer_.reset();
  std::error_code ec;
  fs::remove(current_, ec);  // a half-written MP4 does not play
  r.warnings.push_back("annotated video not written: " + why);
}

void AnnotatedVideoSink::frame(const InputFile& input, FileResult& r, const FrameRecord& frame,
                               cv::Mat& bgr) {
  if (current_.empty()) open(input, r, bgr);
  if (!writer_) return;
  annotate(bgr, frame.faces, card_);
  try {
    writer_->write(bgr, frame.time_ms);
    last_ms_ = frame.time_ms;
  } catch (const std::exception& e) {
    fail(r, e.what());
  }
}

void AnnotatedVideoSink::file(const InputFile&, FileResult& r) {
  if (r.kind != FileKind::Video || current_.empty()) return;
  if (writer_) {
    try {
      // Read to its end (the container's count may be off by one), or stopped early.
      const bool whole = r.frames_expected <= 0 || r.frames + 1 >= r.frames_expected;
      if (whole)
        writer_->close();
      else
        writer_->close(last_ms_ + 1000 / (r.fps > 0 ? r.fps : 25.0));  // the last frame's end
      writer_.reset();
      r.output = current_.string();
    } catch (const std::exception& e) {
      fail(r, e.what());
    }
  }
  current_.clear();
}

// ---- per-frame records ----

FrameRecordSink::FrameRecordSink(fs::path out_dir) : out_dir_(std::move(out_dir)) {}

void FrameRecordSink::frame(const InputFile& input, FileResult& r, const FrameRecord& frame,
                            cv::Mat&) {
  if (path_.empty()) {
    path_ = out_dir_ / input.out_rel;
    path_ += ".frames.jsonl";
    ensure_parent(path_);
    out_.open(path_, std::ios::trunc);
    failed_ = !out_;
    if (failed_)
      r.warnings.push_back("could not write per-frame records " + path_.string());
    else
      lines_ = std::make_unique<JsonlWriter>(out_);
  }
  if (lines_) lines_->add_frame(r.path, frame);
}

void FrameRecordSink::file(const InputFile&, FileResult& r) {
  if (r.kind != FileKind::Video || path_.empty()) return;
  if (lines_) {
    lines_.reset();
    out_.close();
    if (out_)
      r.frames_file = path_.string();
    else
      r.warnings.push_back("could not write per-frame records " + path_.string());
  }
  out_ = std::ofstream();
  path_.clear();
}

}  // namespace maskdetect
