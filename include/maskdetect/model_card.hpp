// The model card (models/<name>.json) is the one place that says how to feed the classifier:
// input size, channel order, normalisation, labels in output order and the crop margin.
#pragma once

#include <array>
#include <filesystem>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

namespace maskdetect {

struct ModelCard {
  std::filesystem::path card_path, onnx_path;
  std::string name, sha256;
  std::vector<std::string> labels;  // in output order
  // Labels that say "this box is not a face" (the detector's false positives): such boxes are
  // dropped rather than reported.
  std::vector<std::string> reject_labels;
  // A box is kept as a face when the probabilities of the other labels add up to at least this
  // operating point, chosen when the model was measured. It depends on the detector: YuNet's boxes
  // are faces far more often than the permissive Haar cascade's, so they need less proof. The card
  // gives one number for all detectors or one per detector name.
  std::map<std::string, float> face_thresholds;
  // What the labels mean, so no other code spells them. "masked" is the label --threshold applies
  // to (P(masked) >= threshold) and is drawn green; "unmasked" is the one --fail-on no_mask counts,
  // eval's "no_mask face found" scores, and is drawn red. ground_truth maps an annotated class
  // (with_mask, without_mask) to the label that is right for it.
  std::string masked_label = "mask", unmasked_label = "no_mask";
  // "incorrect" (optional; empty when the card has none): a mask worn below the nose or on the
  // chin. Drawn orange, and --fail-on no_mask counts it with the unmasked label unless the user
  // allows it (--allow-incorrect): for a compliance check a mask under the nose is no mask.
  std::string incorrect_label;
  // P(incorrect) among the face labels from which a face is called incorrect, before the masked
  // label is considered (card: "incorrect_threshold", chosen on validation so that few correctly
  // worn masks are called incorrect); negative when the card has none: the label then competes
  // like any other.
  float incorrect_threshold = -1.F;
  std::map<std::string, std::string> ground_truth;
  int input_width = 0, input_height = 0;
  bool rgb = true;  // the network expects RGB (OpenCV decodes BGR)
  double scale = 1.0 / 255.0;
  std::array<double, 3> mean{0, 0, 0}, std{1, 1, 1};  // per channel, after scaling, network order
  bool outputs_logits = true;                         // else probabilities
  double crop_margin = 0;  // fraction of the box side added on every side
  // Face-crop datasets were squashed to this square side before training saw them (0: never);
  // eval repeats it so crop-set figures are comparable with the card's.
  int crop_set_side = 0;

  // The labels a reported face can have: labels without reject_labels.
  std::vector<std::string> face_labels() const;
  bool rejects(const std::string& label) const;
  // The operating point for boxes from `detector` ("haar", "yunet"); 0.5 when the card has none.
  float face_threshold(const std::string& detector) const;
};

// Parses a card; `card_path` is used to resolve the ONNX file next to it. Throws SetupError.
ModelCard parse_model_card(const nlohmann::json& card, const std::filesystem::path& card_path);

// Accepts the ONNX file or its card; the card is the .json beside the .onnx. Checks that the
// ONNX file exists and matches the card's sha256 (a corrupt or swapped model is a setup error,
// not wrong answers). Throws SetupError.
ModelCard load_model_card(const std::filesystem::path& model_or_card);

// Where the model is looked for when --model is not given: $MASKDETECT_MODEL, then the install
// tree relative to the executable (<prefix>/share/maskdetect/models), then the source tree.
std::filesystem::path find_default_model(const std::filesystem::path& executable);
// The same search for any file shipped in models/: $<env_var>, the install tree, the source tree.
// Returns the first candidate when none exists, so the error can name where it was expected.
std::filesystem::path find_model_file(const std::string& file, const char* env_var,
                                      const std::filesystem::path& executable);

// Throws SetupError (ending in `fix`) when the file's SHA-256 is not `expected` (hex): a corrupt
// or swapped model is a setup error, not wrong answers.
void check_sha256(const std::filesystem::path& file, const std::string& expected,
                  const std::string& fix);

// Hex SHA-256 of a file's contents. Throws std::runtime_error when it cannot be read.
std::string sha256_file(const std::filesystem::path& path);

}  // namespace maskdetect
