// Counts the files a run's inputs name, on a thread of its own, so that the progress line can
// show done/total, a percentage and the time left while the run walks the same inputs. A list on
// stdin cannot be read twice and a live source has no end: the total is then unknown.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "maskdetect/shard.hpp"

namespace maskdetect {

class InputCounter {
 public:
  InputCounter(std::vector<std::string> inputs, std::filesystem::path out_dir, char separator,
               Shard shard = {});
  ~InputCounter();  // stops counting and waits for the thread
  InputCounter(const InputCounter&) = delete;
  InputCounter& operator=(const InputCounter&) = delete;

  // The number of files (entries the reports will list), once counted; -1 until then, or
  // always when it cannot be known.
  std::int64_t total() const { return total_.load(); }

 private:
  std::atomic<std::int64_t> total_{-1};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace maskdetect
