#include "maskdetect/report.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <sstream>

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

TEST_CASE("a face carries its box, label, confidence and every score", "[report]") {
  Face f = face("mask", 0.98F);
  json j = to_json(f);
  CHECK(j.at("box") == json{{"x", 10}, {"y", 20}, {"w", 64}, {"h", 64}});
  CHECK(j.at("detector_score").is_null());
  CHECK(j.at("label") == "mask");
  // Written as the float's shortest decimal, not 0.98000001907...
  CHECK(j.at("confidence").get<double>() == 0.98);
  CHECK(static_cast<float>(j.at("scores").at("no_mask").get<double>()) == 1 - 0.98F);
  CHECK(j.dump().find("0.98,") != std::string::npos);

  f.detector_score = 0.875F;
  CHECK(to_json(f).at("detector_score").get<double>() == 0.875);
}

TEST_CASE("confidences keep the float's precision", "[report]") {
  const float p = 0.123456789F;
  const json j = to_json(face("no_mask", p));
  CHECK(static_cast<float>(j.at("confidence").get<double>()) == p);
}

TEST_CASE("an image entry has faces and no video fields", "[report]") {
  json j = to_json(image("photos/a.jpg", {face("mask", 0.98F)}));
  CHECK(j.at("path") == "photos/a.jpg");
  CHECK(j.at("kind") == "image");
  CHECK(j.at("status") == "ok");
  CHECK(j.at("format") == "jpeg");
  CHECK(j.at("width") == 1280);
  CHECK(j.at("height") == 720);
  CHECK(j.at("output") == "results/photos/a.jpg");
  CHECK(j.at("warnings") == json::array());
  CHECK(j.at("faces").size() == 1);
  CHECK(j.at("timing_ms").at("decode").get<double>() == Approx(3.14));
  CHECK(j.at("timing_ms").at("write").get<double>() == Approx(4.0));
  for (const char* absent :
       {"error", "fps", "frames", "frames_with_faces", "faces_by_label", "frames_file"}) {
    INFO(absent);
    CHECK_FALSE(j.contains(absent));
  }

  // No face is an explicit empty list, not a missing field.
  j = to_json(image("photos/empty.jpg", {}));
  CHECK(j.at("faces") == json::array());
}

TEST_CASE("a video entry has totals and no per-face list", "[report]") {
  const json j = to_json(video("clip.mp4"));
  CHECK(j.at("kind") == "video");
  CHECK(j.at("fps").get<double>() == Approx(29.97));
  CHECK(j.at("frames") == 275);
  CHECK(j.at("frames_with_faces") == 200);
  CHECK(j.at("faces_by_label") == json{{"mask", 0}, {"no_mask", 310}});
  CHECK(j.at("frames_file") == "results/clip.mp4.frames.jsonl");
  CHECK_FALSE(j.contains("faces"));
  CHECK_FALSE(j.contains("error"));
}

TEST_CASE("an error entry says why and omits what was never measured", "[report]") {
  FileResult bad = broken("photos/b.jpg", "not an image or video (unrecognised content)");
  bad.warnings = {"first", "second"};
  const json j = to_json(bad);
  CHECK(j.at("kind") == "unknown");
  CHECK(j.at("status") == "error");
  CHECK(j.at("error") == "not an image or video (unrecognised content)");
  CHECK(j.at("warnings") == json{"first", "second"});
  for (const char* absent :
       {"faces", "format", "width", "height", "output", "timing_ms", "fps", "frames"}) {
    INFO(absent);
    CHECK_FALSE(j.contains(absent));
  }
}

TEST_CASE("a frame line names its video, index and time", "[report]") {
  const json j = to_json("clip.mp4", frame(12, {face("no_mask", 0.9F)}));
  CHECK(j.at("path") == "clip.mp4");
  CHECK(j.at("kind") == "frame");
  CHECK(j.at("frame") == 12);
  CHECK(j.at("time_ms").get<double>() == Approx(400.392));
  CHECK(j.at("faces").size() == 1);
  CHECK(to_json("clip.mp4", frame(0, {})).at("faces") == json::array());
}

TEST_CASE("summary JSON has every counter", "[report]") {
  RunSummary s;
  s.add(image("a.jpg", {face("mask", 0.9F)}));
  s.add(broken("b.jpg", "bad"));
  s.seconds = 1.23456;
  const json j = to_json(s);
  CHECK(j.at("files") == 2);
  CHECK(j.at("ok") == 1);
  CHECK(j.at("failed") == 1);
  CHECK(j.at("faces") == 1);
  CHECK(j.at("frames") == 0);
  CHECK(j.at("by_label") == json{{"mask", 1}});
  CHECK(j.at("seconds").get<double>() == Approx(1.235));
  CHECK(j.at("interrupted") == false);
}

TEST_CASE("report.json holds the run, every file and a summary with every label", "[report]") {
  TempDir dir;
  const fs::path path = dir.path() / "report.json";
  JsonReport report(path, run_info());
  RunSummary s;
  for (const FileResult& r :
       {image("a.jpg", {face("mask", 0.9F)}), video("clip.mp4"), broken("b.jpg", "bad")}) {
    report.add(r);
    s.add(r);
  }
  // A run where no face was found: RunSummary has learned no label at all.
  RunSummary only_errors;
  only_errors.add(broken("b.jpg", "bad"));

  report.write(s);
  json j = json::parse(read_text(path));
  CHECK(j.at("schema") == "maskdetect.report/2");
  CHECK(j.at("tool") == json{{"name", "maskdetect"}, {"version", "0.1.0"}});
  CHECK(j.at("started_at") == "2026-11-25T22:00:00Z");
  CHECK(j.at("model").at("labels") == json{"mask", "no_mask"});
  CHECK(j.at("model").at("sha256").get<std::string>().size() == 64);
  CHECK(j.at("params").at("detector") == "haar");
  CHECK(j.at("files").size() == 3);
  // Videos count people: the clip's one unmasked person, not its 310 faces over frames.
  CHECK(j.at("summary").at("by_label") == json{{"mask", 1}, {"no_mask", 1}});
  CHECK(j.at("summary").at("faces") == 1);
  CHECK(j.at("summary").at("people") == 1);
  // One line per file entry, so grep and diff line up with files.
  const auto lines = split_lines(read_text(path));
  CHECK(lines.front() == "{");
  CHECK(lines[1] == "  \"schema\": \"maskdetect.report/2\",");
  const auto files_at = std::find(lines.begin(), lines.end(), "  \"files\": [");
  REQUIRE(files_at != lines.end());
  CHECK(files_at[1].rfind("    {\"path\":\"a.jpg\",", 0) == 0);
  CHECK(files_at[2].rfind("    {\"path\":\"clip.mp4\",", 0) == 0);
  CHECK(files_at[3].rfind("    {\"path\":\"b.jpg\",", 0) == 0);
  CHECK(files_at[4] == "  ],");

  // Rewriting replaces the file; labels without a face still read 0.
  report.write(only_errors);
  j = json::parse(read_text(path));
  CHECK(j.at("summary").at("by_label") == json{{"mask", 0}, {"no_mask", 0}});
  // Besides report.json only the report's own hidden spool of entries is there.
  CHECK(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()) == 2);

  JsonReport empty(dir.path() / "empty.json", run_info());
  empty.write(RunSummary{});
  CHECK(json::parse(read_text(dir.path() / "empty.json")).at("files") == json::array());
}

TEST_CASE("names that are not UTF-8 do not break report.json", "[report]") {
  TempDir dir;
  JsonReport report(dir.path() / "report.json", run_info());
  report.add(image("photos/caf\xe9.jpg", {}));  // Latin-1 e-acute, as on old file systems
  RunSummary s;
  REQUIRE_NOTHROW(report.write(s));
  const json j = json::parse(read_text(dir.path() / "report.json"));
  CHECK(j.at("files")[0].at("path") == "photos/caf\xef\xbf\xbd.jpg");  // U+FFFD
}

TEST_CASE("CSV fields are quoted as RFC 4180 says", "[report]") {
  CHECK(CsvReport::escape("plain.jpg") == "plain.jpg");
  CHECK(CsvReport::escape("") == "");
  CHECK(CsvReport::escape("a,b.jpg") == "\"a,b.jpg\"");
  CHECK(CsvReport::escape("say \"hi\".jpg") == "\"say \"\"hi\"\".jpg\"");
  CHECK(CsvReport::escape("line\nbreak") == "\"line\nbreak\"");
  CHECK(CsvReport::escape("cr\rhere") == "\"cr\rhere\"");
  CHECK(CsvReport::escape("semi;colon and space") == "semi;colon and space");
}

TEST_CASE("CSV has a row per face and one for every file without one", "[report]") {
  TempDir dir;
  const fs::path path = dir.path() / "report.csv";
  {
    CsvReport csv(path);
    csv.add(image("photos/two,faces.jpg", {face("mask", 0.98F), face("no_mask", 0.75F)}));
    FileResult none = image("photos/none.jpg", {});
    none.warnings = {"truncated file", "second"};
    csv.add(none);
    csv.add(broken("photos/b.jpg", "not an image, \"really\""));
    FileResult v = video("clip.mp4");
    csv.add_frame(v, frame(0, {}));
    csv.add_frame(v, frame(3, {face("no_mask", 0.5F), face("mask", 0.25F)}));
    csv.add(v);
    FileResult quiet = video("quiet.mp4");
    quiet.faces_by_label = {};
    quiet.tracks = {};
    csv.add(quiet);
    // Not there until finished: a reader never sees half a report.
    CHECK_FALSE(fs::exists(path));
    csv.finish();
  }
  const auto rows = split_lines(read_text(path));
  REQUIRE(rows.size() == 10);
  CHECK(rows[0] == CsvReport::header());
  CHECK(rows[0] ==
        "path,kind,status,frame,time_ms,end_ms,face,track,x,y,w,h,label,confidence,scores,error,"
        "warnings");
  CHECK(
      rows[1] ==
      "\"photos/two,faces.jpg\",image,ok,,,,0,,10,20,64,64,mask,0.98,mask=0.98;no_mask=0.01999998,"
      ",");
  CHECK(rows[2].rfind("\"photos/two,faces.jpg\",image,ok,,,,1,,10,20,64,64,no_mask,0.75,", 0) == 0);
  CHECK(rows[3] == "photos/none.jpg,image,ok,,,,,,,,,,,,,,truncated file; second");
  CHECK(rows[4] == "photos/b.jpg,unknown,error,,,,,,,,,,,,,\"not an image, \"\"really\"\"\",");
  CHECK(rows[5].rfind("clip.mp4,frame,ok,3,100.098,,0,,10,20,64,64,no_mask,0.5,", 0) == 0);
  CHECK(rows[6].rfind("clip.mp4,frame,ok,3,100.098,,1,,10,20,64,64,mask,0.25,", 0) == 0);
  CHECK(rows[7] == "clip.mp4,video,ok,,,,,,,,,,,,,,");
  // The video's person: first and last time on screen, the track's label and mean scores.
  CHECK(rows[8] == "clip.mp4,person,ok,,200,6900,,1,,,,,no_mask,0.97,mask=0.03;no_mask=0.97,,");
  CHECK(rows[9] == "quiet.mp4,video,ok,,,,,,,,,,,,,,");
  std::vector<fs::path> entries(fs::directory_iterator(dir.path()), fs::directory_iterator{});
  CHECK(entries.size() == 1);
}

TEST_CASE("an unfinished CSV is finished by its destructor", "[report]") {
  TempDir dir;
  {
    CsvReport csv(dir.path() / "report.csv");
    csv.add(broken("x", "bad"));
  }
  CHECK(split_lines(read_text(dir.path() / "report.csv")).size() == 2);
  std::vector<fs::path> entries(fs::directory_iterator(dir.path()), fs::directory_iterator{});
  CHECK(entries.size() == 1);
}

TEST_CASE("CSV that cannot be created fails with the folder named", "[report]") {
  TempDir dir;
  const fs::path path = dir.path() / "missing" / "report.csv";
  CHECK_THROWS_WITH(CsvReport(path), Catch::Contains((dir.path() / "missing").string()));
}

TEST_CASE("CSV text cells a spreadsheet would evaluate get a leading quote",
          "[report][pipelines]") {
  CHECK(CsvReport::neutralise("=HYPERLINK(\"x\")") == "'=HYPERLINK(\"x\")");
  CHECK(CsvReport::neutralise("@SUM(1+1).jpg") == "'@SUM(1+1).jpg");
  CHECK(CsvReport::neutralise("+1.jpg") == "'+1.jpg");
  CHECK(CsvReport::neutralise("-2.jpg") == "'-2.jpg");
  CHECK(CsvReport::neutralise("\tx") == "'\tx");
  CHECK(CsvReport::neutralise("\rx") == "'\rx");
  CHECK(CsvReport::neutralise("photos/a=b.jpg") == "photos/a=b.jpg");
  CHECK(CsvReport::neutralise("") == "");
}
