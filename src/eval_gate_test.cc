#include "maskdetect/eval_gate.hpp"

#include <catch2/catch.hpp>

using maskdetect::GtFace;
using nlohmann::json;

namespace {

// A model card with the fourth label the classifier is to get, spelled as its card will; no
// real model behind it: the gate is fed probabilities directly.
maskdetect::ModelCard four_label_card() {
  maskdetect::ModelCard c;
  c.labels = {"mask", "no_mask", "not_face", "mask_incorrect"};
  c.reject_labels = {"not_face"};
  c.face_thresholds = {{"haar", 0.9F}, {"yunet", 0.5F}};
  c.masked_label = "mask";
  c.unmasked_label = "no_mask";
  c.incorrect_label = "mask_incorrect";
  c.ground_truth = {{"with_mask", "mask"},
                    {"without_mask", "no_mask"},
                    {"with_incorrect_mask", "mask_incorrect"}};
  return c;
}

GtFace face(const char* cls) { return {{0, 0, 10, 10}, cls, cls}; }

}  // namespace

TEST_CASE("gate thresholds: the card's per detector, then the run's", "[eval]") {
  const auto t = maskdetect::gate_thresholds(four_label_card(), 0.7F);
  REQUIRE(t.size() == 3);
  CHECK(t[0].name == "haar");
  CHECK(t[0].face_threshold == Approx(0.9));
  CHECK(t[1].name == "yunet");
  CHECK(t[2].name == "run");
  CHECK(t[2].face_threshold == Approx(0.7));
  maskdetect::ModelCard one = four_label_card();
  one.face_thresholds = {{"", 0.8F}};
  CHECK(maskdetect::gate_thresholds(one, 0.8F)[0].name == "card");
}

TEST_CASE("the gate's keep rates and labels of true face crops", "[eval]") {
  const maskdetect::ModelCard card = four_label_card();
  const auto roles = maskdetect::LabelRoles::of(card);
  const auto thresholds = maskdetect::gate_thresholds(card, 0.9F);
  // Probabilities in the card's label order: mask, no_mask, not_face, mask_incorrect.
  const std::vector<GtFace> faces{face("with_mask"),           face("with_mask"),
                                  face("without_mask"),        face("with_incorrect_mask"),
                                  face("with_incorrect_mask"), face("other"),
                                  face("without_mask")};
  const std::vector<std::vector<float>> probs{
      {0.95F, 0.02F, 0.01F, 0.02F},  // masked, P(face) 0.99: kept at both
      {0.20F, 0.05F, 0.20F, 0.55F},  // P(face) 0.8: dropped at haar 0.9, kept (incorrect) at 0.5
      {0.02F, 0.93F, 0.05F, 0.00F},  // P(face) 0.95: kept, no_mask
      {0.10F, 0.02F, 0.03F, 0.85F},  // kept, mask_incorrect
      {0.60F, 0.00F, 0.30F, 0.10F},  // P(face) 0.7: dropped at haar, mask at yunet
      {0.40F, 0.50F, 0.05F, 0.05F},  // other: kept
      {},                            // box shrunk away: not classified
  };
  maskdetect::GateTally t = maskdetect::tally_gate(faces, probs, card, 0.5F, thresholds);
  t += maskdetect::tally_gate({}, {}, card, 0.5F, thresholds);  // an image without faces
  CHECK(t.empty == 1);
  const json g = maskdetect::gate_metrics(t, roles, thresholds);
  INFO(g.dump(2));
  CHECK(g["faces"]["all"] == 6);
  CHECK(g["faces"]["with_mask"] == 2);
  CHECK(g["faces"]["without_mask"] == 1);
  CHECK(g["empty_boxes"] == 1);
  CHECK(g["labels"] == json({"mask", "no_mask", "not_face", "mask_incorrect"}));

  const json& haar = g["at"]["haar"];
  CHECK(haar["face_threshold"].get<double>() == Approx(0.9));
  CHECK(haar["kept"]["all"] == 4);
  CHECK(haar["keep_rate"]["all"].get<double>() == Approx(4.0 / 6.0));
  CHECK(haar["keep_rate"]["with_mask"].get<double>() == Approx(0.5));
  CHECK(haar["keep_rate"]["without_mask"].get<double>() == Approx(1.0));
  CHECK(haar["keep_rate"]["with_incorrect_mask"].get<double>() == Approx(0.5));
  CHECK(haar["keep_rate"]["other"].get<double>() == Approx(1.0));
  CHECK(haar["confusion"]["with_mask"]["not_face"] == 1);
  CHECK(haar["confusion"]["with_incorrect_mask"]["mask_incorrect"] == 1);
  CHECK(haar["incorrect"]["label"] == "mask_incorrect");
  CHECK(haar["incorrect"]["recall"].get<double>() == Approx(0.5));
  CHECK(haar["incorrect"]["with_mask_labelled_incorrect"].get<double>() == Approx(0.0));
  // Right: the with_mask, without_mask and first incorrect crops; 5 with a right label.
  CHECK(haar["accuracy"].get<double>() == Approx(3.0 / 5.0));

  const json& yunet = g["at"]["yunet"];
  CHECK(yunet["keep_rate"]["all"].get<double>() == Approx(1.0));
  // Kept at 0.5, the second with_mask crop is given mask_incorrect (0.55 / 0.8 among faces).
  CHECK(yunet["confusion"]["with_mask"]["mask_incorrect"] == 1);
  CHECK(yunet["incorrect"]["with_mask_labelled_incorrect"].get<double>() == Approx(0.5));
  CHECK(yunet["confusion"]["with_incorrect_mask"]["mask"] == 1);
  CHECK(g["at"]["run"]["keep_rate"] == haar["keep_rate"]);

  // A card without an incorrect role reports no incorrect figures.
  maskdetect::ModelCard three = card;
  three.incorrect_label.clear();
  CHECK(maskdetect::gate_metrics(t, maskdetect::LabelRoles::of(three),
                                 thresholds)["at"]["haar"]["incorrect"]
            .is_null());
}
