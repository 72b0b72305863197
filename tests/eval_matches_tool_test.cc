// `maskdetect eval` measures what `maskdetect --input` does: both go through analyze_file, and
// this checks it on photos large enough that the reduced JPEG decode and the detection resize
// are both in play.
#include <algorithm>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "test_support.hpp"

namespace fs = std::filesystem;
using maskdetect::testing::binary;
using maskdetect::testing::read_text;
using maskdetect::testing::run_command;
using maskdetect::testing::shared_file;
using maskdetect::testing::shell_quote;
using maskdetect::testing::TempDir;
using nlohmann::json;

namespace {

std::string q(const fs::path& p) { return shell_quote(p.string()); }

// Every count eval reports for a VOC set, without its timings and paths.
json counts(const json& eval) {
  json d = eval.at("datasets").at(0);
  d.erase("time_ms");
  d.erase("path");
  // The gate classifies the annotated faces themselves, which needs the photos: eval's own runs
  // measure it, a report cannot.
  d.erase("gate");
  return d;
}

}  // namespace

TEST_CASE("eval scores exactly the faces maskdetect --no-annotate reports", "[e2e][eval]") {
  const fs::path set = shared_file("datasets/highres-ilc2021");
  // A VOC folder of the first eight 2,000-4,000 px photos (decoded at 1/2 to 1/4 by libjpeg).
  TempDir voc;
  fs::create_directories(voc.path() / "images");
  fs::create_directories(voc.path() / "annotations");
  std::vector<fs::path> xmls;
  for (const auto& e : fs::directory_iterator(set / "annotations")) xmls.push_back(e.path());
  std::sort(xmls.begin(), xmls.end());
  xmls.resize(std::min<std::size_t>(xmls.size(), 8));
  for (const auto& xml : xmls) {
    fs::copy_file(xml, voc.path() / "annotations" / xml.filename());
    const fs::path image = set / "images" / (xml.stem().string() + ".jpg");
    REQUIRE(fs::exists(image));
    fs::copy_file(image, voc.path() / "images" / image.filename());
  }

  TempDir out;
  const auto eval = run_command(q(binary()) + " eval " + q(voc.path()) + " --json " +
                                q(out.path() / "eval.json"));
  INFO(eval.err);
  REQUIRE(eval.status == 0);
  const auto tool = run_command(q(binary()) + " --no-progress --no-annotate --input " +
                                q(voc.path() / "images") + " --out " + q(out.path() / "run"));
  INFO(tool.err);
  REQUIRE(tool.status == 0);
  const auto scored = run_command(q(binary()) + " eval " + q(voc.path()) + " --from-report " +
                                  q(out.path() / "run" / "report.json") + " --json " +
                                  q(out.path() / "scored.json"));
  INFO(scored.err);
  REQUIRE(scored.status == 0);

  const json direct = json::parse(read_text(out.path() / "eval.json"));
  const json from_tool = json::parse(read_text(out.path() / "scored.json"));
  const json a = counts(direct), b = counts(from_tool);
  INFO("eval: " << a.dump() << "\ntool: " << b.dump());
  REQUIRE(a.at("predictions").get<int>() > 0);
  CHECK(a == b);
  // The parameters eval ran with are the ones the tool reports, key for key.
  const json report = json::parse(read_text(out.path() / "run" / "report.json"));
  for (const auto& [key, value] : direct.at("params").items()) {
    INFO(key);
    if (key == "scale") continue;  // eval's own: how much the photos were shrunk (here not)
    CHECK(report.at("params").at(key) == value);
  }
}
