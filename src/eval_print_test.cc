#include "maskdetect/eval_print.hpp"

#include <catch2/catch.hpp>
#include <sstream>

#include "maskdetect/eval_metrics.hpp"

using nlohmann::json;

TEST_CASE("printed eval tables", "[eval]") {
  const maskdetect::LabelRoles roles{
      {"mask", "no_mask"}, "no_mask", {{"with_mask", "mask"}, {"without_mask", "no_mask"}}};
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
