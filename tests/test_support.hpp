// Helpers shared by the unit and end-to-end tests: fixtures, temporary folders, running the
// binary, reading its report, and small builders (faces, files, lines, videos).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "maskdetect/types.hpp"

namespace maskdetect::testing {

// Thrown by shared_file() when a file under ../shared is absent. tests/test_main.cc reports a
// test that ends in it as SKIPPED (not passed), the run goes on, and the process exits 4 when
// tests were skipped and none failed (CTest's SKIP_RETURN_CODE).
struct TestSkipped : std::runtime_error {
  explicit TestSkipped(const std::string& why) : std::runtime_error("SKIPPED: " + why) {}
};
constexpr int kSkipExitCode = 4;

// ../shared beside the repository (set at configure time; MASKDETECT_SHARED_DIR overrides).
std::filesystem::path shared_dir();
// A path under ../shared; throws TestSkipped when it is absent.
std::filesystem::path shared_file(const std::string& relative);
// The same under ../shared/fixtures.
std::filesystem::path fixture(const std::string& relative);
std::filesystem::path source_dir();
std::filesystem::path binary();
// True in a -DMASKDETECT_SANITIZE build (memory and time limits do not apply there).
bool sanitized_build();

// A fresh empty directory under the system temp dir, removed when the object goes away.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Runs a shell command; returns its exit status and captures stdout and stderr.
struct CommandResult {
  int status = -1;  // exit status; -1 when it did not exit normally (see `signal`)
  int signal = 0;   // the signal that ended it, if any
  std::string out, err;
  long peak_rss_kb = -1;  // run_measured only: peak resident set size of the command
};
CommandResult run_command(const std::string& command);
// run_command under /usr/bin/time -f %M: fills peak_rss_kb (the largest process of the command).
CommandResult run_measured(const std::string& command);
std::string shell_quote(const std::string& s);
inline std::string q(const std::filesystem::path& p) { return shell_quote(p.string()); }
std::string read_text(const std::filesystem::path& path);

// Writes `bytes` to `path` (binary), creating parent folders.
void write_file(const std::filesystem::path& path, const std::string& bytes);
// The lines of `text` without their '\n'; an empty last line (after a final '\n') is not one.
std::vector<std::string> split_lines(const std::string& text);
// Every non-empty line parsed as JSON (throws on a line that is not JSON).
std::vector<nlohmann::json> json_lines(const std::string& text);

// A Face with one score (its label's), as detectors and the classifier produce them.
Face make_face(cv::Rect box = {10, 20, 64, 64}, const std::string& label = "mask",
               float confidence = 0.9F);

// Writes a `frames`-frame MJPEG AVI of `size` at 30 fps (OpenCV's built-in writer: no FFmpeg
// encoder needed), a moving gradient so frames differ. Throws when it cannot be written.
void write_test_video(const std::filesystem::path& path, cv::Size size, int frames);

// ---- the maskdetect binary ----
// Runs `maskdetect --no-progress <args>`.
CommandResult run_maskdetect(const std::string& args);
// The same under /usr/bin/time (peak_rss_kb filled).
CommandResult run_maskdetect_measured(const std::string& args);
// <out>/report.json parsed (throws when absent or not JSON).
nlohmann::json read_report(const std::filesystem::path& out);
// The data a report.html page carries (its <script id="report-data"> element), parsed.
nlohmann::json read_html_report_data(const std::filesystem::path& html);
// The report's entry for a file name; FAILs the test when there is none.
// What must not change between two runs over the same inputs (one run, a resumed one, merged
// shards): each file's path, in order, and status, and its faces' boxes, labels and scores.
nlohmann::json results_of(const nlohmann::json& report);
const nlohmann::json& report_entry(const nlohmann::json& report, const std::string& file_name);
// Validates <out>/report.json against docs/report.schema.json with python3-jsonschema; returns
// "" when valid, else the validator's message.
std::string schema_errors(const std::filesystem::path& report_json);

// A child process (argv[0] looked up in PATH) in its own process group with stdout and stderr
// to files in `log_dir` (created if missing); killed (the whole group) on destruction if still
// running.
class BackgroundProcess {
 public:
  BackgroundProcess(const std::vector<std::string>& argv, const std::filesystem::path& log_dir);
  ~BackgroundProcess();
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;
  pid_t pid() const { return pid_; }
  // Waits up to `timeout` for the process to end; its result, or nullopt if it still runs.
  std::optional<CommandResult> wait_for(std::chrono::milliseconds timeout);
  void kill_group(int sig);

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
  std::filesystem::path out_, err_;
};

}  // namespace maskdetect::testing
