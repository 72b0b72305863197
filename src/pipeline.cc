#include "maskdetect/pipeline.hpp"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <ctime>
#include <deque>
#include <fstream>
#include <iomanip>
#include <map>
#include <memory>
#include <mutex>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/videoio.hpp>
#include <sstream>
#include <thread>

#include "maskdetect/annotate.hpp"
#include "maskdetect/classifier.hpp"
#include "maskdetect/config.hpp"
#include "maskdetect/errors.hpp"
#include "maskdetect/face_crop.hpp"
#include "maskdetect/image_decode.hpp"
#include "maskdetect/input_walk.hpp"
#include "maskdetect/media_sniff.hpp"
#include "maskdetect/model_card.hpp"
#include "maskdetect/report.hpp"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace maskdetect {
namespace {

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::ostringstream ss;
  ss << std::put_time(&tm, "%Y-%m-%dT%H:%M:%SZ");
  return ss.str();
}

// A video being processed: frames flow through the workers; the ordered emitter owns the
// writer and the totals.
struct VideoJob {
  FileResult result;
  fs::path out_rel, out_video, frames_path;
  cv::VideoWriter writer;
  std::ofstream frames_out;
  std::unique_ptr<JsonlWriter> frames;
  bool interrupted = false;  // the run was stopped before the video's end
};

struct Task {
  enum class Type { Image, Frame, VideoEnd, Finished } type = Type::Finished;
  std::uint64_t seq = 0;
  InputFile input;
  MediaInfo info;
  FileResult result;  // images and finished tasks
  std::shared_ptr<VideoJob> video;
  cv::Mat frame;  // video frames: decoded, then annotated in place
  FrameRecord record;
  StageTimes times;
};

// Where an annotated image goes: the mirrored path, with .jpg added when OpenCV cannot write
// the original extension (or there is none).
fs::path image_output_path(const fs::path& out_dir, const fs::path& out_rel) {
  fs::path p = out_dir / out_rel;
  if (!p.has_extension() || !cv::haveImageWriter(p.string())) p += ".jpg";
  return p;
}

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

class Run {
 public:
  Run(const PipelineOptions& o, std::istream& stdin_list, std::ostream& data_out, std::ostream& log)
      : o_(o), stdin_list_(stdin_list), data_out_(data_out), log_(log) {}

  PipelineOutcome execute();

 private:
  struct Worker {
    std::unique_ptr<Detector> detector;
    std::unique_ptr<Classifier> classifier;
  };

  void setup();
  void produce();
  void submit(Task task);
  void work(Worker& w);
  void process_image(Worker& w, Task& t);
  void process_frame(Worker& w, Task& t);
  void save_crops(const Classifier& c, const cv::Mat& bgr, const std::vector<Face>& faces,
                  const fs::path& out_rel, const std::string& tag);
  void emit_loop();
  void emit(Task& t);
  void emit_file(const FileResult& r);
  void progress(bool final);

  const PipelineOptions& o_;
  std::istream& stdin_list_;
  std::ostream& data_out_;
  std::ostream& log_;

  ModelCard card_;
  float face_threshold_ = 0;  // set by setup(): the option's, else the card's
  std::vector<Worker> workers_;
  std::unique_ptr<JsonReport> json_;
  std::unique_ptr<CsvReport> csv_;
  std::ofstream jsonl_file_;
  std::unique_ptr<JsonlWriter> jsonl_;
  RunSummary summary_;
  Clock::time_point start_;
  Clock::time_point last_progress_{};

  // Bounded hand-off between the producer, the workers and the ordered emitter.
  std::mutex mu_;
  std::condition_variable queue_cv_, done_cv_, space_cv_;
  std::deque<Task> queue_;
  std::map<std::uint64_t, Task> done_;
  std::uint64_t next_seq_ = 0, emitted_ = 0;
  bool producing_ = true;
  std::size_t window_ = 4;
};

void Run::setup() {
  card_ = load_model_card(o_.model);
  face_threshold_ = o_.face_threshold.value_or(card_.face_threshold(o_.detector.engine));
  const int threads =
      o_.threads > 0 ? o_.threads : std::max(1U, std::thread::hardware_concurrency());
  // Parallelism comes from processing several images at once; OpenCV's own threads on top
  // would only oversubscribe the cores.
  cv::setNumThreads(1);
  workers_.resize(static_cast<size_t>(threads));
  for (auto& w : workers_) {
    w.detector = make_detector(o_.detector);
    w.classifier = std::make_unique<Classifier>(card_);
  }
  window_ = static_cast<size_t>(threads) * 2 + 2;

  std::error_code ec;
  fs::create_directories(o_.out_dir, ec);
  if (ec || !fs::is_directory(o_.out_dir))
    throw SetupError("cannot create output folder " + o_.out_dir.string() + ": " +
                     (ec ? ec.message() : "not a directory") + "; choose another --out");

  RunInfo info;
  info.tool_version = config::kVersion;
  info.model_path = card_.onnx_path.string();
  info.model_sha256 = card_.sha256;
  info.labels = card_.labels;
  info.face_labels = card_.face_labels();
  info.started_at = utc_now();
  const DetectorOptions& d = o_.detector;
  info.params = {{"detector", d.engine},
                 {"min_face", d.min_face},
                 {"detect_size", d.detect_size},
                 {"threshold", o_.threshold},
                 {"face_threshold", face_threshold_},
                 {"max_pixels", o_.max_pixels},
                 {"annotate", o_.annotate},
                 {"threads", threads}};
  if (d.engine == "yunet") {
    info.params["detector_model"] = (d.model.empty() ? find_yunet_model() : d.model).string();
    info.params["detector_score"] = d.score_threshold;
  } else {
    info.params["cascade"] = (d.cascade.empty() ? find_cascade() : d.cascade).string();
    info.params["scale_factor"] = d.scale_factor;
    info.params["min_neighbors"] = d.min_neighbors;
    info.params["cascade_stages"] = d.cascade_stages;
  }
  json_ = std::make_unique<JsonReport>(o_.out_dir / "report.json", info);
  csv_ = std::make_unique<CsvReport>(o_.out_dir / "report.csv");
  if (o_.jsonl == "-") {
    jsonl_ = std::make_unique<JsonlWriter>(data_out_);
  } else if (!o_.jsonl.empty()) {
    jsonl_file_.open(o_.jsonl, std::ios::trunc);
    if (!jsonl_file_)
      throw SetupError("cannot write --jsonl file " + o_.jsonl + "; check the folder exists");
    jsonl_ = std::make_unique<JsonlWriter>(jsonl_file_);
  }
  for (const auto& l : card_.face_labels()) summary_.by_label[l] = 0;
}

PipelineOutcome Run::execute() {
  setup();
  start_ = Clock::now();
  std::vector<std::thread> threads;
  for (auto& w : workers_) threads.emplace_back([this, &w] { work(w); });
  std::thread emitter([this] { emit_loop(); });
  // Never leave threads running, also when the producer throws (re-thrown once they stop).
  auto finish_threads = [&] {
    {
      std::lock_guard<std::mutex> lock(mu_);
      producing_ = false;
    }
    queue_cv_.notify_all();
    done_cv_.notify_all();
    for (auto& t : threads) t.join();
    emitter.join();
  };
  try {
    produce();
  } catch (...) {
    finish_threads();
    throw;
  }
  finish_threads();

  summary_.seconds = std::chrono::duration<double>(Clock::now() - start_).count();
  summary_.interrupted = o_.cancel && o_.cancel->load();
  progress(true);
  // report.json first: it is the record that matters most if the disk fills up.
  json_->write(summary_);
  csv_->finish();
  if (!o_.quiet) log_ << format_summary(summary_, card_.face_labels()) << std::flush;
  PipelineOutcome outcome;
  outcome.summary = summary_;
  outcome.exit_status = summary_.interrupted ? 130 : exit_status_for(summary_, o_.fail_on);
  return outcome;
}

void Run::submit(Task task) {
  std::unique_lock<std::mutex> lock(mu_);
  space_cv_.wait(lock, [&] { return next_seq_ - emitted_ < window_; });
  task.seq = next_seq_++;
  queue_.push_back(std::move(task));
  queue_cv_.notify_one();
}

void Run::produce() {
  InputWalker walker(o_.inputs, o_.out_dir, &stdin_list_);
  const bool has_cancel = o_.cancel != nullptr;
  while (!(has_cancel && o_.cancel->load())) {
    std::optional<InputFile> in = walker.next();
    if (!in) break;
    Task t;
    t.result.path = in->display;
    // A file that cannot be processed still gets its place, in order, in every report.
    auto fail = [&](const std::string& reason) {
      t.result.status = FileStatus::Error;
      t.result.error = reason;
      submit(std::move(t));
    };
    if (!in->error.empty()) {
      fail(in->error);
      continue;
    }
    try {
      t.info = sniff_media(in->path);
    } catch (const std::exception& e) {
      fail(e.what());
      continue;
    }
    t.result.kind = t.info.kind;
    t.result.format = t.info.format;
    if (t.info.kind == FileKind::Image) {
      t.type = Task::Type::Image;
      t.input = std::move(*in);
      submit(std::move(t));
      continue;
    }
    if (t.info.kind == FileKind::Unknown) {
      fail(t.info.reason.empty() ? "not an image or video" : t.info.reason);
      continue;
    }

    // A video: decoding is sequential, so it happens here and frames fan out to the workers.
    auto job = std::make_shared<VideoJob>();
    job->result = t.result;
    job->out_rel = in->out_rel;
    cv::VideoCapture cap;
    try {
      cap.open(in->path.string(), cv::CAP_FFMPEG);
    } catch (const cv::Exception&) {
    }
    if (!cap.isOpened()) {
      fail("cannot open video (" + t.info.format + "): no decoder could read it");
      continue;
    }
    job->result.fps = cap.get(cv::CAP_PROP_FPS);
    job->result.width = static_cast<int>(cap.get(cv::CAP_PROP_FRAME_WIDTH));
    job->result.height = static_cast<int>(cap.get(cv::CAP_PROP_FRAME_HEIGHT));
    const double fps = job->result.fps > 0 ? job->result.fps : 25.0;
    job->out_video = video_output_path(o_.out_dir, in->out_rel);
    job->frames_path = o_.out_dir / in->out_rel;
    job->frames_path += ".frames.jsonl";
    if (same_file(job->out_video, in->path)) {
      fail("output " + job->out_video.string() + " would overwrite the input");
      continue;
    }
    for (std::int64_t index = 0; !(has_cancel && o_.cancel->load()); ++index) {
      Task f;
      const auto t0 = Clock::now();
      if (!cap.read(f.frame) || f.frame.empty()) break;
      f.times.decode = ms_since(t0);
      f.type = Task::Type::Frame;
      f.video = job;
      f.record.index = index;
      f.record.time_ms = index * 1000.0 / fps;
      submit(std::move(f));
    }
    job->interrupted = has_cancel && o_.cancel->load();
    Task end;
    end.type = Task::Type::VideoEnd;
    end.video = job;
    submit(std::move(end));
  }
}

void Run::work(Worker& w) {
  for (;;) {
    Task t;
    {
      std::unique_lock<std::mutex> lock(mu_);
      queue_cv_.wait(lock, [&] { return !queue_.empty() || !producing_; });
      if (queue_.empty()) return;
      t = std::move(queue_.front());
      queue_.pop_front();
    }
    try {
      if (t.type == Task::Type::Image) process_image(w, t);
      if (t.type == Task::Type::Frame) process_frame(w, t);
    } catch (const std::exception& e) {
      // One bad input never stops the run: it becomes that file's (or frame's) error.
      if (t.type == Task::Type::Frame) {
        t.record.faces.clear();
        t.video->result.warnings.push_back("frame " + std::to_string(t.record.index) + ": " +
                                           e.what());
      } else {
        t.result.status = FileStatus::Error;
        t.result.error = std::string("processing failed: ") + e.what();
      }
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      const std::uint64_t seq = t.seq;
      done_.emplace(seq, std::move(t));
    }
    done_cv_.notify_all();
  }
}

void Run::process_image(Worker& w, Task& t) {
  FileResult& r = t.result;
  auto t0 = Clock::now();
  DecodedImage img;
  try {
    // Pixels that are never written back out need only the resolution the detector uses.
    const bool pixels_written = o_.annotate || o_.save_crops;
    img = decode_image(t.input.path, t.info,
                       DecodeOptions{o_.max_pixels, pixels_written ? 0 : o_.detector.detect_size});
  } catch (const InputError& e) {
    r.status = FileStatus::Error;
    r.error = e.what();
    r.width = t.info.width;
    r.height = t.info.height;
    return;
  }
  r.timing_ms.decode = ms_since(t0);
  r.warnings = std::move(img.warnings);
  r.width = img.original.width;
  r.height = img.original.height;

  t0 = Clock::now();
  r.faces = to_faces(w.detector->detect_reduced(img.bgr, img.reduction));
  r.timing_ms.detect = ms_since(t0);

  t0 = Clock::now();
  w.classifier->classify(img.bgr, r.faces, o_.threshold, face_threshold_);
  r.timing_ms.classify = ms_since(t0);
  if (const int f = img.reduction; f > 1)
    for (Face& face : r.faces) face.box = cv::Rect(face.box.tl() * f, face.box.size() * f);

  t0 = Clock::now();
  if (o_.save_crops) save_crops(*w.classifier, img.bgr, r.faces, t.input.out_rel, "");
  if (o_.annotate) {
    const fs::path out = image_output_path(o_.out_dir, t.input.out_rel);
    if (same_file(out, t.input.path)) {
      r.warnings.push_back("annotated image not written: " + out.string() +
                           " would overwrite the input");
    } else {
      annotate(img.bgr, r.faces, card_);
      ensure_parent(out);
      bool ok = false;
      try {
        ok = cv::imwrite(out.string(), img.bgr);
      } catch (const cv::Exception&) {
      }
      if (ok)
        r.output = out.string();
      else
        r.warnings.push_back("could not write annotated image " + out.string());
    }
  }
  r.timing_ms.write = ms_since(t0);
}

void Run::process_frame(Worker& w, Task& t) {
  auto t0 = Clock::now();
  t.record.faces = to_faces(w.detector->detect(t.frame));
  t.times.detect = ms_since(t0);
  t0 = Clock::now();
  w.classifier->classify(t.frame, t.record.faces, o_.threshold, face_threshold_);
  t.times.classify = ms_since(t0);
  t0 = Clock::now();
  if (o_.save_crops)
    save_crops(*w.classifier, t.frame, t.record.faces, t.video->out_rel,
               ".frame" + std::to_string(t.record.index));
  if (o_.annotate) annotate(t.frame, t.record.faces, card_);
  t.times.write = ms_since(t0);
}

void Run::save_crops(const Classifier& c, const cv::Mat& bgr, const std::vector<Face>& faces,
                     const fs::path& out_rel, const std::string& tag) {
  const fs::path base = o_.out_dir / "crops" / out_rel;
  for (size_t i = 0; i < faces.size(); ++i) {
    const cv::Rect region = crop_region(faces[i].box, c.card().crop_margin);
    const cv::Mat crop = crop_face(bgr, faces[i].box, c.card().crop_margin, region.size());
    fs::path p = base.parent_path() / (base.stem().string() + tag + ".face" + std::to_string(i) +
                                       "." + faces[i].label + ".jpg");
    ensure_parent(p);
    cv::imwrite(p.string(), crop);
  }
}

void Run::emit_loop() {
  for (;;) {
    Task t;
    {
      std::unique_lock<std::mutex> lock(mu_);
      done_cv_.wait(lock, [&] {
        return (!done_.empty() && done_.begin()->first == emitted_) ||
               (!producing_ && emitted_ == next_seq_);
      });
      if (done_.empty() || done_.begin()->first != emitted_) return;
      t = std::move(done_.begin()->second);
      done_.erase(done_.begin());
    }
    try {
      emit(t);
    } catch (const std::exception& e) {
      // A sink that cannot write (disk full) must not kill the run or hang the producer.
      if (!o_.quiet) log_ << "maskdetect: warning: " << t.result.path << ": " << e.what() << '\n';
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++emitted_;
    }
    space_cv_.notify_all();
  }
}

void Run::emit(Task& t) {
  if (t.type == Task::Type::Image || t.type == Task::Type::Finished) {
    emit_file(t.result);
    return;
  }
  VideoJob& v = *t.video;
  if (t.type == Task::Type::Frame) {
    FileResult& r = v.result;
    const auto t0 = Clock::now();
    if (o_.annotate && !v.writer.isOpened() && r.frames == 0) {
      ensure_parent(v.out_video);
      const cv::Size size(t.frame.cols, t.frame.rows);
      const double fps = r.fps > 0 ? r.fps : 25.0;
      v.writer.open(v.out_video.string(), cv::CAP_FFMPEG,
                    cv::VideoWriter::fourcc('a', 'v', 'c', '1'), fps, size);
      if (!v.writer.isOpened()) {
        v.writer.open(v.out_video.string(), cv::CAP_FFMPEG,
                      cv::VideoWriter::fourcc('m', 'p', '4', 'v'), fps, size);
        r.warnings.push_back("H.264 encoder unavailable; wrote MPEG-4 Part 2 video instead");
      }
      if (!v.writer.isOpened())
        r.warnings.push_back("could not write annotated video " + v.out_video.string());
    }
    if (v.writer.isOpened()) v.writer.write(t.frame);
    if (r.frames == 0) {
      ensure_parent(v.frames_path);
      v.frames_out.open(v.frames_path, std::ios::trunc);
      if (v.frames_out)
        v.frames = std::make_unique<JsonlWriter>(v.frames_out);
      else
        r.warnings.push_back("could not write per-frame records " + v.frames_path.string());
    }
    if (v.frames) v.frames->add_frame(r.path, t.record);
    t.times.write += ms_since(t0);
    r.frames += 1;
    if (!t.record.faces.empty()) r.frames_with_faces += 1;
    for (const Face& f : t.record.faces) r.faces_by_label[f.label] += 1;
    r.timing_ms += t.times;
    csv_->add_frame(r, t.record);
    if (jsonl_) jsonl_->add_frame(r.path, t.record);
    progress(false);
    return;
  }
  // End of a video.
  FileResult& r = v.result;
  if (v.writer.isOpened()) {
    v.writer.release();
    r.output = v.out_video.string();
  }
  if (v.frames_out.is_open()) {
    v.frames.reset();
    v.frames_out.close();
    r.frames_file = v.frames_path.string();
  }
  if (v.interrupted)
    r.warnings.push_back("interrupted: only the first " + std::to_string(r.frames) +
                         " frames were processed");
  if (r.frames == 0 && !v.interrupted) {
    r.status = FileStatus::Error;
    r.error = "video has no decodable frames";
  }
  for (const auto& l : card_.face_labels()) r.faces_by_label.try_emplace(l, 0);
  emit_file(r);
}

void Run::emit_file(const FileResult& r) {
  summary_.add(r);
  json_->add(r);
  csv_->add(r);
  if (jsonl_) jsonl_->add(r);
  if (!o_.quiet) {
    if (r.status == FileStatus::Error) {
      log_ << (o_.progress ? "\r\033[K" : "") << "maskdetect: " << r.path << ": " << r.error
           << '\n';
    } else if (o_.verbose || !r.warnings.empty()) {
      std::ostringstream line;
      line << (o_.progress ? "\r\033[K" : "") << "maskdetect: " << r.path << ": ";
      if (r.kind == FileKind::Video)
        line << r.frames << " frames";
      else
        line << r.faces.size() << (r.faces.size() == 1 ? " face" : " faces");
      for (const auto& w : r.warnings) line << "; warning: " << w;
      log_ << line.str() << '\n';
    }
  }
  progress(false);
}

void Run::progress(bool final) {
  if (!o_.progress || o_.quiet) return;
  const auto now = Clock::now();
  if (!final && now - last_progress_ < std::chrono::milliseconds(100)) return;
  last_progress_ = now;
  if (final) {
    log_ << "\r\033[K" << std::flush;
    return;
  }
  const double s = std::chrono::duration<double>(now - start_).count();
  std::ostringstream line;
  line << "\r\033[K" << summary_.files << " files";
  if (summary_.frames > 0) line << ", " << summary_.frames << " frames";
  line << ", " << summary_.faces << " faces, " << summary_.failed << " failed  " << std::fixed
       << std::setprecision(1) << (s > 0 ? summary_.files / s : 0.0) << " files/s";
  log_ << line.str() << std::flush;
}

}  // namespace

int exit_status_for(const RunSummary& s, const FailOn& fail_on) {
  const auto no_mask = s.by_label.find("no_mask");
  const bool met = (fail_on.no_mask && no_mask != s.by_label.end() && no_mask->second > 0) ||
                   (fail_on.any_face && s.faces > 0) || (fail_on.error && s.failed > 0);
  if (met) return 3;
  return s.failed > 0 ? 1 : 0;
}

PipelineOutcome run_pipeline(const PipelineOptions& options, std::istream& stdin_list,
                             std::ostream& data_out, std::ostream& log) {
  Run run(options, stdin_list, data_out, log);
  return run.execute();
}

}  // namespace maskdetect
