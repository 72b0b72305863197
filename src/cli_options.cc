#include <limits>

#include "cli.hpp"
#include "maskdetect/model_card.hpp"

namespace maskdetect::cli {

StopRequest& stop_request() {
  static StopRequest stop;
  return stop;
}

void add_face_threshold_option(CLI::App& app, std::optional<float>& face_threshold) {
  app.add_option_function<float>(
         "--face-threshold", [&face_threshold](float v) { face_threshold = v; },
         "Detector boxes the classifier gives P(face) below this are dropped as not faces "
         "(P(face) = 1 - P(not_face)) [default: the model card's face_threshold for the "
         "chosen --detector]")
      ->check(CLI::Range(0.0, 1.0));
}

void add_shard_option(CLI::App& app, std::string& spec) {
  app.add_option("--shard", spec,
                 "Process only part K of N (K from 0) of the inputs, chosen by a hash of each "
                 "input's path (FNV-1a), so every machine agrees whatever the listing order; "
                 "auto/N takes K from $JOB_COMPLETION_INDEX (Kubernetes Indexed Job) or "
                 "$SLURM_ARRAY_TASK_ID (Slurm job array). 'maskdetect merge' joins the parts")
      ->type_name("K/N");
}

void add_detector_options(CLI::App& app, DetectorOptions& d) {
  app.add_option("--detector", d.engine,
                 "Face detector: haar (OpenCV's frontal cascade, from opencv-data) or yunet "
                 "(the shipped YuNet-n network: finds far more masked and small faces, and is "
                 "faster; see --detector-model)")
      ->capture_default_str()
      ->check(CLI::IsMember({"haar", "yunet"}));
  app.add_option("--cascade", d.cascade,
                 "Haar cascade XML [default: $MASKDETECT_CASCADE, else opencv-data's "
                 "haarcascade_frontalface_default.xml]")
      ->type_name("PATH");
  app.add_option("--scale-factor", d.scale_factor,
                 "Haar: image pyramid step; smaller finds more faces, slower")
      ->capture_default_str()
      ->check(CLI::Range(1.01, 3.0));
  app.add_option("--min-neighbors", d.min_neighbors,
                 "Haar: overlapping hits needed to accept a face; higher means fewer false "
                 "faces, more missed ones")
      ->capture_default_str()
      ->check(CLI::Range(0, 100));
  app.add_option("--cascade-stages", d.cascade_stages,
                 "Haar: use only the cascade's first N stages (0 = all); fewer stages find "
                 "masked faces the full cascade rejects, and the classifier drops the boxes "
                 "that are not faces")
      ->capture_default_str()
      ->check(CLI::Range(0, 1000));
  app.add_option("--haar-upscale", d.haar_upscale,
                 "Haar: photos whose longest side (after --detect-size) is below N px are "
                 "searched on a copy enlarged up to 2x (pyramid step at least 1.25), so that "
                 "faces smaller than the cascade's 24 px window, down to --min-face, are found; "
                 "0 = never (faster, misses faces under 24 px)")
      ->capture_default_str()
      ->type_name("N")
      ->check(CLI::Range(0, 100000));
  app.add_option("--haar-confirm", d.haar_confirm,
                 "Haar: keep a box only where YuNet-n (--detector-model), run on the box and "
                 "its surroundings, finds a face scoring at least this; boxes the classifier "
                 "calls mask or mask_incorrect need only --detector-score-masked. 0 = off: the "
                 "cascade and the classifier's not_face label alone, at the model card's "
                 "stricter face threshold")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--min-face", d.min_face,
                 "Smallest face to look for, in original pixels [default: " +
                     std::to_string(default_min_face("haar")) + " for haar, " +
                     std::to_string(default_min_face("yunet")) + " for yunet]")
      ->check(CLI::Range(4, 100000));
  app.add_option("--detect-size", d.detect_size,
                 "Detect on a copy whose longest side is at most this many pixels (boxes are "
                 "mapped back to the original); 0 = full resolution [default: " +
                     std::to_string(default_detect_size("haar")) + " for haar, " +
                     std::to_string(default_detect_size("yunet")) + " for yunet]")
      ->check(CLI::Range(0, 100000));
  app.add_option("--detector-model", d.model,
                 "YuNet ONNX, for --detector yunet and for --haar-confirm: the shipped "
                 "yunet_n_640_640.onnx, or the OpenCV model zoo's "
                 "face_detection_yunet_2022mar / 2023mar (the layout is told from the network's "
                 "outputs) [default: $MASKDETECT_YUNET_MODEL, else the installed or source "
                 "tree's models/yunet_n_640_640.onnx]")
      ->type_name("PATH");
  app.add_option("--detector-score", d.score_threshold, "YuNet: minimum face score")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--detector-score-masked", d.masked_score_threshold,
                 "YuNet (and --haar-confirm): boxes scoring from this up to --detector-score "
                 "(--haar-confirm) are kept only when the "
                 "classifier labels them mask or mask_incorrect (YuNet scores faces behind a "
                 "mask low); set it to --detector-score's value to turn this off")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
}

}  // namespace maskdetect::cli
