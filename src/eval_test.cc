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
using nlohmann::json;

namespace {

// A VOC folder of one photo (obama, one without_mask face) with an annotation whose image is
// missing, and a crop set of that face, under one temporary folder.
struct TinySets {
  maskdetect::testing::TempDir tmp;
  fs::path voc, crops, model;
};

void make_tiny_sets(TinySets& t) {
  const fs::path photo = maskdetect::testing::fixture("faces/obama.jpg");
  t.model = maskdetect::testing::source_dir() / "models" / maskdetect::config::kDefaultModelFile;
  INFO("needs the shipped model " << t.model);
  REQUIRE(fs::exists(t.model));
  t.voc = t.tmp.path() / "voc";
  t.crops = t.tmp.path() / "crops";
  fs::create_directories(t.voc / "images");
  fs::copy_file(photo, t.voc / "images" / "obama.jpg");
  // <filename> names a file that is not there: the image is found by the annotation's stem.
  // The box is about where Haar puts the face (342, 95, 300 x 300).
  maskdetect::testing::write_file(
      t.voc / "annotations" / "obama.xml",
      "<annotation><filename>obama.png</filename><object><name>without_mask</name>"
      "<bndbox><xmin>350</xmin><ymin>105</ymin><xmax>640</xmax><ymax>400</ymax>"
      "</bndbox></object></annotation>");
  maskdetect::testing::write_file(t.voc / "annotations" / "no-image.xml", "<annotation/>");
  const cv::Mat img = cv::imread(photo.string());
  fs::create_directories(t.crops / "without_mask");
  REQUIRE(cv::imwrite((t.crops / "without_mask" / "face.jpg").string(), img({342, 95, 300, 300})));
}

}  // namespace

TEST_CASE("run_eval on a tiny VOC folder and crop set", "[eval][model]") {
  TinySets sets;
  make_tiny_sets(sets);
  const fs::path &voc = sets.voc, &crops = sets.crops, &model = sets.model;
  maskdetect::testing::TempDir& tmp = sets.tmp;

  maskdetect::EvalOptions o;
  o.datasets = {voc, crops};
  o.engine.model = model;
  o.threads = 2;
  o.limit = 5;
  o.json_out = tmp.path() / "eval.json";
  std::ostringstream out, log;
  const json r = maskdetect::run_eval(o, out, log);
  INFO(out.str() << log.str());
  CHECK(r["schema"] == "maskdetect.eval/3");
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
  CHECK(v["scale"] == 1.0);
  // The annotated face, cut and classified on its own, passes the gate at this run's threshold.
  CHECK(v["gate"]["faces"]["without_mask"] == 1);
  CHECK(v["gate"]["at"]["run"]["face_threshold"] == r["params"]["face_threshold"]);
  CHECK(v["gate"]["at"]["run"]["keep_rate"]["all"].get<double>() == Approx(1.0));
  CHECK(v["gate"]["at"]["run"]["confusion"]["without_mask"]["no_mask"] == 1);
  REQUIRE(r["over_scales"].size() == 1);
  CHECK(r["over_scales"][0]["no_mask_f1"]["mean"] == v["no_mask_found"]["f1"]);

  // The same parameter keys as report.json's "params", from the same resolved configuration,
  // and eval's own scale.
  json params = r["params"];
  CHECK(params["scale"] == json({1.0}));
  params.erase("scale");
  CHECK(params == maskdetect::EngineConfig::resolve(o.engine).params());
  CHECK_FALSE(r.contains("detector"));

  const json& c = r["datasets"][1];
  CHECK(c["kind"] == "crops");
  CHECK(c["images"] == 1);
  CHECK(c["per_class"]["without_mask"]["recall"].get<double>() == Approx(1.0));
  CHECK(out.str().find("no_mask face found") != std::string::npos);

  // Totals do not depend on the number of threads.
  o.threads = 1;
  o.json_out.clear();
  const json r1 = maskdetect::run_eval(o, out, log);
  CHECK(r1["threads"] == 1);
  for (size_t i = 0; i < 2; ++i) {
    json a = r["datasets"][i], b = r1["datasets"][i];
    a.erase("time_ms");
    b.erase("time_ms");
    CHECK(a == b);
  }

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

TEST_CASE("run_eval at several scales", "[eval][model]") {
  TinySets sets;
  make_tiny_sets(sets);
  maskdetect::EvalOptions o;
  o.datasets = {sets.voc, sets.crops};
  o.engine.model = sets.model;
  o.threads = 2;
  std::ostringstream out, log;
  // A VOC set gives an entry per scale; crop sets ignore --scale.
  o.scales = {1.0, 0.5};
  const json scaled = maskdetect::run_eval(o, out, log);
  INFO(out.str() << log.str());
  REQUIRE(scaled["datasets"].size() == 3);
  const json& half = scaled["datasets"][1];
  CHECK(half["scale"] == 0.5);
  CHECK(half["detection"]["iou_0.3"]["recall"]["without_mask"].get<double>() == Approx(1.0));
  CHECK(half["gate"]["faces"]["all"] == 1);
  CHECK(scaled["datasets"][2]["kind"] == "crops");
  CHECK_FALSE(scaled["datasets"][2].contains("scale"));
  CHECK(scaled["over_scales"][0]["scales"] == json({1.0, 0.5}));
  o.scales = {0.0};
  CHECK_THROWS_AS(maskdetect::run_eval(o, out, log), maskdetect::SetupError);
  o.scales = {0.5, 0.5};
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
    maskdetect::testing::write_file(
        voc / "annotations" / (std::string(stem) + ".xml"),
        "<annotation><object><name>without_mask</name><bndbox><xmin>100</xmin><ymin>100"
        "</ymin><xmax>200</xmax><ymax>200</ymax></bndbox></object></annotation>");
  // The reference pipeline's shape: path, faces with box and label. A not_face box is dropped
  // as the tool drops it; b.jpg is not in the report.
  maskdetect::testing::write_file(tmp.path() / "report.json",
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
  o.engine.model = model;
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

  // A report's boxes are the photo's; nothing was cut from photos, so there is no gate.
  CHECK(v["scale"] == 1.0);
  CHECK_FALSE(v.contains("gate"));
  o.scales = {1.0, 0.5};
  CHECK_THROWS_WITH(maskdetect::run_eval(o, out, log), Catch::Contains("--scale 1"));
  o.scales = {1.0};

  maskdetect::testing::write_file(tmp.path() / "bad.json", R"({"summary": {}})");
  o.from_report = tmp.path() / "bad.json";
  CHECK_THROWS_WITH(maskdetect::run_eval(o, out, log), Catch::Contains("files"));
}
