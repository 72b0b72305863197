// report.json and JSONL as written, checked against the documented schemas.
#include <sys/stat.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <sstream>

#include "maskdetect/report.hpp"
#include "report_test_support.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using namespace maskdetect;
using maskdetect::testing::read_text;
using maskdetect::testing::split_lines;
using maskdetect::testing::TempDir;
using maskdetect::testing::write_file;
using nlohmann::json;

using namespace maskdetect::report_testing;

namespace {
// Counts flushes so the test can tell a line was pushed out, not just buffered.
class CountingBuf : public std::stringbuf {
 public:
  int syncs = 0;

 protected:
  int sync() override {
    ++syncs;
    return std::stringbuf::sync();
  }
};
}  // namespace

TEST_CASE("JSONL writes one flushed object per image, frame and finished video", "[report]") {
  CountingBuf buf;
  std::ostream out(&buf);
  JsonlWriter w(out);
  w.add(image("a.jpg", {face("mask", 0.9F)}));
  CHECK(buf.syncs == 1);
  w.add_frame("clip.mp4", frame(0, {}));
  w.add_frame("clip.mp4", frame(1, {face("no_mask", 0.8F)}));
  CHECK(buf.syncs == 3);
  w.add(video("clip.mp4"));
  w.add(broken("b.jpg", "bad"));
  CHECK(buf.syncs == 5);

  const auto lines = split_lines(buf.str());
  REQUIRE(lines.size() == 5);
  std::vector<std::string> kinds;
  for (const auto& l : lines) {
    CHECK(l.find('\n') == std::string::npos);
    kinds.push_back(json::parse(l).at("kind"));
  }
  CHECK(kinds == std::vector<std::string>{"image", "frame", "frame", "video", "unknown"});
  CHECK(json::parse(lines[0]) == to_json(image("a.jpg", {face("mask", 0.9F)})));
  CHECK(json::parse(lines[2]).at("frame") == 1);
  // Keys in reading order, not sorted: what a person tailing the stream looks for comes first.
  CHECK(lines[0].rfind("{\"path\":\"a.jpg\",\"kind\":\"image\",\"status\":\"ok\",", 0) == 0);
  CHECK(lines[1].rfind("{\"path\":\"clip.mp4\",\"kind\":\"frame\",\"frame\":0,", 0) == 0);
}

TEST_CASE("the human summary reads as one line of counts", "[report]") {
  RunSummary s;
  s.files = 12;
  s.ok = 11;
  s.failed = 1;
  s.faces = 18;
  s.by_label = {{"no_mask", 13}, {"mask", 5}, {"hat", 0}};
  s.frames = 275;
  s.seconds = 3.2;
  const std::string text = format_summary(s, {"no_mask", "mask"});
  CHECK(text ==
        "12 files (11 ok, 1 failed) · 18 faces + 0 people in videos: no_mask 13, mask 5, hat 0 · "
        "275 video frames "
        "· 3.20 s, 3.8 files/s, 85.9 frames/s\n");

  RunSummary one;
  one.files = one.ok = 1;
  one.seconds = 0;
  one.interrupted = true;
  const std::string short_text = format_summary(one, {"mask", "no_mask"});
  CHECK(short_text.rfind("1 file (1 ok, 0 failed) · 0 faces: mask 0, no_mask 0 · 0.00 s\n", 0) ==
        0);
  CHECK_THAT(short_text, Catch::Contains("interrupted"));
}

namespace {

const std::string kPython = MASKDETECT_PYTHON;

// Validates `document` against `schema` with Python's jsonschema (the same check the end-to-end
// test runs on real reports); returns the validator's complaint, empty when valid.
std::string schema_errors(const fs::path& document, const fs::path& schema) {
  using maskdetect::testing::shell_quote;
  const auto r = maskdetect::testing::run_command(
      shell_quote(kPython) +
      " -c 'import json,sys,jsonschema; jsonschema.validate(json.load(open(sys.argv[1])), "
      "json.load(open(sys.argv[2])))' " +
      shell_quote(document.string()) + " " + shell_quote(schema.string()));
  if (r.status == 0) return "";
  return r.err.empty() ? "validator exited with " + std::to_string(r.status) : r.err;
}

void require_jsonschema() {
  const auto r = maskdetect::testing::run_command(kPython + " -c 'import jsonschema'");
  INFO("needs " << kPython << " with jsonschema (Debian: python3-jsonschema)\n" << r.err);
  REQUIRE(r.status == 0);
}

json sample_report(const fs::path& dir) {
  JsonReport report(dir / "sample.json", run_info());
  RunSummary s;
  FileResult with_score = image("b.png", {face("no_mask", 0.6F)});
  with_score.faces[0].detector_score = 0.93F;
  with_score.warnings = {"truncated file"};
  FileResult failed_video = video("broken.mp4");
  failed_video.status = FileStatus::Error;
  failed_video.error = "video has no decodable frames";
  failed_video.frames = 0;
  failed_video.fps = 0;
  failed_video.output.clear();
  failed_video.frames_file.clear();
  for (const FileResult& r :
       {image("a.jpg", {face("mask", 0.9F)}), image("empty.jpg", {}), with_score, video("clip.mp4"),
        failed_video, broken("c.jpg", "not an image or video")}) {
    report.add(r);
    s.add(r);
  }
  s.seconds = 1.5;
  report.write(s);
  return json::parse(read_text(dir / "sample.json"));
}

}  // namespace

TEST_CASE("report.json validates against docs/report.schema.json", "[report][schema]") {
  require_jsonschema();
  TempDir dir;
  const fs::path schema = maskdetect::testing::source_dir() / "docs" / "report.schema.json";
  json rep = sample_report(dir.path());
  CHECK(schema_errors(dir.path() / "sample.json", schema) == "");

  // The schema is not vacuous: the mistakes a writer could make are caught.
  const auto rejects = [&](const std::string& what, json broken_report) {
    INFO(what);
    write_file(dir.path() / "broken.json", broken_report.dump());
    CHECK(schema_errors(dir.path() / "broken.json", schema) != "");
  };
  json r = rep;
  r["files"][1].erase("faces");
  rejects("ok image without faces", r);
  r = rep;
  r["files"][0]["error"] = "oops";
  rejects("error on an ok file", r);
  r = rep;
  r["files"][5].erase("error");
  rejects("failed file without error", r);
  r = rep;
  r["files"][3]["faces"] = json::array();
  rejects("faces on a video", r);
  r = rep;
  r["files"][0]["faces"][0]["confidence"] = 1.5;
  rejects("confidence above 1", r);
  r = rep;
  r["summary"].erase("by_label");
  rejects("summary without by_label", r);
  r = rep;
  r["schema"] = "maskdetect.report/1";
  rejects("another schema version", r);
  r = rep;
  r["files"][3].erase("tracks");
  rejects("a video without its tracks", r);
  r = rep;
  r["files"][3]["tracks"][0]["id"] = 0;
  rejects("a track id below 1", r);
  r = rep;
  r["files"][0]["people_by_label"] = json::object();
  rejects("people on an image", r);
  r = rep;
  r["summary"].erase("people");
  rejects("a summary without people", r);
}

TEST_CASE("JSONL lines validate against docs/jsonl.schema.json", "[report][schema]") {
  require_jsonschema();
  TempDir dir;
  const fs::path schema = maskdetect::testing::source_dir() / "docs" / "jsonl.schema.json";
  std::ostringstream out;
  JsonlWriter w(out);
  w.add(image("a.jpg", {face("mask", 0.9F)}));
  w.add(image("empty.jpg", {}));
  w.add_frame("clip.mp4", frame(0, {}));
  w.add_frame("clip.mp4", frame(1, {face("no_mask", 0.8F)}));
  w.add(video("clip.mp4"));
  w.add(broken("b.jpg", "bad"));
  int n = 0;
  for (const auto& line : split_lines(out.str())) {
    INFO(line);
    const fs::path p = dir.path() / ("line" + std::to_string(n++) + ".json");
    write_file(p, line);
    CHECK(schema_errors(p, schema) == "");
  }
  CHECK(n == 6);
}

TEST_CASE("the JSONL schema's definitions are the report schema's", "[report][schema]") {
  // jsonl.schema.json carries a copy so it validates on its own, without resolving a second
  // file; this keeps the copy from drifting.
  const fs::path docs = maskdetect::testing::source_dir() / "docs";
  const json report = json::parse(read_text(docs / "report.schema.json"));
  const json jsonl = json::parse(read_text(docs / "jsonl.schema.json"));
  CHECK(jsonl.at("$defs") == report.at("$defs"));
  CHECK(jsonl.at("$schema") == report.at("$schema"));
}

TEST_CASE("report.json entries wait on disk, not in memory, and the spool goes with the report",
          "[report]") {
  TempDir dir;
  {
    JsonReport report(dir.path() / "report.json", run_info());
    RunSummary s;
    for (int i = 0; i < 1000; ++i) {
      const FileResult r = image("p" + std::to_string(i) + ".jpg", {face("mask", 0.9F)});
      report.add(r);
      s.add(r);
    }
    std::uintmax_t spooled = 0;
    for (const auto& e : fs::directory_iterator(dir.path())) spooled += fs::file_size(e.path());
    CHECK(spooled > 1000 * 50);  // the entries are already on disk
    report.write(s);
    const json j = json::parse(read_text(dir.path() / "report.json"));
    REQUIRE(j.at("files").size() == 1000);
    CHECK(j["files"][999]["path"] == "p999.jpg");
  }
  CHECK(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()) == 1);
}
