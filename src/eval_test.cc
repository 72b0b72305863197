#include "maskdetect/eval.hpp"

#include <catch2/catch.hpp>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <sstream>

#include "maskdetect/config.hpp"
#include "maskdetect/errors.hpp"
#include "maskdetect/model_card.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using maskdetect::Face;
using maskdetect::GtFace;
using nlohmann::json;

namespace {

Face pred(cv::Rect box, const std::string& label) {
  return Face{box, std::nullopt, label, 1.F, {}};
}

void write_text(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

}  // namespace

TEST_CASE("VOC annotations: objects, label spellings, robustness", "[eval]") {
  const std::string xml = R"(<?xml version='1.0' encoding='utf-8'?>
<!-- written by a labelling tool -->
<annotation verified="yes">
  <folder>images</folder>
  <filename> a.png </filename>
  <object>
    <name>with_mask</name>
    <bndbox><xmin>10</xmin><ymin>20</ymin><xmax>50</xmax><ymax>70</ymax></bndbox>
  </object>
  <object id="2">
    <name>mask_weared_incorrect</name>
    <difficult>0</difficult>
    <bndbox>
      <xmin>12.7</xmin> <ymin>5</ymin> <xmax>40.2</xmax> <ymax>30.9</ymax>
    </bndbox>
  </object>
  <object><name>with_incorrect_mask</name>
    <bndbox><xmin>1</xmin><ymin>1</ymin><xmax>9</xmax><ymax>9</ymax></bndbox></object>
  <object>
    <name>without&#95;mask</name>
    <part><name>head</name><bndbox><xmin>0</xmin><ymin>0</ymin><xmax>1</xmax><ymax>1</ymax></bndbox></part>
    <bndbox><xmin>100</xmin><ymin>100</ymin><xmax>140</xmax><ymax>150</ymax></bndbox>
  </object>
  <object><name>face_shield</name><pose/>
    <bndbox><xmin>0</xmin><ymin>0</ymin><xmax>10</xmax><ymax>10</ymax></bndbox></object>
</annotation>
)";
  const auto a = maskdetect::parse_voc(xml);
  CHECK(a.filename == "a.png");
  REQUIRE(a.faces.size() == 5);
  CHECK(a.faces[0].cls == "with_mask");
  CHECK(a.faces[0].box == cv::Rect(10, 20, 40, 50));
  CHECK(a.faces[1].cls == "with_incorrect_mask");
  CHECK(a.faces[1].label == "mask_weared_incorrect");
  CHECK(a.faces[1].box == cv::Rect(12, 5, 28, 25));  // int(float(x)), as training reads them
  CHECK(a.faces[2].cls == "with_incorrect_mask");
  CHECK(a.faces[3].cls == "without_mask");  // the <part>'s box is not the face's
  CHECK(a.faces[3].box == cv::Rect(100, 100, 40, 50));
  CHECK(a.faces[4].cls == "other");
  CHECK(a.faces[4].label == "face_shield");

  // Written to disk and read back the way the evaluation reads it.
  maskdetect::testing::TempDir tmp;
  write_text(tmp.path() / "a.xml", xml);
  CHECK(maskdetect::parse_voc(maskdetect::testing::read_text(tmp.path() / "a.xml")).faces.size() ==
        5);

  CHECK_THROWS(maskdetect::parse_voc("<annotation><object><name>x</name></object>"));
  CHECK_THROWS(maskdetect::parse_voc("<annotation><object></annotation>"));
  CHECK_THROWS(maskdetect::parse_voc("<annotation><object><name>x</name></object></annotation>"));
  CHECK_THROWS(maskdetect::parse_voc(
      "<annotation><object><bndbox><xmin>a</xmin><ymin>0</ymin><xmax>1</xmax><ymax>1</ymax>"
      "</bndbox></object></annotation>"));
  CHECK_THROWS(maskdetect::parse_voc(std::string(1000, '<')));
  CHECK(maskdetect::parse_voc("<annotation/>").faces.empty());
}

TEST_CASE("IoU", "[eval]") {
  using maskdetect::iou;
  CHECK(iou({0, 0, 10, 10}, {0, 0, 10, 10}) == Approx(1.0));
  CHECK(iou({0, 0, 10, 10}, {5, 0, 10, 10}) == Approx(1.0 / 3.0));
  CHECK(iou({0, 0, 10, 10}, {10, 0, 10, 10}) == 0.0);  // touching
  CHECK(iou({0, 0, 10, 10}, {2, 2, 5, 5}) == Approx(0.25));
  CHECK(iou({0, 0, 0, 10}, {0, 0, 10, 10}) == 0.0);
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

TEST_CASE("split rule equals training/common.py split_of", "[eval]") {
  using maskdetect::split_of;
  // Expected values from /usr/bin/python3 -c "from common import split_of; ...".
  CHECK(split_of("b") == "test");
  CHECK(split_of("e") == "val");
  CHECK(split_of("a") == "train");
  CHECK(split_of("") == "train");
  CHECK(split_of("00804832afba35dab9e48bb18ac911e6") == "test");
  CHECK(split_of("01d0117fb990e00ac58348ba621975aa") == "val");
  CHECK(split_of("0003a6c46855ffe528311a672d95a0c7") == "train");
  CHECK(split_of("3b16d8b8e77c1c852c6605adbe725fba5f40f25a5addd9815e3ff62e367fca66") == "train");
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
  maskdetect::VocTally t = maskdetect::score_image(gt, preds);
  // Summing tallies is what the runner does per image; an empty image changes only the count.
  t += maskdetect::score_image({}, {});
  const json m = maskdetect::voc_metrics(t, {"mask", "no_mask"});
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
  const json empty = maskdetect::voc_metrics({}, {"mask", "no_mask"});
  CHECK(empty["detection"]["iou_0.5"]["recall"]["all"].is_null());
  CHECK(empty["no_mask_found"]["f1"].is_null());
}

TEST_CASE("crop-set metrics", "[eval]") {
  maskdetect::CropTally t;
  t.confusion["with_mask"] = {{"mask", 8}, {"no_mask", 2}};
  t.confusion["without_mask"] = {{"mask", 1}, {"no_mask", 9}};
  t.confusion["with_incorrect_mask"] = {{"mask", 3}, {"no_mask", 2}};
  const json m = maskdetect::crop_metrics(t, {"mask", "no_mask"});
  CHECK(m["images"] == 25);
  CHECK(m["total"] == 20);
  CHECK(m["accuracy"].get<double>() == Approx(0.85));
  CHECK(m["per_class"]["with_mask"]["precision"].get<double>() == Approx(8.0 / 9.0));
  CHECK(m["per_class"]["with_mask"]["recall"].get<double>() == Approx(0.8));
  CHECK(m["per_class"]["without_mask"]["precision"].get<double>() == Approx(9.0 / 11.0));
  CHECK(m["per_class"]["without_mask"]["recall"].get<double>() == Approx(0.9));
  CHECK(m["confusion"]["with_incorrect_mask"]["mask"] == 3);
}

TEST_CASE("run_eval on a tiny VOC folder and crop set", "[eval][model]") {
  const fs::path photo = maskdetect::testing::fixture("faces/obama.jpg");
  const fs::path model =
      maskdetect::testing::source_dir() / "models" / maskdetect::config::kDefaultModelFile;
  INFO("needs the shipped model " << model);
  REQUIRE(fs::exists(model));

  maskdetect::testing::TempDir tmp;
  const fs::path voc = tmp.path() / "voc", crops = tmp.path() / "crops";
  fs::create_directories(voc / "images");
  fs::copy_file(photo, voc / "images" / "obama.jpg");
  // <filename> names a file that is not there: the image is found by the annotation's stem.
  // The box is about where Haar puts the face (342, 95, 300 x 300).
  write_text(voc / "annotations" / "obama.xml",
             "<annotation><filename>obama.png</filename><object><name>without_mask</name>"
             "<bndbox><xmin>350</xmin><ymin>105</ymin><xmax>640</xmax><ymax>400</ymax>"
             "</bndbox></object></annotation>");
  write_text(voc / "annotations" / "no-image.xml", "<annotation/>");
  const cv::Mat img = cv::imread(photo.string());
  fs::create_directories(crops / "without_mask");
  REQUIRE(cv::imwrite((crops / "without_mask" / "face.jpg").string(), img({342, 95, 300, 300})));

  maskdetect::EvalOptions o;
  o.datasets = {voc, crops};
  o.model = model;
  o.threads = 2;
  o.limit = 5;
  o.json_out = tmp.path() / "eval.json";
  std::ostringstream out, log;
  const json r = maskdetect::run_eval(o, out, log);
  INFO(out.str() << log.str());
  CHECK(r["schema"] == "maskdetect.eval/1");
  CHECK(json::parse(maskdetect::testing::read_text(o.json_out)) == r);
  REQUIRE(r["datasets"].size() == 2);

  const json& v = r["datasets"][0];
  CHECK(v["kind"] == "voc");
  CHECK(v["images"] == 1);
  CHECK(v["missing_images"] == 1);
  CHECK(v["detection"]["iou_0.5"]["recall"]["all"].get<double>() == Approx(1.0));
  CHECK(v["detection"]["iou_0.3"]["recall"]["without_mask"].get<double>() == Approx(1.0));
  CHECK(v["no_mask_found"]["tp"] == 1);
  CHECK(v["no_mask_found"]["fn"] == 0);
  CHECK(v["time_ms"]["with_decode"]["median"].get<double>() > 0);

  const json& c = r["datasets"][1];
  CHECK(c["kind"] == "crops");
  CHECK(c["images"] == 1);
  CHECK(c["per_class"]["without_mask"]["recall"].get<double>() == Approx(1.0));
  CHECK(out.str().find("no_mask face found") != std::string::npos);

  // The split filters before anything is read: obama's stem falls in "train".
  o.datasets = {voc};
  o.split = "test";
  o.json_out.clear();
  CHECK(maskdetect::run_eval(o, out, log)["datasets"][0]["images"] == 0);

  o.split = "dev";
  CHECK_THROWS_AS(maskdetect::run_eval(o, out, log), maskdetect::SetupError);
  o.split = "all";
  o.datasets = {tmp.path()};  // neither layout
  CHECK_THROWS_AS(maskdetect::run_eval(o, out, log), maskdetect::SetupError);
}

TEST_CASE("eval scores the faces of an existing report by file name", "[eval][model]") {
  const fs::path model =
      maskdetect::testing::source_dir() / "models" / maskdetect::config::kDefaultModelFile;
  maskdetect::testing::TempDir tmp;
  const fs::path voc = tmp.path() / "voc";
  fs::create_directories(voc / "images");
  fs::copy_file(maskdetect::testing::fixture("faces/obama.jpg"), voc / "images" / "a.jpg");
  fs::copy_file(maskdetect::testing::fixture("faces/biden.jpg"), voc / "images" / "b.jpg");
  for (const char* stem : {"a", "b"})
    write_text(voc / "annotations" / (std::string(stem) + ".xml"),
               "<annotation><object><name>without_mask</name><bndbox><xmin>100</xmin><ymin>100"
               "</ymin><xmax>200</xmax><ymax>200</ymax></bndbox></object></annotation>");
  // The reference pipeline's shape: path, faces with box and label. A not_face box is dropped
  // as the tool drops it; b.jpg is not in the report.
  write_text(tmp.path() / "report.json",
             R"({"files": [{"path": "/somewhere/else/a.jpg", "faces": [
                   {"box": {"x": 105, "y": 100, "w": 100, "h": 100}, "label": "no_mask"},
                   {"box": {"x": 400, "y": 400, "w": 50, "h": 50}, "label": "not_face"},
                   {"box": {"x": 500, "y": 10, "w": 50, "h": 50}, "label": "mask"}]}]})");
  const auto faces = maskdetect::faces_from_report(tmp.path() / "report.json");
  REQUIRE(faces.count("a.jpg") == 1);
  CHECK(faces.at("a.jpg").size() == 3);
  CHECK(faces.at("a.jpg")[0].box == cv::Rect(105, 100, 100, 100));

  maskdetect::EvalOptions o;
  o.datasets = {voc};
  o.model = model;
  o.from_report = tmp.path() / "report.json";
  std::ostringstream out, log;
  const json r = maskdetect::run_eval(o, out, log);
  INFO(out.str() << log.str());
  const json& v = r["datasets"][0];
  CHECK(v["images"] == 1);
  CHECK(v["failed"] == 1);
  CHECK(v["no_mask_found"]["tp"] == 1);
  const bool rejects = !maskdetect::load_model_card(model).reject_labels.empty();
  CHECK(v["predictions"] == (rejects ? 2 : 3));
  CHECK(r["from_report"] == o.from_report.string());

  write_text(tmp.path() / "bad.json", R"({"summary": {}})");
  o.from_report = tmp.path() / "bad.json";
  CHECK_THROWS_WITH(maskdetect::run_eval(o, out, log), Catch::Contains("files"));
}
