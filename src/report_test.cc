#include "maskdetect/report.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <sstream>

#include "test_support.hpp"

namespace fs = std::filesystem;
using namespace maskdetect;
using maskdetect::testing::read_text;
using maskdetect::testing::split_lines;
using maskdetect::testing::TempDir;
using maskdetect::testing::write_file;
using nlohmann::json;

namespace {

Face face(const std::string& label, float confidence) {
  Face f = maskdetect::testing::make_face({10, 20, 64, 64}, label, confidence);
  f.scores = {{"mask", label == "mask" ? confidence : 1 - confidence},
              {"no_mask", label == "mask" ? 1 - confidence : confidence}};
  return f;
}

FileResult image(const std::string& path, std::vector<Face> faces) {
  FileResult r;
  r.path = path;
  r.kind = FileKind::Image;
  r.format = "jpeg";
  r.width = 1280;
  r.height = 720;
  r.output = "results/" + path;
  r.faces = std::move(faces);
  r.timing_ms = {3.14159, 12, 2.2, 4.004};
  return r;
}

FileResult video(const std::string& path) {
  FileResult r;
  r.path = path;
  r.kind = FileKind::Video;
  r.format = "mp4";
  r.width = 640;
  r.height = 360;
  r.fps = 29.97;
  r.frames = 275;
  r.frames_with_faces = 200;
  r.faces_by_label = {{"mask", 0}, {"no_mask", 310}};
  r.output = "results/" + path;
  r.frames_file = "results/" + path + ".frames.jsonl";
  return r;
}

FileResult broken(const std::string& path, const std::string& error) {
  FileResult r;
  r.path = path;
  r.kind = FileKind::Unknown;
  r.status = FileStatus::Error;
  r.error = error;
  return r;
}

FrameRecord frame(std::int64_t index, std::vector<Face> faces) {
  FrameRecord f;
  f.index = index;
  f.time_ms = index * 33.366;
  f.faces = std::move(faces);
  return f;
}

RunInfo run_info() {
  RunInfo info;
  info.tool_version = "0.1.0";
  info.model_path = "models/mask_mobilenetv2.onnx";
  info.model_sha256 = std::string(64, 'a');
  info.labels = {"mask", "no_mask"};
  info.params = {{"detector", "haar"}, {"scale_factor", 1.1}, {"threshold", 0.5}};
  info.started_at = "2026-11-25T22:00:00Z";
  return info;
}

}  // namespace

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
  CHECK(j.at("schema") == "maskdetect.report/1");
  CHECK(j.at("tool") == json{{"name", "maskdetect"}, {"version", "0.1.0"}});
  CHECK(j.at("started_at") == "2026-11-25T22:00:00Z");
  CHECK(j.at("model").at("labels") == json{"mask", "no_mask"});
  CHECK(j.at("model").at("sha256").get<std::string>().size() == 64);
  CHECK(j.at("params").at("detector") == "haar");
  CHECK(j.at("files").size() == 3);
  CHECK(j.at("summary").at("by_label") == json{{"mask", 1}, {"no_mask", 310}});
  // One line per file entry, so grep and diff line up with files.
  const auto lines = split_lines(read_text(path));
  CHECK(lines.front() == "{");
  CHECK(lines[1] == "  \"schema\": \"maskdetect.report/1\",");
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

TEST_CASE("write_file_atomically leaves the content and no temporary", "[report]") {
  TempDir dir;
  const fs::path path = dir.path() / "out.txt";
  write_file_atomically(path, "first");
  write_file_atomically(path, "second\n");
  CHECK(read_text(path) == "second\n");
  std::vector<fs::path> entries(fs::directory_iterator(dir.path()), fs::directory_iterator{});
  CHECK(entries.size() == 1);
}

TEST_CASE("write_file_atomically names the file when it cannot write", "[report]") {
  TempDir dir;
  const fs::path path = dir.path() / "no-such-dir" / "report.json";
  try {
    write_file_atomically(path, "x");
    FAIL("expected an exception");
  } catch (const std::runtime_error& e) {
    CHECK_THAT(e.what(), Catch::Contains(path.string()));
    CHECK_THAT(e.what(), Catch::Contains("No such file or directory"));
  }
  // A directory in the way of the rename: the temporary must not be left behind.
  fs::create_directories(dir.path() / "taken" / "inner");
  CHECK_THROWS_AS(write_file_atomically(dir.path() / "taken", "x"), std::runtime_error);
  std::vector<fs::path> entries(fs::directory_iterator(dir.path()), fs::directory_iterator{});
  CHECK(entries.size() == 1);
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
    csv.add(quiet);
    // Not there until finished: a reader never sees half a report.
    CHECK_FALSE(fs::exists(path));
    csv.finish();
  }
  const auto rows = split_lines(read_text(path));
  REQUIRE(rows.size() == 9);
  CHECK(rows[0] == CsvReport::header());
  CHECK(rows[0] ==
        "path,kind,status,frame,time_ms,face,x,y,w,h,label,confidence,scores,error,warnings");
  CHECK(
      rows[1] ==
      "\"photos/two,faces.jpg\",image,ok,,,0,10,20,64,64,mask,0.98,mask=0.98;no_mask=0.01999998,,");
  CHECK(rows[2].rfind("\"photos/two,faces.jpg\",image,ok,,,1,10,20,64,64,no_mask,0.75,", 0) == 0);
  CHECK(rows[3] == "photos/none.jpg,image,ok,,,,,,,,,,,,truncated file; second");
  CHECK(rows[4] == "photos/b.jpg,unknown,error,,,,,,,,,,,\"not an image, \"\"really\"\"\",");
  CHECK(rows[5].rfind("clip.mp4,frame,ok,3,100.098,0,10,20,64,64,no_mask,0.5,", 0) == 0);
  CHECK(rows[6].rfind("clip.mp4,frame,ok,3,100.098,1,10,20,64,64,mask,0.25,", 0) == 0);
  CHECK(rows[7] == "clip.mp4,video,ok,,,,,,,,,,,,");
  CHECK(rows[8] == "quiet.mp4,video,ok,,,,,,,,,,,,");
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
        "12 files (11 ok, 1 failed) · 18 faces: no_mask 13, mask 5, hat 0 · 275 video frames "
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
  r["schema"] = "maskdetect.report/2";
  rejects("another schema version", r);
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
