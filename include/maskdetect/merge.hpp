// `maskdetect merge OUT SHARD_OUT...`: the outputs of a run split with --shard K/N joined into
// the reports one run would have written, after checking that the parts belong together.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "maskdetect/types.hpp"

namespace maskdetect {

struct MergeOutcome {
  RunSummary summary;               // recomputed from the merged entries
  std::vector<std::string> labels;  // the model's face labels, for format_summary
  int shards = 0;
  bool html = false;     // report.html was written (every shard had one)
  std::string html_why;  // why it was not, when it was not
};

// Reads each shard's report.json (and report.html, when every shard has one) and writes
// OUT/report.json, report.csv and report.html. Entries come in the order of their paths' bytes
// (`LC_ALL=C sort`), the order one run over one folder lists them; annotated outputs stay where
// the shards wrote them, and report.html's links are rebased to OUT. Throws SetupError, naming
// the shard and the fix, when the shards do not make one run: one did not finish or was not
// run with --shard, they differ in N, model or options (threads aside), an index is missing or
// given twice, or an input is in two shards or not in its own by the hash. OUT is locked and
// refused when it holds a run, as the run's --out is.
MergeOutcome merge_shards(const std::filesystem::path& out,
                          const std::vector<std::filesystem::path>& shards);

}  // namespace maskdetect
