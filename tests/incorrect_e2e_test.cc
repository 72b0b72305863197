// End-to-end: the shipped model's fourth label, a mask worn below the nose, from the photo to
// the annotated image, the reports and the --fail-on gate.
#include <algorithm>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include "test_support.hpp"

namespace fs = std::filesystem;
using maskdetect::testing::q;
using maskdetect::testing::read_text;
using maskdetect::testing::run_maskdetect;
using maskdetect::testing::shared_file;
using maskdetect::testing::TempDir;
using nlohmann::json;

namespace {

// Two validation photos of scenes-ilc2021 whose one annotated face is with_incorrect_mask: a
// surgical mask under the nose, and a cloth mask under the nose (checked by eye).
const char* const kBelowNose[] = {"047cc1603dfcaa70e851d5b4314df591.jpg",
                                  "0536a28d3f760212c738aab0a4340850.jpg"};

std::string inputs() {
  std::string out;
  for (const char* name : kBelowNose)
    out += " --input " + q(shared_file(std::string("datasets/scenes-ilc2021/images/") + name));
  return out;
}

struct EdgeColour {
  double red_over_blue = -255;  // mean R - B down the column
  double green = 0;             // mean G there
};

// A box's left edge is a thin line that JPEG smears: of the columns x-1..x+1, over the middle
// half of the box's height, the one with the most red over blue.
EdgeColour left_edge_colour(const cv::Mat& img, const json& box) {
  const int x = box.at("x"), y = box.at("y"), h = box.at("h");
  EdgeColour best;
  for (int cx = std::max(0, x - 1); cx <= x + 1 && cx < img.cols; ++cx) {
    double rb = 0, g = 0;
    int n = 0;
    for (int cy = y + h / 4; cy < y + 3 * h / 4 && cy < img.rows; ++cy, ++n) {
      const auto px = img.at<cv::Vec3b>(cy, cx);
      rb += px[2] - px[0];
      g += px[1];
    }
    if (n > 0 && rb / n > best.red_over_blue) best = {rb / n, g / n};
  }
  return best;
}

}  // namespace

TEST_CASE("a mask below the nose is mask_incorrect in the image, report.json and report.csv",
          "[e2e][incorrect]") {
  for (const std::string detector : {"haar", "yunet"}) {
    INFO(detector);
    TempDir out;
    const auto r = run_maskdetect(inputs() + " --out " + q(out.path()) + " --detector " + detector);
    INFO(r.err);
    REQUIRE(r.status == 0);
    const json rep = maskdetect::testing::read_report(out.path());
    CHECK(rep.at("summary").at("by_label").at("mask_incorrect") == 2);
    CHECK(rep.at("summary").at("by_label").at("no_mask") == 0);
    for (const auto& f : rep.at("files")) {
      REQUIRE(f.at("faces").size() == 1);
      const json& face = f.at("faces").at(0);
      CHECK(face.at("label") == "mask_incorrect");
      CHECK(face.at("confidence").get<double>() > 0.9);
      const cv::Mat img = cv::imread(f.at("output").get<std::string>());
      REQUIRE(!img.empty());
      // Orange is BGR (0, 110, 255): red well above blue, green in between.
      const EdgeColour edge = left_edge_colour(img, face.at("box"));
      CHECK(edge.red_over_blue > 90);
      CHECK(edge.green > 70);
      CHECK(edge.green < 170);
    }
    CHECK_THAT(read_text(out.path() / "report.csv"), Catch::Contains(",mask_incorrect,0.9"));
  }
}

TEST_CASE("a mask below the nose fails --fail-on no_mask unless --allow-incorrect",
          "[e2e][incorrect]") {
  TempDir strict, lenient;
  const auto gate = run_maskdetect(inputs() + " --out " + q(strict.path()) +
                                   " --detector yunet --fail-on no_mask --quiet");
  CHECK(gate.status == 3);
  CHECK_THAT(gate.err, Catch::Contains("047cc1603dfcaa70e851d5b4314df591.jpg") &&
                           Catch::Contains("0536a28d3f760212c738aab0a4340850.jpg"));
  const auto allowed = run_maskdetect(inputs() + " --out " + q(lenient.path()) +
                                      " --detector yunet --fail-on no_mask --allow-incorrect");
  INFO(allowed.err);
  CHECK(allowed.status == 0);
}
