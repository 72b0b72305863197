#include "maskdetect/out_dir.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <string>

#include "maskdetect/errors.hpp"
#include "maskdetect/journal.hpp"
#include "maskdetect/report.hpp"

namespace fs = std::filesystem;

namespace maskdetect {
namespace {

bool is_ours(const fs::path& report_json) {
  std::ifstream in(report_json, std::ios::binary);
  std::string head(512, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<std::size_t>(in.gcount()));
  return head.find("\"maskdetect.report/") != std::string::npos;
}

bool present(const fs::path& p) {
  std::error_code ec;
  return fs::exists(fs::symlink_status(p, ec));
}

// The pid written in the lock file by the run that holds it, for the message.
std::string holder(int fd) {
  char buf[32] = {};
  const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
  std::string pid(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
  while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
  return pid.empty() ? std::string() : " (pid " + pid + ")";
}

bool inside(const fs::path& p, const fs::path& dir) {
  std::error_code ec;
  const fs::path a = fs::weakly_canonical(fs::absolute(p, ec), ec);
  const fs::path d = fs::weakly_canonical(fs::absolute(dir, ec), ec);
  const auto mismatch = std::mismatch(d.begin(), d.end(), a.begin(), a.end());
  return mismatch.first == d.end() && a != d;
}

// Removes `p` and then each parent it left empty, up to (not including) `dir`.
void remove_with_parents(const fs::path& p, const fs::path& dir) {
  std::error_code ec;
  if (!inside(p, dir) || !fs::remove(p, ec)) return;
  for (fs::path up = p.parent_path(); inside(up, dir); up = up.parent_path())
    if (!fs::is_empty(up, ec) || ec || !fs::remove(up, ec)) break;
}

}  // namespace

bool holds_run_output(const fs::path& dir) {
  if (present(dir / kJournalName) || present(dir / kLockName)) return true;
  return present(dir / "report.json") && is_ours(dir / "report.json");
}

OutDir::OutDir(fs::path dir, Reuse reuse) : dir_(std::move(dir)) {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec || !fs::is_directory(dir_))
    throw SetupError("cannot create output folder " + dir_.string() + ": " +
                     (ec ? ec.message() : "not a directory") + "; choose another --out");
  const fs::path lock = dir_ / kLockName;
  lock_fd_ = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
  if (lock_fd_ < 0)
    throw SetupError("cannot write " + lock.string() + ": " + std::strerror(errno) +
                     "; check the output folder is writable");
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    const std::string who = holder(lock_fd_);
    ::close(lock_fd_);
    lock_fd_ = -1;
    throw SetupError("another maskdetect run" + who + " is writing to " + dir_.string() +
                     "; wait for it to end or choose another --out");
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(lock_fd_, 0) == 0 && ::pwrite(lock_fd_, pid.data(), pid.size(), 0) < 0) {
    // Only the message of a second run would lack the pid.
  }
  remove_temporaries(dir_);
  earlier_ =
      present(dir_ / kJournalName) || present(dir_ / "report.json") || present(dir_ / "report.csv");
  if (earlier_ && reuse == Reuse::Refuse) {
    ::close(lock_fd_);  // no destructor runs for a constructor that throws
    lock_fd_ = -1;
    throw SetupError(dir_.string() +
                     " holds an earlier run (its report); use --resume to continue it, "
                     "--overwrite to replace it, or choose another --out");
  }
  if (earlier_ && reuse == Reuse::Overwrite) remove_earlier_run(dir_);
}

OutDir::~OutDir() {
  if (lock_fd_ < 0) return;
  remove_temporaries(dir_);
  ::close(lock_fd_);  // releases the flock; the file stays: removing it would race a new run
}

void remove_temporaries(const fs::path& dir) {
  static const std::regex kTemporary(R"(\..+\.tmp-[0-9]+-[0-9]+)");
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (std::regex_match(name, kTemporary) && it->is_regular_file(ec)) fs::remove(it->path(), ec);
  }
}

void remove_earlier_run(const fs::path& dir) {
  std::vector<nlohmann::json> files;
  try {
    files = read_earlier_run(dir).files;
  } catch (const SetupError&) {
    // A damaged report lists nothing: only the reports themselves go.
  }
  for (const auto& f : files)
    for (const char* key : {"output", "frames_file"})
      if (f.contains(key) && f[key].is_string())
        remove_with_parents(f[key].get<std::string>(), dir);
  // Face crops (name.faceN.LABEL.jpg) and report.html's thumbnails (name.EXT.jpg): the names
  // the earlier run gave them, so that a user's own files there stay.
  static const std::regex kCrop(R"(.+\.face[0-9]+\.[^.]+\.jpg)"), kThumb(R"(.+\.jpg)");
  std::vector<fs::path> written;
  std::error_code ec;
  for (const auto& [folder, pattern] : {std::pair{"crops", &kCrop}, {"report_files", &kThumb}})
    for (fs::recursive_directory_iterator it(dir / folder, ec), end; !ec && it != end;
         it.increment(ec))
      if (it->is_regular_file(ec) && std::regex_match(it->path().filename().string(), *pattern))
        written.push_back(it->path());
  for (const auto& c : written) remove_with_parents(c, dir);
  for (const char* name : {"report.json", "report.csv", "report.html", kJournalName})
    fs::remove(dir / name, ec);
}

}  // namespace maskdetect
