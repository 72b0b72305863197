#include <iostream>

#include "cli.hpp"
#include "maskdetect/errors.hpp"

namespace maskdetect::cli {

CLI::App* add_eval_command(CLI::App& app, EvalOptions& e, EvalFlags& f) {
  CLI::App* eval = app.add_subcommand(
      "eval",
      "Measure detection and classification on annotated data: PASCAL VOC folders (images/ + "
      "annotations/) or class folders of face crops (with_mask/, without_mask/). Prints face "
      "recall and precision at IoU 0.5 and 0.3 per class, the confusion matrix, no_mask "
      "precision / recall / F1 and time per image; see docs/eval.md");
  eval->add_option("datasets", f.datasets, "Dataset folders")->required();
  eval->add_option("--split", e.split,
                   "Part of each set to use, by the training split rule (test is what results "
                   "are quoted on)")
      ->capture_default_str()
      ->check(CLI::IsMember({"all", "train", "val", "test"}));
  eval->add_option("--json", e.json_out, "Also write the metrics as JSON to FILE")
      ->type_name("FILE");
  eval->add_option("--from-report", e.from_report,
                   "Score the faces of this report.json (maskdetect's, or any with "
                   "files[].path and files[].faces[].box/label, matched by file name) instead of "
                   "running the detector")
      ->type_name("FILE");
  eval->add_option("--limit", e.limit, "Use only the first N images of each set (0 = all)")
      ->capture_default_str();
  eval->add_option("--scale", e.scales,
                   "Evaluate VOC sets with each photo shrunk by these factors in (0, 1], e.g. "
                   "1,0.5,0.333 (a stand-in for smaller faces); crop sets ignore it")
      ->delimiter(',')
      // One argument per --scale (a vector option would take the dataset after it too).
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->type_name("LIST")
      ->capture_default_str();
  eval->add_option("--model", f.model, "Classifier ONNX file [default: the installed model]")
      ->type_name("PATH");
  eval->add_option("--threshold", e.engine.threshold, "A face is mask when P(mask) >= this")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  add_face_threshold_option(*eval, e.engine.face_threshold);
  eval->add_option("--threads", e.threads, "Images processed in parallel; 0 = one per core")
      ->capture_default_str();
  add_detector_options(*eval, e.engine.detector);
  return eval;
}

int eval_command(EvalOptions& e, const EvalFlags& f) {
  for (const auto& d : f.datasets) e.datasets.emplace_back(d);
  e.engine.model = f.model;
  try {
    run_eval(e, std::cout, std::cerr);
    return 0;
  } catch (const SetupError& err) {
    std::cerr << "maskdetect eval: " << err.what() << '\n';
    return 2;
  }
}

}  // namespace maskdetect::cli
