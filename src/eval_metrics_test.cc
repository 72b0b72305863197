#include "maskdetect/eval_metrics.hpp"

#include <catch2/catch.hpp>
#include <limits>
#include <string>
#include <vector>

using maskdetect::Face;
using maskdetect::GtFace;
using nlohmann::json;

namespace {

Face pred(cv::Rect box, const std::string& label) {
  return Face{box, std::nullopt, label, 1.F, {}};
}

const maskdetect::LabelRoles kRoles{{"mask", "no_mask", "not_face"},
                                    "no_mask",
                                    {{"with_mask", "mask"}, {"without_mask", "no_mask"}},
                                    ""};

}  // namespace

TEST_CASE("IoU", "[eval]") {
  using maskdetect::iou;
  CHECK(iou({0, 0, 10, 10}, {0, 0, 10, 10}) == Approx(1.0));
  CHECK(iou({0, 0, 10, 10}, {5, 0, 10, 10}) == Approx(1.0 / 3.0));
  CHECK(iou({0, 0, 10, 10}, {10, 0, 10, 10}) == 0.0);  // touching
  CHECK(iou({0, 0, 10, 10}, {2, 2, 5, 5}) == Approx(0.25));
  CHECK(iou({0, 0, 0, 10}, {0, 0, 10, 10}) == 0.0);
}

TEST_CASE("IoU of boxes with huge coordinates does not overflow", "[eval]") {
  using maskdetect::iou;
  constexpr int kMax = std::numeric_limits<int>::max();
  // x + width and width * height pass INT_MAX here; cv::Rect's own area() and operator& would
  // overflow (UBSan: signed integer overflow).
  CHECK(iou({kMax - 10, kMax - 10, kMax, kMax}, {kMax - 10, kMax - 10, kMax, kMax}) == Approx(1.0));
  CHECK(iou({0, 0, kMax, kMax}, {0, 0, kMax, kMax}) == Approx(1.0));
  CHECK(iou({0, 0, kMax, kMax}, {0, 0, kMax / 2, kMax}) == Approx(0.5).epsilon(1e-6));
  CHECK(iou({kMax - 1, 0, kMax, 10}, {0, 0, 10, 10}) == 0.0);
  CHECK(iou({-kMax, -kMax, kMax, kMax}, {0, 0, kMax, kMax}) == 0.0);  // touching at 0
  // x from INT_MIN to -1 against -5 to 4: 4 x 10 in common.
  CHECK(iou({std::numeric_limits<int>::min(), 0, kMax, 10}, {-5, 0, 10, 10}) ==
        Approx(40.0 / (static_cast<double>(kMax) * 10.0 + 100.0 - 40.0)));
  CHECK(iou({0, 0, -kMax, 10}, {0, 0, 10, 10}) == 0.0);  // negative size: empty
  CHECK(maskdetect::match_greedy({{kMax - 100, kMax - 100, kMax, kMax}},
                                 {{kMax - 100, kMax - 100, kMax, kMax}},
                                 0.5) == std::vector<int>{0});
  // A report's boxes are not checked: scoring them must be safe whatever they hold.
  const auto t =
      maskdetect::score_image({{{kMax - 5, kMax - 5, kMax, kMax}, "without_mask", "without_mask"}},
                              {pred({kMax - 5, kMax - 5, kMax, kMax}, "no_mask")}, kRoles);
  CHECK(t.no_mask_tp == 1);
}

TEST_CASE("scores follow the model card's label roles", "[eval]") {
  // A model whose labels are spelled otherwise: nothing may assume "mask" / "no_mask".
  const maskdetect::LabelRoles roles{{"covered", "bare", "junk"},
                                     "bare",
                                     {{"with_mask", "covered"}, {"without_mask", "bare"}},
                                     ""};
  const std::vector<GtFace> gt{{{0, 0, 100, 100}, "with_mask", "with_mask"},
                               {{200, 0, 100, 100}, "without_mask", "without_mask"},
                               {{400, 0, 100, 100}, "with_incorrect_mask", "with_incorrect_mask"}};
  const std::vector<Face> preds{pred({0, 0, 100, 100}, "covered"), pred({200, 0, 100, 100}, "bare"),
                                pred({400, 0, 100, 100}, "bare"),
                                pred({600, 0, 100, 100}, "no_mask")};  // not an alert here
  const maskdetect::VocTally t = maskdetect::score_image(gt, preds, roles);
  CHECK(t.no_mask_tp == 1);
  CHECK(t.no_mask_fp_with_mask == 0);
  CHECK(t.no_mask_fp_unmatched == 0);
  CHECK(t.no_mask_ignored == 1);
  CHECK(t.no_mask_fn == 0);
  const json m = maskdetect::voc_metrics(t, roles);
  CHECK(m["classification"]["accuracy"].get<double>() == Approx(1.0));
  CHECK(m["classification"]["labels"] == json({"covered", "bare", "junk"}));
  CHECK(m["classification"]["with_incorrect_mask_labelled"]["bare"].get<double>() == Approx(1.0));

  maskdetect::CropTally c;
  c.confusion["with_mask"] = {{"covered", 3}, {"bare", 1}};
  c.confusion["without_mask"] = {{"bare", 2}};
  const json cm = maskdetect::crop_metrics(c, roles);
  CHECK(cm["per_class"]["with_mask"]["label"] == "covered");
  CHECK(cm["per_class"]["without_mask"]["precision"].get<double>() == Approx(2.0 / 3.0));
  CHECK(cm["accuracy"].get<double>() == Approx(5.0 / 6.0));
}

TEST_CASE("label roles come from the model card", "[eval]") {
  maskdetect::ModelCard card;
  card.labels = {"a", "b", "c"};
  card.unmasked_label = "b";
  card.ground_truth = {{"with_mask", "a"}, {"without_mask", "b"}};
  const auto roles = maskdetect::LabelRoles::of(card);
  CHECK(roles.labels == card.labels);
  CHECK(roles.unmasked == "b");
  CHECK(roles.ground_truth == card.ground_truth);
}

TEST_CASE("matching is one-to-one and greedy by IoU", "[eval]") {
  using maskdetect::match_greedy;
  const std::vector<cv::Rect> gt{{0, 0, 100, 100}, {50, 0, 100, 100}};
  // p1 is the best pair (IoU 1 with g0), so p0 must settle for g1 although it ties on both.
  CHECK(match_greedy(gt, {{25, 0, 100, 100}, {0, 0, 100, 100}}, 0.5) == std::vector<int>{1, 0});
  CHECK(match_greedy(gt, {{10, 0, 100, 100}, {45, 0, 100, 100}}, 0.5) == std::vector<int>{0, 1});
  // Two predictions on one face: one matches, the other is a false positive.
  CHECK(match_greedy({{0, 0, 100, 100}}, {{0, 0, 100, 100}, {0, 0, 100, 100}}, 0.5) ==
        std::vector<int>{0, -1});
  // The threshold is inclusive: IoU exactly 0.5 matches at 0.5.
  CHECK(match_greedy({{0, 0, 100, 100}}, {{0, 0, 100, 50}}, 0.5) == std::vector<int>{0});
  CHECK(match_greedy({{0, 0, 100, 100}}, {{0, 0, 100, 49}}, 0.5) == std::vector<int>{-1});
  CHECK(match_greedy({}, {{0, 0, 1, 1}}, 0.5) == std::vector<int>{-1});
  CHECK(match_greedy({{0, 0, 1, 1}}, {}, 0.5).empty());
}

TEST_CASE("VOC metrics on synthetic predictions", "[eval]") {
  const std::vector<GtFace> gt{
      {{0, 0, 100, 100}, "with_mask", "with_mask"},                          // A
      {{200, 0, 100, 100}, "without_mask", "without_mask"},                  // B
      {{400, 0, 100, 100}, "without_mask", "without_mask"},                  // C
      {{600, 0, 100, 100}, "with_incorrect_mask", "mask_weared_incorrect"},  // D
      {{800, 0, 100, 100}, "with_mask", "with_mask"},                        // E: missed
  };
  const std::vector<Face> preds{
      pred({0, 0, 100, 100}, "no_mask"),     // on A: false alert on a masked face
      pred({210, 0, 100, 100}, "no_mask"),   // on B (IoU 0.82): true alert
      pred({450, 0, 100, 100}, "mask"),      // on C at IoU 1/3 only: found at 0.3, alert missed
      pred({600, 0, 100, 100}, "no_mask"),   // on D: ignored
      pred({1000, 500, 50, 50}, "no_mask"),  // no face there
  };
  maskdetect::VocTally t = maskdetect::score_image(gt, preds, kRoles);
  // Summing tallies is what the runner does per image; an empty image changes only the count.
  t += maskdetect::score_image({}, {}, kRoles);
  const json m = maskdetect::voc_metrics(t, kRoles);
  CHECK(m["images"] == 2);
  CHECK(m["faces"]["with_mask"] == 2);
  CHECK(m["faces"]["without_mask"] == 2);
  CHECK(m["faces"]["with_incorrect_mask"] == 1);
  CHECK(m["faces"]["all"] == 5);
  CHECK_FALSE(m["faces"].contains("other"));
  CHECK(m["predictions"] == 5);

  const json& d50 = m["detection"]["iou_0.5"];
  CHECK(d50["recall"]["with_mask"].get<double>() == Approx(0.5));
  CHECK(d50["recall"]["without_mask"].get<double>() == Approx(0.5));
  CHECK(d50["recall"]["with_incorrect_mask"].get<double>() == Approx(1.0));
  CHECK(d50["recall"]["all"].get<double>() == Approx(0.6));
  CHECK(d50["precision"].get<double>() == Approx(0.6));
  const json& d30 = m["detection"]["iou_0.3"];
  CHECK(d30["recall"]["without_mask"].get<double>() == Approx(1.0));
  CHECK(d30["recall"]["all"].get<double>() == Approx(0.8));
  CHECK(d30["precision"].get<double>() == Approx(0.8));

  const json& c = m["classification"];
  CHECK(c["confusion"]["with_mask"]["no_mask"] == 1);
  CHECK(c["confusion"]["with_mask"]["mask"] == 0);
  CHECK(c["confusion"]["without_mask"]["mask"] == 1);
  CHECK(c["confusion"]["without_mask"]["no_mask"] == 1);
  CHECK(c["confusion"]["with_incorrect_mask"]["no_mask"] == 1);
  CHECK(c["correct"] == 1);
  CHECK(c["total"] == 3);
  CHECK(c["accuracy"].get<double>() == Approx(1.0 / 3.0));
  CHECK(c["with_incorrect_mask_labelled"]["no_mask"].get<double>() == Approx(1.0));

  const json& nm = m["no_mask_found"];
  CHECK(nm["tp"] == 1);
  CHECK(nm["fp"] == 2);
  CHECK(nm["fp_on_with_mask"] == 1);
  CHECK(nm["fp_unmatched"] == 1);
  CHECK(nm["fn"] == 1);
  CHECK(nm["ignored"] == 1);
  CHECK(nm["precision"].get<double>() == Approx(1.0 / 3.0));
  CHECK(nm["recall"].get<double>() == Approx(0.5));
  CHECK(nm["f1"].get<double>() == Approx(0.4));

  // Nothing to count: ratios are null, not 0 or NaN.
  const json empty = maskdetect::voc_metrics({}, kRoles);
  CHECK(empty["detection"]["iou_0.5"]["recall"]["all"].is_null());
  CHECK(empty["no_mask_found"]["f1"].is_null());
}

TEST_CASE("crop-set metrics", "[eval]") {
  maskdetect::CropTally t;
  t.confusion["with_mask"] = {{"mask", 8}, {"no_mask", 2}};
  t.confusion["without_mask"] = {{"mask", 1}, {"no_mask", 9}};
  t.confusion["with_incorrect_mask"] = {{"mask", 3}, {"no_mask", 2}};
  const json m = maskdetect::crop_metrics(t, kRoles);
  CHECK(m["images"] == 25);
  CHECK(m["total"] == 20);
  CHECK(m["accuracy"].get<double>() == Approx(0.85));
  CHECK(m["per_class"]["with_mask"]["precision"].get<double>() == Approx(8.0 / 9.0));
  CHECK(m["per_class"]["with_mask"]["recall"].get<double>() == Approx(0.8));
  CHECK(m["per_class"]["without_mask"]["precision"].get<double>() == Approx(9.0 / 11.0));
  CHECK(m["per_class"]["without_mask"]["recall"].get<double>() == Approx(0.9));
  CHECK(m["confusion"]["with_incorrect_mask"]["mask"] == 3);
}

TEST_CASE("a fourth label for masks worn wrong is scored from the card's roles", "[eval]") {
  maskdetect::ModelCard card;
  card.labels = {"mask", "no_mask", "not_face", "mask_incorrect"};
  card.reject_labels = {"not_face"};
  card.unmasked_label = "no_mask";
  card.incorrect_label = "mask_incorrect";
  card.ground_truth = {{"with_mask", "mask"},
                       {"without_mask", "no_mask"},
                       {"with_incorrect_mask", "mask_incorrect"}};
  const auto roles = maskdetect::LabelRoles::of(card);
  CHECK(roles.incorrect == "mask_incorrect");
  const std::vector<GtFace> gt{
      {{0, 0, 100, 100}, "with_mask", "with_mask"},
      {{200, 0, 100, 100}, "with_mask", "with_mask"},
      {{400, 0, 100, 100}, "without_mask", "without_mask"},
      {{600, 0, 100, 100}, "with_incorrect_mask", "with_incorrect_mask"},
      {{800, 0, 100, 100}, "with_incorrect_mask", "mask_weared_incorrect"},
  };
  const std::vector<Face> preds{
      pred({0, 0, 100, 100}, "mask"),
      pred({200, 0, 100, 100}, "mask_incorrect"),  // a correctly worn mask flagged
      pred({400, 0, 100, 100}, "no_mask"),
      pred({600, 0, 100, 100}, "mask_incorrect"),  // right
      pred({800, 0, 100, 100}, "no_mask"),         // an alert on a mask worn wrong: ignored
  };
  const json m = maskdetect::voc_metrics(maskdetect::score_image(gt, preds, roles), roles);
  const json& c = m["classification"];
  CHECK(c["labels"] == json({"mask", "no_mask", "not_face", "mask_incorrect"}));
  CHECK(c["confusion"]["with_incorrect_mask"]["mask_incorrect"] == 1);
  // with_incorrect_mask faces now have a right answer: 3 of 5 labelled right.
  CHECK(c["total"] == 5);
  CHECK(c["correct"] == 3);
  CHECK(c["incorrect"]["label"] == "mask_incorrect");
  CHECK(c["incorrect"]["recall"].get<double>() == Approx(0.5));
  CHECK(c["incorrect"]["with_mask_labelled_incorrect"].get<double>() == Approx(0.5));
  // no_mask F1 stays about the unmasked role: the same as for a model without the fourth label.
  const json& nm = m["no_mask_found"];
  CHECK(nm["tp"] == 1);
  CHECK(nm["fp"] == 0);
  CHECK(nm["ignored"] == 1);
  CHECK(nm["f1"].get<double>() == Approx(1.0));

  // Without the mapping, masks worn wrong are left out of the label metrics, as before.
  card.incorrect_label.clear();
  card.ground_truth.erase("with_incorrect_mask");
  const auto three = maskdetect::LabelRoles::of(card);
  const json m3 = maskdetect::voc_metrics(maskdetect::score_image(gt, preds, three), three);
  CHECK(m3["classification"]["total"] == 3);
  CHECK(m3["classification"]["incorrect"].is_null());
  CHECK(m3["no_mask_found"] == nm);
}
