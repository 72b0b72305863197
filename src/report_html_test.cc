#include "maskdetect/report_html.hpp"

#include <catch2/catch.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

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

TEST_CASE("a thumbnail of a camera-sized photo is the photo averaged down", "[report-html]") {
  TempDir dir;
  ModelCard card;
  // A 4001x2999 photo whose left half is dark and right half light: the whole-factor first step
  // leaves its last column and rows out, and the thumbnail must still be the same picture.
  cv::Mat pixels(2999, 4001, CV_8UC3, cv::Scalar::all(40));
  pixels(cv::Rect(2000, 0, 2001, 2999)).setTo(cv::Scalar::all(200));
  const InputFile in{"big.png", "big.png", "big.png", ""};
  FileResult r = report_testing::image("big.png", {});
  r.width = pixels.cols;
  r.height = pixels.rows;
  ReportThumbnails(dir.path(), card).image(in, r, pixels);
  const cv::Mat thumb = cv::imread(ReportThumbnails::path(dir.path(), "big.png").string());
  REQUIRE(thumb.size() == cv::Size(kThumbnailSide, 192));
  cv::Mat expected;
  cv::resize(pixels, expected, thumb.size(), 0, 0, cv::INTER_AREA);
  cv::Mat diff;
  cv::absdiff(thumb, expected, diff);
  CHECK(cv::mean(diff)[0] < 3.0);  // JPEG at quality 75, and the seam's column
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
