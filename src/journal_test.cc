#include "maskdetect/journal.hpp"

#include <catch2/catch.hpp>
#include <fstream>

#include "maskdetect/errors.hpp"
#include "maskdetect/out_dir.hpp"
#include "maskdetect/report.hpp"
#include "report_test_support.hpp"

namespace fs = std::filesystem;
using namespace maskdetect;
using maskdetect::testing::TempDir;
using nlohmann::json;

namespace rt = maskdetect::report_testing;

namespace {

// An image with a face whose box reaches past the edge, a warning and timings.
FileResult image(const std::string& path) {
  FileResult r = rt::image(path, {rt::face("no_mask", 0.97F), rt::face("mask", 0.9F)});
  r.faces[0].box.x = -3;
  r.warnings = {"truncated"};
  return r;
}

}  // namespace

TEST_CASE("a report entry read back writes the same entry", "[journal][pipelines]") {
  const FileResult video = rt::video("clip.mp4");
  FileResult skipped;
  skipped.path = "README";
  skipped.status = FileStatus::Skipped;
  skipped.error = "not an image or video";
  for (const FileResult& r : {image("a.jpg"), video, skipped, rt::broken("b.jpg", "empty file")}) {
    INFO(r.path);
    const json j = to_json(r);
    CHECK(to_json(file_from_json(j)) == j);
  }
}

TEST_CASE("the journal keeps finished files, a torn last line and replays are left out",
          "[journal][pipelines]") {
  TempDir t;
  const json header = {{"schema", kJournalSchema}, {"params", {{"threshold", 0.5}}}};
  {
    Journal j(t.path() / kJournalName, header, false);
    InputFile in;
    FileResult a = image("a.jpg"), resumed = image("old.jpg"), partial = image("cut.mp4");
    resumed.resumed = true;
    partial.partial = true;
    j.file(in, a);
    j.file(in, resumed);
    j.file(in, partial);
  }
  std::ofstream(t.path() / kJournalName, std::ios::app) << R"({"path":"b.jpg","kind":"im)";
  const EarlierRun run = read_earlier_run(t.path());
  CHECK(run.found);
  CHECK(run.header == header);
  REQUIRE(run.files.size() == 1);
  {
    // Resumed, the journal first ends the torn line, so the next entry stays whole.
    Journal more(t.path() / kJournalName, header, true);
    FileResult c = image("c.jpg");
    more.file(InputFile{}, c);
  }
  CHECK(read_earlier_run(t.path()).files.size() == 2);
  ResumeSet done(run.files);
  CHECK_FALSE(done.take("b.jpg").has_value());
  const auto a = done.take("a.jpg");
  REQUIRE(a.has_value());
  CHECK(a->resumed);
  CHECK(a->faces.size() == 2);
  CHECK_FALSE(done.take("a.jpg").has_value());  // once per time it was finished
}

TEST_CASE("resuming with other parameters or another model is refused", "[journal][pipelines]") {
  const json then = {{"model", {{"sha256", "ab"}}},
                     {"params", {{"threshold", 0.5}, {"threads", 2}}}};
  json now = then;
  now["params"]["threads"] = 8;  // results do not depend on it
  CHECK_NOTHROW(check_same_run(then, now));
  now["params"]["threshold"] = 0.6;
  CHECK_THROWS_WITH(check_same_run(then, now), Catch::Contains("threshold 0.5, this one 0.6"));
  now = then;
  now["model"]["sha256"] = "cd";
  CHECK_THROWS_AS(check_same_run(then, now), SetupError);
  CHECK_NOTHROW(check_same_run(json(), now));  // a report.json alone has nothing to compare
}
