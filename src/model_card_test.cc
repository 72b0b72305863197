#include "maskdetect/model_card.hpp"

#include <catch2/catch.hpp>
#include <cstdint>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>

#include "maskdetect/errors.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using maskdetect::testing::TempDir;
using nlohmann::json;

namespace {

json minimal_card() {
  return json{{"name", "m"},
              {"file", "m.onnx"},
              {"labels", {"mask", "no_mask"}},
              {"input",
               {{"width", 96},
                {"height", 80},
                {"channel_order", "BGR"},
                {"scale", 0.5},
                {"mean", {0.1, 0.2, 0.3}},
                {"std", {1, 2, 4}}}},
              {"output", {{"kind", "probabilities"}}},
              {"crop", {{"margin", 0.2}}}};
}

void write(const fs::path& p, const std::string& s) { std::ofstream(p, std::ios::binary) << s; }

}  // namespace

TEST_CASE("a model card gives preprocessing, labels and crop margin", "[model_card]") {
  const auto c = maskdetect::parse_model_card(minimal_card(), "/models/m.json");
  CHECK(c.onnx_path == fs::path("/models/m.onnx"));
  CHECK(c.labels == std::vector<std::string>{"mask", "no_mask"});
  CHECK(c.input_width == 96);
  CHECK(c.input_height == 80);
  CHECK_FALSE(c.rgb);
  CHECK(c.scale == 0.5);
  CHECK(c.mean[2] == 0.3);
  CHECK(c.std[1] == 2);
  CHECK_FALSE(c.outputs_logits);
  CHECK(c.crop_margin == Approx(0.2));
}

TEST_CASE("reject_labels name the labels that mean no face", "[model_card]") {
  json j = minimal_card();
  j["labels"] = {"mask", "no_mask", "not_face"};
  j["reject_labels"] = {"not_face"};
  j["crop_sets"] = {{"stored_side", 128}};
  const auto c = maskdetect::parse_model_card(j, "/m/card.json");
  CHECK(c.face_labels() == std::vector<std::string>{"mask", "no_mask"});
  CHECK(c.rejects("not_face"));
  CHECK_FALSE(c.rejects("mask"));
  CHECK(c.crop_set_side == 128);
  // Without the field nothing is rejected and crop sets are not squashed.
  const auto plain = maskdetect::parse_model_card(minimal_card(), "/m/card.json");
  CHECK(plain.reject_labels.empty());
  CHECK(plain.crop_set_side == 0);
  // A reject label must be a label, and two face labels must remain.
  j["reject_labels"] = {"background"};
  CHECK_THROWS_WITH(maskdetect::parse_model_card(j, "/m/card.json"), Catch::Contains("background"));
  j["reject_labels"] = {"no_mask", "not_face"};
  CHECK_THROWS_AS(maskdetect::parse_model_card(j, "/m/card.json"), maskdetect::SetupError);
}

TEST_CASE("roles.incorrect names the label for a mask worn wrong", "[model_card]") {
  json j = minimal_card();
  j["labels"] = {"mask", "no_mask", "not_face", "mask_incorrect"};
  j["reject_labels"] = {"not_face"};
  j["roles"] = {{"masked", "mask"},
                {"unmasked", "no_mask"},
                {"incorrect", "mask_incorrect"},
                {"ground_truth",
                 {{"with_mask", "mask"},
                  {"without_mask", "no_mask"},
                  {"with_incorrect_mask", "mask_incorrect"}}}};
  const auto c = maskdetect::parse_model_card(j, "/m/card.json");
  CHECK(c.incorrect_label == "mask_incorrect");
  CHECK(c.ground_truth.at("with_incorrect_mask") == "mask_incorrect");
  // Older cards have no such role.
  CHECK(maskdetect::parse_model_card(minimal_card(), "/m/card.json").incorrect_label.empty());
  j["roles"]["incorrect"] = "not_face";
  CHECK_THROWS_WITH(maskdetect::parse_model_card(j, "/m/card.json"),
                    Catch::Contains("roles.incorrect"));
}

TEST_CASE("face_threshold is one number or one per detector", "[model_card]") {
  json j = minimal_card();
  CHECK(maskdetect::parse_model_card(j, "/m/c.json").face_threshold("haar") == 0.5F);
  j["face_threshold"] = 0.9;
  const auto one = maskdetect::parse_model_card(j, "/m/c.json");
  CHECK(one.face_threshold("haar") == Approx(0.9));
  CHECK(one.face_threshold("yunet") == Approx(0.9));
  j["face_threshold"] = {{"haar", 0.97}, {"yunet", 0.75}};
  const auto per = maskdetect::parse_model_card(j, "/m/c.json");
  CHECK(per.face_threshold("haar") == Approx(0.97));
  CHECK(per.face_threshold("yunet") == Approx(0.75));
  // A detector the card does not name gets the permissive default, not another detector's value.
  CHECK(per.face_threshold("other") == 0.5F);
  j["face_threshold"] = {{"haar", 1.5}};
  CHECK_THROWS_WITH(maskdetect::parse_model_card(j, "/m/c.json"),
                    Catch::Contains("face_threshold.haar"));
  j["face_threshold"] = "high";
  CHECK_THROWS_AS(maskdetect::parse_model_card(j, "/m/c.json"), maskdetect::SetupError);
}

TEST_CASE("a malformed model card is a setup error naming the card", "[model_card]") {
  json j = minimal_card();
  j.erase("labels");
  CHECK_THROWS_WITH(maskdetect::parse_model_card(j, "/m/card.json"),
                    Catch::Contains("/m/card.json") && Catch::Contains("--model"));
  j = minimal_card();
  j["input"]["channel_order"] = "YUV";
  CHECK_THROWS_AS(maskdetect::parse_model_card(j, "/m/card.json"), maskdetect::SetupError);
  j = minimal_card();
  j["input"]["std"] = {1, 0, 1};
  CHECK_THROWS_AS(maskdetect::parse_model_card(j, "/m/card.json"), maskdetect::SetupError);
}

TEST_CASE("load_model_card checks the ONNX file against the card's sha256", "[model_card]") {
  TempDir dir;
  write(dir.path() / "m.onnx", "not really onnx");
  json j = minimal_card();
  j["sha256"] = maskdetect::sha256_file(dir.path() / "m.onnx");
  write(dir.path() / "m.json", j.dump());
  // Either the .onnx or the .json may be named.
  CHECK(maskdetect::load_model_card(dir.path() / "m.onnx").labels.size() == 2);
  CHECK(maskdetect::load_model_card(dir.path() / "m.json").input_width == 96);

  write(dir.path() / "m.onnx", "tampered");
  CHECK_THROWS_WITH(maskdetect::load_model_card(dir.path() / "m.onnx"),
                    Catch::Contains("corrupt") && Catch::Contains("m.onnx"));
}

TEST_CASE("a missing model or card is a setup error with the fix", "[model_card]") {
  TempDir dir;
  CHECK_THROWS_WITH(maskdetect::load_model_card(dir.path() / "absent.onnx"),
                    Catch::Contains("absent.onnx") && Catch::Contains("not found"));
  write(dir.path() / "lonely.onnx", "x");
  CHECK_THROWS_WITH(maskdetect::load_model_card(dir.path() / "lonely.onnx"),
                    Catch::Contains("lonely.json"));
  write(dir.path() / "bad.onnx", "x");
  write(dir.path() / "bad.json", "{ not json");
  CHECK_THROWS_WITH(maskdetect::load_model_card(dir.path() / "bad.onnx"),
                    Catch::Contains("not valid JSON"));
}

TEST_CASE("sha256_file matches a known digest", "[model_card]") {
  TempDir dir;
  write(dir.path() / "abc", "abc");
  CHECK(maskdetect::sha256_file(dir.path() / "abc") ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("model card sizes are whole numbers in range, else a SetupError naming the field",
          "[model_card]") {
  // Found by fuzz/model_card_fuzz: a width of 1e30 went through get<int>, which is undefined
  // behaviour for a double that no int can hold.
  json j = minimal_card();
  j["input"]["width"] = 112.0;  // a whole number written as a float is fine
  CHECK(maskdetect::parse_model_card(j, "/m/c.json").input_width == 112);
  for (const json& bad :
       {json(1e30), json(-1e30), json(96.5), json(0), json(-3), json(100000), json("96"),
        json(true), json(std::numeric_limits<std::uint64_t>::max()), json(nullptr)}) {
    INFO(bad.dump());
    j = minimal_card();
    j["input"]["width"] = bad;
    CHECK_THROWS_WITH(maskdetect::parse_model_card(j, "/m/c.json"),
                      Catch::Contains("input.width") || Catch::Contains("malformed"));
    CHECK_THROWS_AS(maskdetect::parse_model_card(j, "/m/c.json"), maskdetect::SetupError);
    j = minimal_card();
    j["input"]["height"] = bad;
    CHECK_THROWS_AS(maskdetect::parse_model_card(j, "/m/c.json"), maskdetect::SetupError);
    j = minimal_card();
    j["crop_sets"] = {{"stored_side", bad}};
    if (bad == json(0)) {
      CHECK(maskdetect::parse_model_card(j, "/m/c.json").crop_set_side == 0);
    } else {
      CHECK_THROWS_WITH(maskdetect::parse_model_card(j, "/m/c.json"),
                        Catch::Contains("crop_sets.stored_side"));
    }
  }
  j = minimal_card();
  j["input"]["width"] = 1e30;
  CHECK_THROWS_WITH(maskdetect::parse_model_card(j, "/m/c.json"),
                    Catch::Contains("input.width") && Catch::Contains("/m/c.json"));
}

TEST_CASE("model card numbers that feed arithmetic are range-checked", "[model_card]") {
  json j = minimal_card();
  j["crop"]["margin"] = 1e300;  // the crop side would overflow an int
  CHECK_THROWS_WITH(maskdetect::parse_model_card(j, "/m/c.json"), Catch::Contains("crop.margin"));
  j["crop"]["margin"] = -0.5;
  CHECK_THROWS_WITH(maskdetect::parse_model_card(j, "/m/c.json"), Catch::Contains("crop.margin"));
  j = minimal_card();
  j["face_threshold"] = 1e300;  // beyond float: checked before narrowing
  CHECK_THROWS_WITH(maskdetect::parse_model_card(j, "/m/c.json"),
                    Catch::Contains("face_threshold"));
  j = minimal_card();
  j["input"]["scale"] = 0;
  CHECK_THROWS_WITH(maskdetect::parse_model_card(j, "/m/c.json"), Catch::Contains("input.scale"));
  j = minimal_card();
  j["input"]["mean"] = {0.1, "x", 0.3};
  CHECK_THROWS_AS(maskdetect::parse_model_card(j, "/m/c.json"), maskdetect::SetupError);
  j = minimal_card();
  j["crop"] = 3;
  CHECK_THROWS_WITH(maskdetect::parse_model_card(j, "/m/c.json"), Catch::Contains("crop"));
}

TEST_CASE("incorrect_threshold is optional and a probability", "[model_card]") {
  json j = minimal_card();
  CHECK(maskdetect::parse_model_card(j, "/m/c.json").incorrect_threshold < 0);
  j["incorrect_threshold"] = 0.62;
  CHECK(maskdetect::parse_model_card(j, "/m/c.json").incorrect_threshold == Approx(0.62));
  j["incorrect_threshold"] = 1.5;
  CHECK_THROWS_WITH(maskdetect::parse_model_card(j, "/m/c.json"),
                    Catch::Contains("incorrect_threshold"));
}
