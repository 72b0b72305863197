// The command line's parts, one file each: the shared option groups (cli_options.cc), the
// subcommands eval (cli_eval.cc), serve (cli_serve.cc) and merge (cli_merge.cc), and the run itself
// with main() (main.cc). Only option wiring lives here; the work is the library's.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>
#include <vector>

#include "maskdetect/detector.hpp"
#include "maskdetect/eval.hpp"
#include "maskdetect/serve.hpp"
#include "maskdetect/stop.hpp"

namespace maskdetect::cli {

// Set from the signal handlers: a stop always ends in written reports, however often it comes.
StopRequest& stop_request();

void add_face_threshold_option(CLI::App& app, std::optional<float>& face_threshold);
void add_detector_options(CLI::App& app, DetectorOptions& d);
void add_shard_option(CLI::App& app, std::string& spec);

struct EvalFlags {
  std::vector<std::string> datasets;
  std::string model;
};

CLI::App* add_eval_command(CLI::App& app, EvalOptions& e, EvalFlags& f);
int eval_command(EvalOptions& e, const EvalFlags& f);

struct ServeFlags {
  std::string model;
  double max_upload_mb = 20, max_video_mb = 200;
};

CLI::App* add_serve_command(CLI::App& app, ServeOptions& s, ServeFlags& f);
int serve_command(ServeOptions& s, const ServeFlags& f);

struct MergeFlags {
  std::string out;
  std::vector<std::string> shards;
  bool quiet = false;
};

CLI::App* add_merge_command(CLI::App& app, MergeFlags& f);
int merge_command(const MergeFlags& f);

}  // namespace maskdetect::cli
