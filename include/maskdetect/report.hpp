// Report writers. Each writes one kind of output and knows nothing of the others; all of them
// receive results in input order from the pipeline.
#pragma once

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "maskdetect/atomic_file.hpp"
#include "maskdetect/sink.hpp"
#include "maskdetect/stop.hpp"
#include "maskdetect/types.hpp"

namespace maskdetect {

inline constexpr const char* kReportSchema = "maskdetect.report/2";

// Context every report carries: what ran, with which model and parameters.
struct RunInfo {
  std::string tool_version;
  std::string model_path, model_sha256;
  std::vector<std::string> labels;       // the model's, in output order
  std::vector<std::string> face_labels;  // those a reported face can have (no reject labels)
  nlohmann::json params;                 // detector and classifier parameters as given
  std::string started_at;                // ISO 8601 UTC
};

nlohmann::json to_json(const Face& face);
nlohmann::json to_json(const FileResult& file);  // one "files" entry; also a JSONL line
nlohmann::json to_json(const std::string& path, const FrameRecord& frame);  // a video frame line
nlohmann::json to_json(const RunSummary& summary);

// report.json: the whole run, written atomically by write() (called at the end, and on
// interruption, so it is always valid JSON). Entries are spooled, as compact one-line text, to a
// hidden file beside the report as they arrive, so memory does not grow with the number of
// inputs; write() streams them into the final file.
class JsonReport : public Sink {
 public:
  JsonReport(std::filesystem::path path, RunInfo info);  // throws SetupError if unwritable
  ~JsonReport();
  JsonReport(const JsonReport&) = delete;
  JsonReport& operator=(const JsonReport&) = delete;
  void add(const FileResult& file);
  void write(const RunSummary& summary);

  void file(const InputFile&, FileResult& result) override { add(result); }
  void finish(const RunSummary& summary) override { write(summary); }

 private:
  std::filesystem::path path_, spool_path_;
  RunInfo info_;
  std::ofstream spool_;
  std::size_t entries_ = 0;
};

// report.csv: one row per face (image or video frame) and one row for every file with no face
// or an error, so nothing disappears from a spreadsheet. Streams through an AtomicFile that
// finish() commits.
class CsvReport : public Sink {
 public:
  explicit CsvReport(std::filesystem::path path);
  ~CsvReport();
  void add_frame(const FileResult& video, const FrameRecord& frame);  // rows for a frame's faces
  // Rows for an image, or the closing row of a video or failed file; a video's tracks follow
  // its closing row, kind "person" (or "track" for one too brief to count).
  void add(const FileResult& file);
  void finish();

  void frame(const InputFile&, FileResult& video, const FrameRecord& frame, cv::Mat&) override {
    add_frame(video, frame);
  }
  void file(const InputFile&, FileResult& result) override { add(result); }
  void finish(const RunSummary&) override { finish(); }

  static std::string header();
  static std::string escape(const std::string& field);
  // `text` with a leading ' when it starts with = + - @ tab or CR (OWASP's CSV injection rule).
  static std::string neutralise(const std::string& text);

 private:
  void add_tracks(const FileResult& video);
  void replay_frames(const FileResult& video);
  std::unique_ptr<AtomicFile> out_;
  bool finished_ = false;
};

// JSON Lines: one object per image or video frame, flushed as it is written so a pipe sees
// results before the run ends. `out` is stdout for "-".
class JsonlWriter : public Sink {
 public:
  // `on_closed`, when given, is asked to stop the run once `out` cannot be written (the reader
  // of stdout went away): nothing more would reach it, and the reports say why the run ended.
  explicit JsonlWriter(std::ostream& out, StopRequest* on_closed = nullptr);
  void add(const FileResult& file);  // images and errors; for videos a closing "video" line
  void add_frame(const std::string& path, const FrameRecord& frame);

  void frame(const InputFile&, FileResult& video, const FrameRecord& frame, cv::Mat&) override {
    add_frame(video.path, frame);
  }
  void file(const InputFile&, FileResult& result) override { add(result); }

 private:
  void check();
  std::ostream& out_;
  StopRequest* on_closed_;
};

// The human summary printed on stderr at the end of a run.
std::string format_summary(const RunSummary& summary, const std::vector<std::string>& labels);

}  // namespace maskdetect
