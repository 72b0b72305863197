// report.html as the binary writes it: its data agree with report.json, thumbnails sit beside it,
// --no-html leaves neither. (tests/browser/report_page.test.js looks at the page in Chromium.)
#include <catch2/catch.hpp>
#include <filesystem>

#include "test_support.hpp"

namespace fs = std::filesystem;
using maskdetect::testing::fixture;
using maskdetect::testing::q;
using maskdetect::testing::read_report;
using maskdetect::testing::read_text;
using maskdetect::testing::run_maskdetect;
using maskdetect::testing::TempDir;
using nlohmann::json;

namespace {}  // namespace

TEST_CASE("report.html holds every file of report.json, with thumbnails beside it", "[e2e][html]") {
  TempDir out;
  const auto r = run_maskdetect("--input " + q(fixture("faces")) + " --input " +
                                q(fixture("video")) + " --out " + q(out.path()));
  INFO(r.err);
  REQUIRE(r.status == 0);
  const json rep = read_report(out.path());
  const json page = maskdetect::testing::read_html_report_data(out.path() / "report.html");
  CHECK(page.at("summary") == rep.at("summary"));
  REQUIRE(page.at("files").size() == rep.at("files").size());
  for (std::size_t i = 0; i < rep.at("files").size(); ++i) {
    const json& f = page.at("files")[i];
    INFO(f.at("path"));
    CHECK(f.at("path") == rep.at("files")[i].at("path"));
    REQUIRE(f.contains("thumb"));
    CHECK(fs::file_size(out.path() / f.at("thumb").get<std::string>()) < 40000);
    CHECK(f.contains("annotated"));
  }
  // The page needs nothing from the network: its only URL is the SVG namespace's name.
  std::string html = read_text(out.path() / "report.html");
  const std::string svg_ns = "http://www.w3.org/2000/svg";
  for (auto at = html.find(svg_ns); at != std::string::npos; at = html.find(svg_ns))
    html.erase(at, svg_ns.size());
  CHECK(html.find("://") == std::string::npos);
}

TEST_CASE("html: --no-html writes no page and no thumbnails", "[e2e][html]") {
  TempDir out;
  const auto r =
      run_maskdetect("--input " + q(fixture("faces")) + " --no-html --out " + q(out.path()));
  REQUIRE(r.status == 0);
  CHECK(fs::exists(out.path() / "report.json"));
  CHECK_FALSE(fs::exists(out.path() / "report.html"));
  CHECK_FALSE(fs::exists(out.path() / "report_files"));
}
