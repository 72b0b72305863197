#include "maskdetect/pipeline.hpp"

#include <algorithm>
#include <chrono>
#include <exception>
#include <string>

#include "maskdetect/image_decode.hpp"
#include "maskdetect/worker_pool.hpp"
#include "work.hpp"

namespace maskdetect {
namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// A video whose every frame fails would otherwise list thousands of identical warnings.
constexpr std::int64_t kFrameWarnings = 10;

// The second and third stages: analysis in the workers, then results to the sinks in order.
class Stages {
 public:
  Stages(const PipelineOptions& o, const std::vector<Sink*>& sinks)
      : o_(o), sinks_(sinks), decode_side_(o.reduce_to) {
    // The detector needs reduce_to (0: full size); each sink what it writes out.
    for (const Sink* s : sinks_) {
      const int need = s->pixels_needed();
      if (need == Sink::kNoPixels || decode_side_ == 0) continue;
      decode_side_ = need == Sink::kFullSize ? 0 : std::max(decode_side_, need);
    }
  }

  void work(Engine& engine, Work& w) {
    try {
      if (w.type == Work::Type::File && w.result.status == FileStatus::Ok && !w.result.resumed) {
        // Asked twice to stop: a photo not yet started is left to --resume, not finished.
        if (o_.cancel && o_.cancel->urgent()) w.type = Work::Type::Dropped;
        if (w.type == Work::Type::File) image(engine, w);
      }
      if (w.type == Work::Type::Frame && w.detect) frame(engine, w);
    } catch (const std::exception& e) {
      // One bad input never stops the run: it becomes that file's (or frame's) error.
      if (w.type == Work::Type::Frame) {
        w.record.faces.clear();
        w.error = e.what();
      } else {
        w.result.status = FileStatus::Error;
        w.result.error = std::string("processing failed: ") + e.what();
      }
    }
  }

  void consume(Work& w) {
    if (w.type == Work::Type::File) finish_file(w.input, w.result);
    if (w.type == Work::Type::Frame) add_frame(w);
    if (w.type == Work::Type::VideoEnd) end_video(w);
  }

  RunSummary& summary() { return summary_; }

 private:
  void image(Engine& engine, Work& w) {
    FileResult& r = w.result;
    FileAnalysis a;
    try {
      a = analyze_file(engine, w.input.path, w.info, DecodeOptions{o_.max_pixels, decode_side_});
    } catch (const InputError& e) {
      r.status = FileStatus::Error;
      r.error = e.what();
      r.width = w.info.width;
      r.height = w.info.height;
      return;
    }
    r.timing_ms.decode = a.decode_ms;
    r.timing_ms.detect = a.analysis.detect_ms;
    r.timing_ms.classify = a.analysis.classify_ms;
    r.warnings = std::move(a.image.warnings);
    r.width = a.image.original.width;
    r.height = a.image.original.height;
    r.faces = std::move(a.analysis.faces);
    const auto t0 = Clock::now();
    for (Sink* s : sinks_) s->image(w.input, r, a.image.bgr);
    r.timing_ms.write = ms_since(t0);
  }

  void frame(Engine& engine, Work& w) {
    Analysis a = engine.analyze_frame(w.pixels);
    w.record.faces = std::move(a.faces);
    w.times.detect = a.detect_ms;
    w.times.classify = a.classify_ms;
  }

  // Frames come here in order: the detector's faces join their tracks (and take the track's
  // label), and the frames it skipped get the tracks' faces. A file can wait for its next
  // detector frame, so those are held and drawn on the line between two detections; a live
  // source cannot wait, and extrapolates.
  void add_frame(Work& w) {
    VideoState& v = *w.video;
    const bool detected = w.detect && w.error.empty();
    if (!v.result.live && o_.video.stride > 1) {
      if (!detected) {
        held_.push_back(std::move(w));  // at most stride - 1 frames
        return;
      }
      v.tracker->update(w.record.faces, w.record.time_ms);
      for (Work& h : held_) {
        h.record.faces = v.tracker->interpolate(h.record.time_ms);
        emit(h);
      }
      held_.clear();
    } else if (detected) {
      v.tracker->update(w.record.faces, w.record.time_ms);
    } else {
      w.record.faces = v.tracker->predict(w.record.time_ms);
    }
    emit(w);
  }

  // The frames after a video's last detector frame.
  void flush_held(VideoState& v) {
    for (Work& h : held_) {
      h.record.faces = v.tracker->predict(h.record.time_ms);
      emit(h);
    }
    held_.clear();
  }

  void emit(Work& w) {
    VideoState& v = *w.video;
    FileResult& r = v.result;
    if (w.detect) ++v.detected_frames;
    if (!w.error.empty() && ++v.failed_frames <= kFrameWarnings)
      r.warnings.push_back("frame " + std::to_string(w.record.index) + ": " + w.error);
    v.count_seconds(w.record);
    r.frames += 1;
    if (!w.record.faces.empty()) r.frames_with_faces += 1;
    for (const Face& f : w.record.faces) r.faces_by_label[f.label] += 1;
    const auto t0 = Clock::now();
    for (Sink* s : sinks_) guarded(r, [&] { s->frame(v.input, r, w.record, w.pixels); });
    w.times.write = ms_since(t0);
    r.timing_ms += w.times;
  }

  void end_video(Work& w) {
    VideoState& v = *w.video;
    FileResult& r = v.result;
    flush_held(v);
    r.tracks = v.tracker->tracks();
    // Every model label is listed, at 0 when no face had it.
    for (const auto& l : o_.labels) {
      r.faces_by_label.try_emplace(l, 0);
      r.people_by_label.try_emplace(l, 0);
      r.seconds_by_label.try_emplace(l, 0.0);
    }
    for (TrackSummary& t : r.tracks) {
      t.person = v.tracker->is_person(t);
      if (t.person) r.people_by_label[t.label] += 1;
    }
    r.dropped_frames = w.dropped_frames;
    if (w.dropped_frames > 0)
      r.warnings.push_back("live source: " + std::to_string(w.dropped_frames) +
                           " frames dropped because processing fell behind (the newest frame "
                           "is always the one processed)");
    if (v.failed_frames > kFrameWarnings)
      r.warnings.push_back(std::to_string(v.failed_frames - kFrameWarnings) +
                           " more frames failed the same way");
    if (w.interrupted) {
      r.partial = true;
      r.warnings.push_back("interrupted: only the first " + std::to_string(r.frames) +
                           " frames were processed");
    }
    if (w.lost_frames > 0)
      r.warnings.push_back("damaged video: " + std::to_string(w.lost_frames) + " of " +
                           std::to_string(w.announced_frames) +
                           " frames could not be decoded (first loss after frame " +
                           std::to_string(w.first_loss_at) + ")");
    if (w.oversized)
      r.warnings.push_back("stopped: a frame came out larger than --max-pixels " +
                           std::to_string(o_.max_pixels));
    if (r.frames == 0 && !w.interrupted) {
      r.status = FileStatus::Error;
      r.error = "video has no decodable frames";
    } else if (v.detected_frames > 0 && v.failed_frames == v.detected_frames) {
      // Only the frames the detector ran on can fail; the others carry their faces.
      r.status = FileStatus::Error;
      r.error = "every frame failed to process (" + std::to_string(v.failed_frames) +
                (v.detected_frames == r.frames ? "" : " detector") + " frames)";
    }
    finish_file(v.input, r);
  }

  void finish_file(const InputFile& input, FileResult& r) {
    for (Sink* s : sinks_) guarded(r, [&] { s->file(input, r); });
    summary_.add(r);
  }

  // A sink that cannot write (disk full) must not stop the run or the other sinks.
  template <class F>
  static void guarded(FileResult& r, F&& f) {
    try {
      f();
    } catch (const std::exception& e) {
      r.warnings.push_back(std::string("output failed: ") + e.what());
    }
  }

  const PipelineOptions& o_;
  const std::vector<Sink*>& sinks_;
  int decode_side_;  // DecodeOptions::reduce_to for images: 0 decodes them at full size
  RunSummary summary_;
  std::vector<Work> held_;  // frames of the current video waiting for its next detector frame
};

}  // namespace

RunSummary run_pipeline(const PipelineOptions& options, const EngineFactory& engines,
                        const std::vector<Sink*>& sinks, std::istream& stdin_list) {
  WorkerPool pool(engines, options.threads);
  InputSource source(options, stdin_list);
  Stages stages(options, sinks);
  for (const auto& l : options.labels) stages.summary().by_label[l] = 0;
  const auto start = Clock::now();
  // Two items per worker keep every core busy while one waits on the in-order hand-off; the
  // bound keeps memory flat (each item may hold a decoded photo or frame).
  pool.run<Work>(
      static_cast<std::size_t>(pool.threads()) * 2 + 2, [&] { return source.next(); },
      [&](Engine& engine, Work& w) { stages.work(engine, w); },
      [&](Work& w) { stages.consume(w); });
  RunSummary& summary = stages.summary();
  summary.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  summary.interrupted = source.interrupted();
  if (summary.interrupted && options.cancel) summary.stopped = options.cancel->reason_text();
  for (Sink* s : sinks) s->finish(summary);
  return summary;
}

}  // namespace maskdetect
