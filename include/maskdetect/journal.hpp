// The run's durable record in --out, for --resume: what ran (a header line), then one line per
// finished file, each appended with a single write(2) the moment the file is finished, so a run
// ended by SIGKILL or a crash keeps every file it finished. report.json is written from the
// pipeline's results at the end; the journal is what survives when that end never comes.
#pragma once

#include <deque>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "maskdetect/sink.hpp"

namespace maskdetect {

inline constexpr const char* kJournalSchema = "maskdetect.journal/1";

class Journal : public Sink {
 public:
  // Starts a journal at `path` with `header` as its first line, then `seed` (entries carried
  // over from an earlier run's report.json); with `append`, adds to the journal already there.
  // Throws SetupError when it cannot be written.
  Journal(std::filesystem::path path, const nlohmann::json& header, bool append,
          const std::vector<nlohmann::json>& seed = {});
  ~Journal() override;
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  // Appends a finished file; not one replayed by --resume, nor a video a stop cut short.
  void file(const InputFile& input, FileResult& result) override;

 private:
  void append_line(const std::string& line);
  std::filesystem::path path_;
  int fd_ = -1;
  bool failed_ = false;
};

// What an earlier run in an output folder finished.
struct EarlierRun {
  nlohmann::json header;              // the journal's first line; null without a journal
  std::vector<nlohmann::json> files;  // its file entries, as report.json writes them
  bool found = false;                 // a journal or a report.json was there
};

// Reads `dir`'s journal, or without one its report.json. A torn last journal line (the run died
// while writing it) is ignored: that file is simply not finished.
EarlierRun read_earlier_run(const std::filesystem::path& dir);

// Throws SetupError when `earlier` ran with another model or other parameters than `header`
// describes (the thread count aside): resuming would mix two runs in one report.
void check_same_run(const nlohmann::json& earlier, const nlohmann::json& header);

// The inputs an earlier run finished, by their reported path; each is taken once per time it
// was reported (an input named twice is finished twice).
class ResumeSet {
 public:
  explicit ResumeSet(const std::vector<nlohmann::json>& files);
  std::optional<FileResult> take(const std::string& path);
  std::size_t size() const { return size_; }

 private:
  std::map<std::string, std::deque<nlohmann::json>> by_path_;
  std::size_t size_ = 0;
};

// A report.json (or JSON Lines) file entry read back; the inverse of to_json(FileResult).
FileResult file_from_json(const nlohmann::json& j);
// A video frame record (JSON Lines, *.frames.jsonl) read back.
FrameRecord frame_from_json(const nlohmann::json& j);

}  // namespace maskdetect
