// What tripped --fail-on, so that an exit status of 3 comes with the files (and, in videos, the
// people and their seconds on screen) that caused it. Private to run.cc.
#pragma once

#include <string>
#include <vector>

#include "maskdetect/run.hpp"
#include "maskdetect/sink.hpp"

namespace maskdetect {

class FailOnWitness : public Sink {
 public:
  // `failing`: the labels --fail-on no_mask counts (failing_labels()).
  FailOnWitness(FailOn fail_on, std::vector<std::string> failing);
  void file(const InputFile& input, FileResult& result) override;

  // The lines that explain a met condition ("" when none was met): one per condition, then
  // the first files that tripped it, one a line.
  std::string explain(const RunSummary& summary) const;

 private:
  struct Condition {
    std::string name;                // as given to --fail-on
    std::vector<std::string> files;  // "path: why", the first kMaxListed
    std::int64_t count = 0;          // files that tripped it
  };
  void note(Condition& c, const std::string& why);
  bool failing(const std::string& label) const;
  FailOn fail_on_;
  std::vector<std::string> failing_;
  Condition unmasked_{"no_mask", {}, 0}, any_face_{"any-face", {}, 0}, error_{"error", {}, 0};
};

}  // namespace maskdetect
