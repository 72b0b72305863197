// The maskdetect command line: maps options onto RunOptions; main() picks the run or a
// subcommand (cli.hpp). Nothing else.
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "cli.hpp"
#include "maskdetect/config.hpp"
#include "maskdetect/detector.hpp"
#include "maskdetect/errors.hpp"
#include "maskdetect/eval.hpp"
#include "maskdetect/git_commit.hpp"
#include "maskdetect/model_card.hpp"
#include "maskdetect/run.hpp"
#include "maskdetect/serve.hpp"
#include "maskdetect/shard.hpp"
#include "maskdetect/stop.hpp"
#include "maskdetect/suggest.hpp"
#include "maskdetect/time_spec.hpp"

namespace {

using maskdetect::cli::add_detector_options;
using maskdetect::cli::add_face_threshold_option;

constexpr const char* kDescription =
    "Finds faces in photos, folders, videos, streams and cameras, decides for each face whether\n"
    "a mask is worn, and writes annotated media plus report.json and report.csv under --out.\n"
    "In videos, faces are tracked: the reports count people and the seconds they are on screen.\n\n"
    "Exit status: 0 all inputs processed, 1 some inputs failed (each named in the report),\n"
    "2 usage or setup error (also: --out holds an earlier run or another run's lock), 3 a\n"
    "--fail-on condition was met, 130 interrupted (Ctrl-C), 143 terminated (SIGTERM), 141\n"
    "stdout closed; after a stop the reports cover the files finished, and --resume goes on.";

// "maskdetect 0.1.0 (git 0123456789ab)"; without the commit when built outside a clone.
std::string version_line() {
  std::string line = std::string("maskdetect ") + maskdetect::config::kVersion;
  if (*maskdetect::config::kGitCommit != '\0')
    line += std::string(" (git ") + maskdetect::config::kGitCommit + ")";
  return line;
}

// What the run command's flags say before they become RunOptions.
struct RunFlags {
  std::string model;
  std::vector<std::string> fail_on, input_lists;
  bool no_annotate = false, no_html = false, progress = false, no_progress = false,
       no_audio = false;
  bool resume = false, overwrite = false, null_separated = false;
  std::string shard;
};

// An option that takes a time (seconds or [hh:]mm:ss) into `seconds`.
void add_time_option(CLI::App& app, const std::string& name, double& seconds,
                     const std::string& help) {
  app.add_option_function<std::string>(
         name,
         [&seconds, name](const std::string& text) {
           const auto t = maskdetect::parse_time_spec(text);
           if (!t)
             throw CLI::ValidationError(name, "'" + text +
                                                  "' is not a time: give seconds (12.5) or "
                                                  "[hh:]mm:ss (1:30)");
           seconds = *t;
         },
         help)
      ->type_name("TIME");
}

void add_video_options(CLI::App& app, maskdetect::RunOptions& o, RunFlags& f) {
  maskdetect::VideoOptions& v = o.pipeline.video;
  app.add_option("--video-detect-size", o.engine.video_detect_size,
                 "Videos: detect on frames scaled so that their longest side is at most this "
                 "many pixels (Haar then searches no enlarged copy); 0 = as photos, "
                 "--detect-size")
      ->capture_default_str()
      ->type_name("N")
      ->check(CLI::Range(0, 100000));
  app.add_option("--vid-stride", v.stride,
                 "Videos: run the detector on every Nth frame; the frames between get the faces' "
                 "tracks, moved as they move (every frame is still annotated and recorded). 1 = "
                 "detect on every frame (slowest) [default: " +
                     std::to_string(maskdetect::default_stride("haar")) + " for haar, " +
                     std::to_string(maskdetect::default_stride("yunet")) + " for yunet]")
      ->type_name("N")
      ->check(CLI::Range(1, 100));
  add_time_option(app, "--start", v.start_s,
                  "Videos: start this far in (seconds or [hh:]mm:ss); the reports keep the "
                  "video's own times");
  add_time_option(app, "--end", v.end_s, "Videos: stop at this time of the video");
  add_time_option(app, "--duration", v.max_seconds,
                  "Videos, streams and cameras: stop each after this long (a live source "
                  "otherwise runs until it ends or Ctrl-C)");
  app.add_option("--max-frames", v.max_frames,
                 "Videos, streams and cameras: stop each after this many frames")
      ->check(CLI::Range(static_cast<std::int64_t>(1), std::numeric_limits<std::int64_t>::max()));
  app.add_flag("--no-audio", f.no_audio, "Annotated videos without the source's sound");
  app.add_flag("--show", o.show,
               "Show the annotated photos and frames in a window as they are processed; q or "
               "Esc stops the run (reports are still written). Needs a display");
}

// What is written under --out besides report.json and report.csv.
void add_output_options(CLI::App& app, maskdetect::RunOptions& o, RunFlags& f) {
  app.add_option("--jsonl", o.jsonl,
                 "Also stream one JSON object per image or video frame to FILE as it is "
                 "processed; '-' writes to stdout (stdout then carries only data)")
      ->type_name("FILE|-");
  app.add_flag("--no-annotate", f.no_annotate, "Do not write annotated images and videos");
  app.add_option("--annotate-size", o.annotate_size,
                 "Write annotated images scaled down so that their longest side is at most this "
                 "many pixels; 0 = the original size. Boxes in the reports stay in original pixels")
      ->capture_default_str()
      ->check(CLI::Range(0, 1000000));
  app.add_flag("--no-html", f.no_html,
               "Do not write report.html (a page of the run: summary, gallery, people in "
               "videos, failures) and its thumbnails in OUT/report_files/");
  app.add_flag("--save-crops", o.save_crops,
               "Also save each face crop under OUT/crops/, named by label");
}

void add_run_options(CLI::App& app, maskdetect::RunOptions& o, RunFlags& f) {
  app.add_option("-i,--input", o.pipeline.inputs,
                 "Image, video or folder to process (repeatable). Folders are walked "
                 "recursively in name order; files are recognised by content, not extension. "
                 "'-' reads paths from stdin, one per line, and @FILE from FILE (listed paths "
                 "keep their folders under --out). A quoted glob pattern ('photos/*.jpg') is "
                 "expanded, sorted. Files that are not images or videos are skipped. "
                 "Live sources: a stream URL as FFmpeg "
                 "reads it (rtsp://, http(s)://, udp://, ...) or a camera (/dev/video0 or "
                 "camera:0); they run until they end, --duration, --max-frames or Ctrl-C, and "
                 "drop frames when processing falls behind [required]");
  app.add_option("--input-list", f.input_lists,
                 "A file of paths to process, one a line, as --input @FILE (repeatable)")
      ->type_name("FILE");
  app.add_flag("-0,--null", f.null_separated,
               "Paths on stdin and in lists are separated by NUL, as find -print0 writes them");
  app.add_option("-o,--out", o.pipeline.out_dir,
                 "Output folder: annotated media mirroring the input tree, report.json, "
                 "report.csv. Created if missing; inputs are never overwritten. One run at a "
                 "time; a folder holding an earlier run needs --resume or --overwrite [required]");
  auto* resume = app.add_flag("--resume", f.resume,
                              "Continue the interrupted or partial run in --out: inputs it "
                              "finished are not processed again; the reports cover both");
  app.add_flag("--overwrite", f.overwrite,
               "Replace the earlier run in --out: its reports and the files they list are "
               "removed first (nothing else)")
      ->excludes(resume);
  maskdetect::cli::add_shard_option(app, f.shard);
  app.add_option("--threshold", o.engine.threshold,
                 "A face is labelled mask when P(mask) >= this, otherwise no_mask")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  add_face_threshold_option(app, o.engine.face_threshold);
  add_detector_options(app, o.engine.detector);
  add_video_options(app, o, f);
  app.add_option("--model", f.model,
                 "Classifier ONNX file (its .json model card must sit beside it) [default: "
                 "$MASKDETECT_MODEL, else the installed mask_mobilenetv2.onnx]")
      ->type_name("PATH");
  app.add_option("--threads", o.pipeline.threads,
                 "Images or frames processed in parallel; 0 = one per core")
      ->capture_default_str()
      ->check(CLI::Range(0, 256));
  app.add_option("--max-pixels", o.pipeline.max_pixels,
                 "Refuse images and videos whose frames have more pixels than this, before "
                 "decoding them")
      ->capture_default_str()
      ->check(CLI::Range(static_cast<std::uint64_t>(1), static_cast<std::uint64_t>(1) << 40));
  add_output_options(app, o, f);
  app.add_option(
         "--fail-on", f.fail_on,
         "Exit with status 3 when: no_mask (any face labelled no_mask, or with the model's "
         "mask-worn-wrong label when its card has one), any-face (any face found), error (any "
         "input failed), empty (no image or video to process). The files that met it are "
         "printed, even with --quiet. Repeatable")
      ->check(CLI::IsMember({"no_mask", "any-face", "error", "empty"}));
  app.add_flag("--allow-incorrect", o.fail_on.allow_incorrect,
               "With --fail-on no_mask: faces with the model's mask-worn-wrong label (below the "
               "nose or on the chin; the card's roles.incorrect) do not fail the run");
  auto* quiet =
      app.add_flag("-q,--quiet", o.console.quiet,
                   "No summary, progress or warnings; errors and the files that met --fail-on "
                   "are still printed");
  app.add_flag("-v,--verbose", o.console.verbose, "Print a line per file")->excludes(quiet);
  app.add_flag("--progress", f.progress,
               "Show a progress line on stderr [default: when stderr is a terminal]");
  app.add_flag("--no-progress", f.no_progress, "Never show a progress line");
}

int run_command(maskdetect::RunOptions& o, const RunFlags& f) {
  if ((o.pipeline.inputs.empty() && f.input_lists.empty()) || o.pipeline.out_dir.empty()) {
    std::cerr << "maskdetect: " << (o.pipeline.out_dir.empty() ? "--out" : "--input")
              << " is required\nRun 'maskdetect --help' for the options.\n";
    return 2;
  }
  o.annotate = !f.no_annotate;
  o.html = !f.no_html;
  o.audio = !f.no_audio;
  const maskdetect::VideoOptions& v = o.pipeline.video;
  if (v.end_s > 0 && v.end_s <= v.start_s) {
    std::cerr << "maskdetect: --end must come after --start\n";
    return 2;
  }
  o.engine.model = f.model;
  for (const auto& c : f.fail_on) {
    if (c == "no_mask") o.fail_on.unmasked = true;
    if (c == "any-face") o.fail_on.any_face = true;
    if (c == "error") o.fail_on.error = true;
    if (c == "empty") o.fail_on.empty = true;
  }
  for (const auto& l : f.input_lists) o.pipeline.inputs.push_back("@" + l);
  if (f.null_separated) o.pipeline.list_separator = '\0';
  o.reuse = f.resume      ? maskdetect::Reuse::Resume
            : f.overwrite ? maskdetect::Reuse::Overwrite
                          : maskdetect::Reuse::Refuse;
  o.console.progress = !f.no_progress && !o.console.quiet && (f.progress || isatty(STDERR_FILENO));
  o.stop = &maskdetect::cli::stop_request();
  maskdetect::install_stop_signals(maskdetect::cli::stop_request());
  try {
    if (!f.shard.empty()) o.pipeline.shard = maskdetect::parse_shard(f.shard, std::getenv);
    const auto outcome = maskdetect::run_maskdetect(o, std::cin, std::cout, std::cerr);
    std::cout.flush();
    return outcome.exit_status;
  } catch (const maskdetect::SetupError& e) {
    std::cerr << "maskdetect: " << e.what() << '\n';
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "maskdetect: unexpected error: " << e.what() << '\n';
    return 2;
  }
}

// Every long option of the app and its subcommands, for "did you mean".
std::vector<std::string> option_names(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::Option* opt : app.get_options())
    for (const auto& n : opt->get_lnames()) names.push_back("--" + n);
  for (const CLI::App* sub : app.get_subcommands({}))
    for (const auto& n : option_names(*sub)) names.push_back(n);
  return names;
}

}  // namespace

int main(int argc, char** argv) {
#ifdef __GLIBC__
  // Decoded photos take megabytes each and are freed by the worker thread that made them. After
  // the first such free glibc raises its mmap threshold and serves later photos from per-thread
  // arenas that keep the pages: on highres-ilc2021, 375 MiB peak instead of 337 MiB. Below 16 MB
  // (5 MP) the arenas stay: OpenCV DNN frees and remakes its buffers on every call, and fresh
  // pages for them each time made YuNet 50 % slower.
  mallopt(M_MMAP_THRESHOLD, 16 << 20);
#endif
  CLI::App app(kDescription, "maskdetect");
  app.set_version_flag("--version", version_line());
  app.get_formatter()->column_width(34);
  maskdetect::RunOptions run;
  RunFlags run_flags;
  add_run_options(app, run, run_flags);
  maskdetect::EvalOptions eval;
  maskdetect::cli::EvalFlags eval_flags;
  CLI::App* eval_app = maskdetect::cli::add_eval_command(app, eval, eval_flags);
  maskdetect::ServeOptions serve;
  maskdetect::cli::ServeFlags serve_flags;
  CLI::App* serve_app = maskdetect::cli::add_serve_command(app, serve, serve_flags);
  maskdetect::cli::MergeFlags merge_flags;
  CLI::App* merge_app = maskdetect::cli::add_merge_command(app, merge_flags);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "maskdetect: " << e.what() << '\n';
    if (dynamic_cast<const CLI::ExtrasError*>(&e) != nullptr)
      std::cerr << maskdetect::unexpected_argument_hints(app.remaining(true), option_names(app));
    std::cerr << "Run 'maskdetect --help' for the options.\n";
    return 2;
  }
  if (*serve_app) return maskdetect::cli::serve_command(serve, serve_flags);
  if (*merge_app) return maskdetect::cli::merge_command(merge_flags);
  return *eval_app ? maskdetect::cli::eval_command(eval, eval_flags) : run_command(run, run_flags);
}
