#include <iostream>

#include "cli.hpp"
#include "maskdetect/errors.hpp"
#include "maskdetect/merge.hpp"
#include "maskdetect/report.hpp"

namespace maskdetect::cli {

CLI::App* add_merge_command(CLI::App& app, MergeFlags& f) {
  CLI::App* merge = app.add_subcommand(
      "merge",
      "Join the --out folders of a run split with --shard K/N into one report.json, report.csv "
      "and report.html in OUT, as one run over all the inputs would have written them (entries "
      "sorted by path; annotated media stay in the shard folders, and the reports link there). "
      "Refuses, with exit status 2, shards that do not make one run: an index missing or given "
      "twice, another N, model or option (--threads aside), an input in two shards, or a shard "
      "that did not finish");
  merge->add_option("out", f.out, "Folder for the merged reports (created; must not hold a run)")
      ->required()
      ->type_name("OUT");
  merge->add_option("shards", f.shards, "The --out folder of every shard, in any order")
      ->required()
      ->type_name("SHARD_OUT");
  merge->add_flag("-q,--quiet", f.quiet, "No summary; errors are still printed");
  return merge;
}

int merge_command(const MergeFlags& f) {
  try {
    const MergeOutcome m =
        merge_shards(f.out, std::vector<std::filesystem::path>(f.shards.begin(), f.shards.end()));
    if (!f.quiet) {
      std::cerr << "maskdetect merge: " << m.shards << (m.shards == 1 ? " shard" : " shards")
                << " into " << f.out << '\n'
                << format_summary(m.summary, m.labels);
      if (!m.html) std::cerr << "maskdetect merge: no report.html: " << m.html_why << '\n';
    }
    return 0;
  } catch (const SetupError& e) {
    std::cerr << "maskdetect " << e.what() << '\n';
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "maskdetect merge: unexpected error: " << e.what() << '\n';
    return 2;
  }
}

}  // namespace maskdetect::cli
