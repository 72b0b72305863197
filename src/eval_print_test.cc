#include "maskdetect/eval_print.hpp"

#include <catch2/catch.hpp>
#include <sstream>

#include "maskdetect/eval_gate.hpp"
#include "maskdetect/eval_metrics.hpp"
#include "maskdetect/eval_scale.hpp"

using nlohmann::json;

TEST_CASE("printed eval tables", "[eval]") {
  const maskdetect::LabelRoles roles{
      {"mask", "no_mask"}, "no_mask", {{"with_mask", "mask"}, {"without_mask", "no_mask"}}, ""};
  const std::vector<maskdetect::GtFace> gt{{{0, 0, 100, 100}, "without_mask", "without_mask"},
                                           {{200, 0, 100, 100}, "other", "face_shield"}};
  const std::vector<maskdetect::Face> preds{{{0, 0, 100, 100}, std::nullopt, "no_mask", 1.F, {}}};
  json voc = maskdetect::voc_metrics(maskdetect::score_image(gt, preds, roles), roles);
  voc.update(json{{"path", "set"}, {"kind", "voc"}, {"split", "test"}, {"failed", 2}});
  voc["time_ms"] = {{"detect_classify", {{"median", 12.34}, {"mean", nullptr}}},
                    {"with_decode", {{"median", 20.0}, {"mean", 21.0}}}};
  std::ostringstream out;
  maskdetect::print_dataset(out, voc);
  const std::string s = out.str();
  INFO(s);
  CHECK(s.rfind("set  (voc, split test, 1 images, 2 unreadable)\n", 0) == 0);
  // Known classes first, others after them, "all" last.
  const auto known = s.find("with_incorrect_mask"), other = s.find("other"), all = s.find("all");
  CHECK(known < other);
  CHECK(other < all);
  CHECK(s.find("precision 1.000  recall 1.000  F1 1.000  (TP 1, FP 0 = 0 on with_mask + 0 not a "
               "face, FN 0, ignored 0)") != std::string::npos);
  CHECK(s.find("detect+classify median 12.3 mean -;") != std::string::npos);

  maskdetect::CropTally t;
  t.confusion["with_mask"] = {{"mask", 3}, {"no_mask", 1}};
  json crops = maskdetect::crop_metrics(t, roles);
  crops.update(json{{"path", "crops"}, {"kind", "crops"}, {"split", "all"}, {"failed", 0}});
  crops["time_ms"] = {{"classify", {{"median", 1.0}, {"mean", 1.5}}},
                      {"with_decode", {{"median", 2.0}, {"mean", 2.5}}}};
  out.str("");
  maskdetect::print_dataset(out, crops);
  INFO(out.str());
  CHECK(out.str().rfind("crops  (crops, split all, 4 crops)\n", 0) == 0);
  CHECK(out.str().find("accuracy 0.750 on 4 with_mask/without_mask crops") != std::string::npos);
  CHECK(out.str().find("classify mean 1.50") != std::string::npos);
}

TEST_CASE("printed gate, fourth label and summary over scales", "[eval]") {
  maskdetect::ModelCard card;
  card.labels = {"mask", "no_mask", "not_face", "mask_incorrect"};
  card.reject_labels = {"not_face"};
  card.face_thresholds = {{"haar", 0.97F}};
  card.incorrect_label = "mask_incorrect";
  card.ground_truth = {{"with_mask", "mask"},
                       {"without_mask", "no_mask"},
                       {"with_incorrect_mask", "mask_incorrect"}};
  const auto roles = maskdetect::LabelRoles::of(card);
  const std::vector<maskdetect::GtFace> gt{
      {{0, 0, 100, 100}, "with_incorrect_mask", "with_incorrect_mask"}};
  json voc = maskdetect::voc_metrics(
      maskdetect::score_image(gt, {{{0, 0, 100, 100}, std::nullopt, "mask_incorrect", 1.F, {}}},
                              roles),
      roles);
  voc.update(json{{"path", "set"}, {"kind", "voc"}, {"split", "val"}, {"failed", 0}});
  voc["scale"] = 0.5;
  voc["time_ms"] = {{"detect_classify", {{"median", 1.0}, {"mean", 1.0}}},
                    {"with_decode", {{"median", 2.0}, {"mean", 2.0}}}};
  const auto thresholds = maskdetect::gate_thresholds(card, 0.97F);
  voc["gate"] = maskdetect::gate_metrics(
      maskdetect::tally_gate(gt, {{0.01F, 0.01F, 0.02F, 0.96F}}, card, 0.5F, thresholds), roles,
      thresholds);
  std::ostringstream out;
  maskdetect::print_dataset(out, voc);
  const std::string s = out.str();
  INFO(s);
  CHECK(s.rfind("set  (voc, split val, 1 images, scale 0.500)\n", 0) == 0);
  CHECK(s.find("mask_incorrect: recall 1.000 on with_incorrect_mask, - of with_mask faces") !=
        std::string::npos);
  CHECK(s.find("not_face gate on true face crops (1 faces)") != std::string::npos);
  // P(face) 0.98 passes 0.97: kept at both thresholds.
  CHECK(s.find("haar 0.97") != std::string::npos);
  CHECK(s.find("run 0.97") != std::string::npos);
  // The long label gets a column wide enough to stay apart from the one before it.
  CHECK(s.find(" not_face  mask_incorrect\n") != std::string::npos);

  json a = voc, b = voc;
  b["scale"] = 0.25;
  b["no_mask_found"]["f1"] = 0.5;
  a["no_mask_found"]["f1"] = 0.7;
  out.str("");
  maskdetect::print_over_scales(out, maskdetect::summarise_scales({a, b}));
  INFO(out.str());
  CHECK(out.str().find("no_mask F1: mean 0.600 (0.500: 0.700, 0.250: 0.500)") != std::string::npos);
  CHECK(out.str().find("haar 1.000 / 1.000") != std::string::npos);
}
