#include "maskdetect/input_count.hpp"

#include <algorithm>

#include "maskdetect/input_walk.hpp"
#include "maskdetect/live_source.hpp"

namespace maskdetect {

InputCounter::InputCounter(std::vector<std::string> inputs, std::filesystem::path out_dir,
                           char separator, Shard shard) {
  const bool unknowable = std::any_of(inputs.begin(), inputs.end(), [](const std::string& in) {
    return in == "-" || is_live_input(in);
  });
  if (unknowable) return;
  thread_ = std::thread(
      [this, inputs = std::move(inputs), out_dir = std::move(out_dir), separator, shard]() mutable {
        // The same walk as the run's, so the count is of the very entries the reports will list.
        InputWalker walker(std::move(inputs), std::move(out_dir), nullptr, separator);
        std::int64_t n = 0;
        while (!stop_.load())
          if (const auto in = walker.next()) {
            n += in_shard(in->display, shard) ? 1 : 0;
          } else {
            break;
          }
        if (!stop_.load()) total_ = n;
      });
}

InputCounter::~InputCounter() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

}  // namespace maskdetect
