#include "maskdetect/report_html.hpp"

#include <catch2/catch.hpp>
#include <opencv2/imgcodecs.hpp>

#include "report_test_support.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using namespace maskdetect;
using maskdetect::testing::read_text;
using maskdetect::testing::TempDir;
using nlohmann::json;

namespace {

RunInfo info() {
  RunInfo i;
  i.tool_version = "0.1.0";
  i.face_labels = {"mask", "no_mask"};
  i.started_at = "2026-11-27T00:00:00Z";
  return i;
}

}  // namespace

TEST_CASE("links are relative to the report and cannot read as a URL scheme", "[report-html]") {
  CHECK(relative_url("/out/a/b.jpg", "/out") == "./a/b.jpg");
  CHECK(relative_url("/data/x.jpg", "/out/run") == "../../data/x.jpg");
  CHECK(relative_url("/out/javascript:alert(1).jpg", "/out") == "./javascript%3Aalert%281%29.jpg");
  CHECK(relative_url("/out/a #?%.jpg", "/out") == "./a%20%23%3F%25.jpg");
}

TEST_CASE("report.html carries every file, the summary and links", "[report-html]") {
  TempDir dir;
  ModelCard card;
  const fs::path photo = dir.path() / "in" / "<b>&'\".jpg";
  fs::create_directories(photo.parent_path());
  fs::create_directories(dir.path() / "out");
  cv::imwrite(photo.string(), cv::Mat(120, 160, CV_8UC3, cv::Scalar(90, 120, 150)));
  {
    ReportThumbnails thumbs(dir.path() / "out", card);
    HtmlReport report(dir.path() / "out", card, info());
    InputFile in{photo, photo.string(), fs::path("in") / photo.filename(), ""};
    FileResult r = report_testing::image(photo.string(), {report_testing::face("no_mask", 0.9F)});
    r.width = 160;
    r.height = 120;
    r.output = (dir.path() / "out" / "in" / "x.jpg").string();
    cv::Mat pixels(120, 160, CV_8UC3, cv::Scalar(90, 120, 150));
    thumbs.image(in, r, pixels);
    report.file(in, r);
    FileResult bad;
    bad.path = "broken.jpg";
    bad.status = FileStatus::Error;
    bad.error = "empty file (0 bytes)";
    report.file(InputFile{"broken.jpg", "broken.jpg", "broken.jpg", ""}, bad);
    RunSummary s;
    s.add(r);
    s.add(bad);
    report.finish(s);
  }
  const json data = maskdetect::testing::read_html_report_data(dir.path() / "out" / "report.html");
  REQUIRE(data.at("files").size() == 2);
  const json& f = data.at("files")[0];
  CHECK(f.at("path") == photo.string());
  CHECK(f.at("faces")[0].at("label") == "no_mask");
  CHECK_FALSE(f.at("faces")[0].contains("scores"));
  CHECK(f.at("annotated") == "./in/x.jpg");
  CHECK(f.at("source") == "../in/%3Cb%3E%26%27%22.jpg");
  CHECK(f.at("thumb") == "./report_files/in/%3Cb%3E%26%27%22.jpg.jpg");
  const cv::Mat thumb = cv::imread(
      ReportThumbnails::path(dir.path() / "out", fs::path("in") / photo.filename()).string());
  CHECK(std::max(thumb.cols, thumb.rows) <= kThumbnailSide);
  CHECK(data.at("files")[1].at("error") == "empty file (0 bytes)");
  CHECK(data.at("summary").at("files") == 2);
  CHECK(data.at("summary").at("by_label").at("mask") == 0);
  CHECK(data.at("roles").at("unmasked") == "no_mask");
}
