// `maskdetect eval --scale` end to end: the real binary on a few photos of scenes-ilc2021.
#include <algorithm>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "test_support.hpp"

namespace fs = std::filesystem;
using maskdetect::testing::binary;
using maskdetect::testing::q;
using maskdetect::testing::read_text;
using maskdetect::testing::run_command;
using maskdetect::testing::shared_file;
using maskdetect::testing::TempDir;
using nlohmann::json;

TEST_CASE("eval --scale evaluates each scale and their mean", "[e2e][eval]") {
  const fs::path set = shared_file("datasets/scenes-ilc2021");
  TempDir out;
  const fs::path file = out.path() / "eval.json";
  // Comma lists and repeats add up, and a dataset after --scale is not taken for a scale.
  const auto r = run_command(q(binary()) + " eval --scale 1,0.5 " + q(set) +
                             " --split val --limit 6 --scale 0.333 --json " + q(file));
  INFO(r.err);
  REQUIRE(r.status == 0);
  const json e = json::parse(read_text(file));
  CHECK(e["schema"] == "maskdetect.eval/3");
  CHECK(e["params"]["scale"] == json({1.0, 0.5, 0.333}));
  REQUIRE(e["datasets"].size() == 3);
  const json& full = e["datasets"][0];
  REQUIRE(full["images"] == 6);
  std::vector<double> f1;
  for (std::size_t i = 0; i < 3; ++i) {
    const json& d = e["datasets"][i];
    INFO(d.dump());
    CHECK(d["scale"] == e["params"]["scale"][i]);
    CHECK(d["images"] == 6);
    // The same faces at every scale; only their size changes.
    CHECK(d["faces"] == full["faces"]);
    // Every true face is cut and classified unless shrunk to nothing.
    CHECK(d["gate"]["faces"]["all"].get<int>() + d["gate"]["empty_boxes"].get<int>() ==
          full["faces"]["all"].get<int>());
    const json& run = d["gate"]["at"]["run"];
    CHECK(run["face_threshold"] == e["params"]["face_threshold"]);
    CHECK(run["keep_rate"]["all"].get<double>() > 0.5);
    CHECK(d["gate"]["at"].contains("haar"));
    CHECK(d["gate"]["at"].contains("yunet"));
    f1.push_back(d["no_mask_found"]["f1"].get<double>());
  }
  // Smaller photos, smaller faces: fewer found (the point of the stand-in).
  CHECK(e["datasets"][2]["detection"]["iou_0.3"]["found"]["all"].get<int>() <
        full["detection"]["iou_0.3"]["found"]["all"].get<int>());
  REQUIRE(e["over_scales"].size() == 1);
  const json& s = e["over_scales"][0];
  CHECK(s["scales"] == e["params"]["scale"]);
  CHECK(s["no_mask_f1"]["mean"].get<double>() == Approx((f1[0] + f1[1] + f1[2]) / 3));
  double lowest = 1;
  for (const json& d : e["datasets"])
    lowest = std::min(lowest, d["gate"]["at"]["run"]["keep_rate"]["all"].get<double>());
  CHECK(s["gate_keep"]["run"]["min"].get<double>() == Approx(lowest));
  CHECK(r.out.find("mean over scales 1.000 0.500 0.333") != std::string::npos);

  // Out of (0, 1] is refused before anything runs.
  for (const char* bad : {"0", "1.5", "-0.5", "0.5,0.5"}) {
    const auto b = run_command(q(binary()) + " eval " + q(set) + " --limit 1 --scale " + bad);
    INFO(bad << ": " << b.err);
    CHECK(b.status == 2);
  }
}
