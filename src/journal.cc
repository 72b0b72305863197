#include "maskdetect/journal.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "maskdetect/errors.hpp"
#include "maskdetect/out_dir.hpp"
#include "maskdetect/report.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace maskdetect {
namespace {

// File names are bytes, not UTF-8: a bad byte must not lose the line (see report.cc).
std::string line_of(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

std::vector<json> report_files(const fs::path& report) {
  std::ifstream in(report);
  const json j = json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.contains("files") || !j["files"].is_array())
    throw SetupError("--resume: " + report.string() +
                     " is not a complete maskdetect report; use --overwrite to start again");
  return j["files"].get<std::vector<json>>();
}

}  // namespace

Journal::Journal(fs::path path, const json& header, bool append, const std::vector<json>& seed)
    : path_(std::move(path)) {
  fd_ =
      ::open(path_.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC | (append ? 0 : O_TRUNC), 0666);
  if (fd_ < 0)
    throw SetupError("cannot write " + path_.string() + ": " + std::strerror(errno) +
                     "; check the output folder is writable");
  if (append) {
    // A run killed mid-line left a torn last line: end it, or the next line would join it.
    struct stat st {};
    char last = 0;
    if (::fstat(fd_, &st) == 0 && st.st_size > 0 && ::pread(fd_, &last, 1, st.st_size - 1) == 1 &&
        last != '\n')
      append_line("\n");
    return;
  }
  append_line(line_of(header));
  for (const json& f : seed) append_line(line_of(f));
}

Journal::~Journal() {
  if (fd_ >= 0) ::close(fd_);
}

void Journal::append_line(const std::string& line) {
  // One write per line, so a line is either whole or torn at the end, never interleaved.
  std::size_t done = 0;
  while (!failed_ && done < line.size()) {
    const ssize_t n = ::write(fd_, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) failed_ = true;
    if (n > 0) done += static_cast<std::size_t>(n);
  }
}

void Journal::file(const InputFile&, FileResult& result) {
  if (result.resumed || result.partial || fd_ < 0) return;
  const bool was_failed = failed_;
  append_line(line_of(to_json(result)));
  if (failed_ && !was_failed)
    result.warnings.push_back("could not write the journal " + path_.string() +
                              ": --resume will process the files from here again");
}

EarlierRun read_earlier_run(const fs::path& dir) {
  EarlierRun run;
  std::ifstream in(dir / kJournalName);
  if (!in) {
    if (!fs::exists(dir / "report.json")) return run;
    run.found = true;
    run.files = report_files(dir / "report.json");
    return run;
  }
  run.found = true;
  for (std::string line; std::getline(in, line);) {
    json j = json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) continue;  // torn by a kill mid-write
    if (run.header.is_null() && j.value("schema", "") == kJournalSchema)
      run.header = std::move(j);
    else if (j.contains("path"))
      run.files.push_back(std::move(j));
  }
  return run;
}

void check_same_run(const json& earlier, const json& header) {
  if (earlier.is_null()) return;  // a report.json without a journal: nothing to compare
  const auto model = [](const json& h) { return h.value("/model/sha256"_json_pointer, ""); };
  if (model(earlier) != model(header))
    throw SetupError("--resume: the earlier run used another model (sha256 " + model(earlier) +
                     "); resume with the same --model, or use --overwrite");
  json a = earlier.value("params", json::object()), b = header.value("params", json::object());
  a.erase("threads");  // results do not depend on it
  b.erase("threads");
  for (const auto& [key, value] : b.items()) {
    const json then = a.contains(key) ? a[key] : json();
    if (then != value)
      throw SetupError("--resume: the earlier run used " + key + " " + then.dump() + ", this one " +
                       value.dump() +
                       "; resume with the same options, or use --overwrite to start again");
  }
  if (a.size() != b.size())
    throw SetupError("--resume: the earlier run used other options (" + a.dump() +
                     "); resume with the same options, or use --overwrite");
}

ResumeSet::ResumeSet(const std::vector<json>& files) {
  for (const json& f : files) {
    by_path_[f.value("path", "")].push_back(f);
    ++size_;
  }
}

std::optional<FileResult> ResumeSet::take(const std::string& path) {
  const auto it = by_path_.find(path);
  if (it == by_path_.end() || it->second.empty()) return std::nullopt;
  FileResult r = file_from_json(it->second.front());
  it->second.pop_front();
  r.resumed = true;
  return r;
}

}  // namespace maskdetect
