// The output folder across runs: one run at a time (a lock), an earlier run never silently mixed
// with a new one (refused, resumed or replaced), and no temporaries left by a run that was killed.
#pragma once

#include <filesystem>

namespace maskdetect {

inline constexpr const char* kJournalName = ".maskdetect.journal";
inline constexpr const char* kLockName = ".maskdetect.lock";

// Whether `dir` holds a maskdetect run's output: its journal or lock, or a report.json of ours.
bool holds_run_output(const std::filesystem::path& dir);

// What to do with an earlier run found in --out.
enum class Reuse { Refuse, Resume, Overwrite };

class OutDir {
 public:
  // Creates `dir` if missing and locks it (flock, released when the process ends, however it
  // ends), removes temporaries a killed run left, and applies `reuse` to an earlier run there.
  // Throws SetupError when another run holds the lock, or when an earlier run is there and
  // `reuse` is Refuse.
  OutDir(std::filesystem::path dir, Reuse reuse);
  ~OutDir();  // removes this run's temporaries, if any were left, and unlocks
  OutDir(const OutDir&) = delete;
  OutDir& operator=(const OutDir&) = delete;

  const std::filesystem::path& path() const { return dir_; }
  std::filesystem::path journal() const { return dir_ / kJournalName; }
  // Whether an earlier run's journal or report was there (before --overwrite removed it).
  bool had_earlier_run() const { return earlier_; }

 private:
  std::filesystem::path dir_;
  int lock_fd_ = -1;
  bool earlier_ = false;
};

// The hidden temporaries of atomic writes (.report.json.tmp-PID-N) directly in `dir`.
void remove_temporaries(const std::filesystem::path& dir);

// Removes what the earlier run in `dir` wrote: its reports and journal, the annotated media and
// frame records its journal or report lists, and face crops (crops/**/*.faceN.LABEL.jpg). Never
// a file outside `dir` or one it did not write; folders left empty by the removal go too.
void remove_earlier_run(const std::filesystem::path& dir);

}  // namespace maskdetect
