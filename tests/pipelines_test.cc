// End-to-end tests for runs in scripts and CI (issue 14): skipped files, stops that keep the
// reports, one run per --out, --resume, gates that explain themselves, the inputs users expect.
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "test_support.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using maskdetect::testing::BackgroundProcess;
using maskdetect::testing::binary;
using maskdetect::testing::fixture;
using maskdetect::testing::json_lines;
using maskdetect::testing::q;
using maskdetect::testing::read_report;
using maskdetect::testing::read_text;
using maskdetect::testing::report_entry;
using maskdetect::testing::results_of;
using maskdetect::testing::run_command;
using maskdetect::testing::run_maskdetect;
using maskdetect::testing::schema_errors;
using maskdetect::testing::shell_quote;
using maskdetect::testing::TempDir;
using maskdetect::testing::write_file;
using json = nlohmann::json;

namespace {

std::string md() { return q(binary()) + " --no-progress"; }

json valid_report(const fs::path& out) {
  INFO(out);
  REQUIRE(fs::exists(out / "report.json"));
  CHECK(schema_errors(out / "report.json") == "");
  return read_report(out);
}

// Names of the hidden temporaries of atomic writes left in `dir`.
std::vector<std::string> temporaries(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name.find(".tmp-") != std::string::npos) out.push_back(name);
  }
  return out;
}

std::size_t journal_entries(const fs::path& out) {
  std::ifstream in(out / ".maskdetect.journal");
  std::size_t n = 0;
  for (std::string line; std::getline(in, line);) n += line.find("\"path\"") != line.npos;
  return n;
}

// Waits (up to 60 s) until the run has finished `n` files by its journal.
void wait_for_files(const fs::path& out, std::size_t n) {
  const auto t0 = std::chrono::steady_clock::now();
  while (journal_entries(out) < n && std::chrono::steady_clock::now() - t0 < 60s)
    std::this_thread::sleep_for(20ms);
  REQUIRE(journal_entries(out) >= n);
}

// A folder of photos with a README, an .xml and a text file that claims to be a JPEG.
void mixed_folder(const fs::path& dir) {
  fs::create_directories(dir);
  fs::copy_file(fixture("faces/obama-240p.jpg"), dir / "a.jpg");
  fs::copy_file(fixture("faces/biden.jpg"), dir / "b.jpg");
  write_file(dir / "README.md", "# photos of the team\n");
  write_file(dir / "labels.xml", "<annotation></annotation>\n");
}

}  // namespace

// ---- skips ----

TEST_CASE("pipelines: the groups fixture's .xml files are skipped, and the run exits 0",
          "[e2e][pipelines]") {
  TempDir out;
  const auto r =
      run_maskdetect("--input " + q(fixture("groups")) + " --out " + q(out.path()) +
                     " --no-annotate --fail-on error --jsonl " + q(out.path() / "run.jsonl"));
  INFO(r.err);
  CHECK(r.status == 0);  // 45f5a48: 1, and --fail-on error: 3
  const json rep = valid_report(out.path());
  for (const char* name : {"testing.xml", "training.xml"}) {
    const json& e = report_entry(rep, name);
    CHECK(e.at("status") == "skipped");
    CHECK(e.at("kind") == "unknown");
    CHECK_THAT(e.value("reason", ""), Catch::Contains("not an image or video"));
    CHECK_FALSE(e.contains("error"));
  }
  CHECK(rep.at("summary").at("skipped") == 2);
  CHECK(rep.at("summary").at("failed") == 0);
  CHECK_THAT(r.err, Catch::Contains("2 skipped"));
  CHECK_THAT(
      read_text(out.path() / "report.csv"),
      Catch::Contains("testing.xml,unknown,skipped,") && Catch::Contains("not an image or video"));
  int skipped_lines = 0;
  for (const json& l : json_lines(read_text(out.path() / "run.jsonl")))
    skipped_lines += l.value("status", "") == "skipped";
  CHECK(skipped_lines == 2);
}

TEST_CASE("pipelines: a README is skipped but a text file named .jpg still fails",
          "[e2e][pipelines]") {
  TempDir in, out;
  mixed_folder(in.path());
  write_file(in.path() / "fake.jpg", "this is not a photo\n");
  const auto r = run_maskdetect("--input " + q(in.path()) + " --out " + q(out.path()) +
                                " --no-annotate --fail-on error");
  INFO(r.err);
  CHECK(r.status == 3);
  const json rep = valid_report(out.path());
  CHECK(report_entry(rep, "README.md").at("status") == "skipped");
  CHECK(report_entry(rep, "labels.xml").at("status") == "skipped");
  CHECK(report_entry(rep, "fake.jpg").at("status") == "error");
  // The gate names what tripped it, and only that.
  CHECK_THAT(r.err, Catch::Contains("--fail-on error was met by 1 file") &&
                        Catch::Contains("fake.jpg: not an image or video"));
  CHECK_THAT(r.err, !Catch::Contains("README.md:"));
}

TEST_CASE("pipelines: a folder holding an earlier run's output is not read as input",
          "[e2e][pipelines]") {
  TempDir in, out;
  mixed_folder(in.path());
  const fs::path earlier = in.path() / "results";
  REQUIRE(run_maskdetect("--input " + q(in.path() / "a.jpg") + " --out " + q(earlier)).status == 0);
  REQUIRE(fs::exists(earlier / "report.json"));
  const auto r = run_maskdetect("--input " + q(in.path()) + " --out " + q(out.path()));
  INFO(r.err);
  CHECK(r.status == 0);  // 45f5a48 read the old report.json as a failed input
  const json rep = valid_report(out.path());
  for (const auto& f : rep.at("files")) {
    const std::string path = f.at("path");
    INFO(path);
    // The earlier output folder is one skipped entry; nothing inside it was read.
    if (path.find("results") != std::string::npos) {
      CHECK(fs::path(path).filename() == "results");
      CHECK(f.at("status") == "skipped");
      CHECK_THAT(f.value("reason", ""), Catch::Contains("earlier maskdetect run"));
    }
  }
  CHECK(rep.at("summary").at("ok") == 2);
}

// ---- nothing lost ----

TEST_CASE("pipelines: a closed stdout still leaves every report, and says so", "[e2e][pipelines]") {
  TempDir out, tmp;
  const fs::path status = tmp.path() / "status";
  const auto r = run_command("bash -c " + shell_quote(md() + " --input " + q(fixture("faces")) +
                                                      " --out " + q(out.path()) +
                                                      " --jsonl - | head -1; echo "
                                                      "${PIPESTATUS[0]} > " +
                                                      q(status)));
  INFO(r.err);
  CHECK(json_lines(r.out).size() == 1);
  CHECK(read_text(status) == "141\n");
  const json rep = valid_report(out.path());  // 45f5a48: none
  CHECK(rep.at("summary").at("interrupted") == true);
  CHECK(rep.at("summary").at("stopped") == "stdout closed");
  CHECK(rep.at("files").size() >= 1);
  CHECK(fs::exists(out.path() / "report.csv"));
  CHECK(temporaries(out.path()).empty());
  // Each file the report lists has its annotated image.
  for (const auto& f : rep.at("files")) CHECK(fs::exists(f.at("output").get<std::string>()));
}

TEST_CASE("pipelines: SIGTERM exits 143 and two quick Ctrl-Cs exit 130, both with a report",
          "[e2e][pipelines][signal]") {
  const fs::path scenes = maskdetect::testing::shared_file("datasets/scenes-ilc2021/images");
  for (const int second_after_ms : {-1, 50}) {
    const bool sigterm = second_after_ms < 0;
    INFO((sigterm ? "SIGTERM" : "SIGINT twice"));
    TempDir out, logs;
    BackgroundProcess run({binary().string(), "--no-progress", "--input", scenes.string(), "--out",
                           out.path().string(), "--threads", "2", "--no-annotate"},
                          logs.path());
    wait_for_files(out.path(), 2);
    // A second run into the same --out, while this one runs, is refused (45f5a48: both exit 0).
    const auto second = run_maskdetect("--input " + q(fixture("faces/obama.jpg")) + " --out " +
                                       q(out.path()) + " --resume");
    CHECK(second.status == 2);
    CHECK_THAT(second.err, Catch::Contains("another maskdetect run (pid " +
                                           std::to_string(run.pid()) + ") is writing to"));
    REQUIRE(::kill(run.pid(), sigterm ? SIGTERM : SIGINT) == 0);
    if (!sigterm) {
      std::this_thread::sleep_for(std::chrono::milliseconds(second_after_ms));
      ::kill(run.pid(), SIGINT);  // 45f5a48 died here without reports
    }
    const auto r = run.wait_for(60s);
    REQUIRE(r.has_value());
    INFO(r->err);
    CHECK(r->signal == 0);
    CHECK(r->status == (sigterm ? 143 : 130));
    const json rep = valid_report(out.path());
    CHECK(rep.at("summary").at("stopped") == (sigterm ? "SIGTERM" : "SIGINT"));
    CHECK(rep.at("files").size() >= 2);
    CHECK(rep.at("files").size() < 1745);
    CHECK(fs::exists(out.path() / "report.csv"));
    CHECK(temporaries(out.path()).empty());
  }
}

TEST_CASE("pipelines: temporaries a killed run left are removed by the next run",
          "[e2e][pipelines]") {
  TempDir out;
  write_file(out.path() / ".report.json.tmp-99999-0", "");
  write_file(out.path() / ".report.csv.tmp-99999-1", "path,kind");
  write_file(out.path() / "notes.tmp-1-2", "a user's file that only looks similar");
  const auto r =
      run_maskdetect("--input " + q(fixture("faces/obama.jpg")) + " --out " + q(out.path()));
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK(temporaries(out.path()) == std::vector<std::string>{"notes.tmp-1-2"});
}

TEST_CASE("pipelines: a second run into a locked --out is refused with exit 2",
          "[e2e][pipelines]") {
  TempDir out;
  // Holds the lock as a running maskdetect does.
  const int fd = ::open((out.path() / ".maskdetect.lock").c_str(), O_RDWR | O_CREAT, 0666);
  REQUIRE(fd >= 0);
  REQUIRE(::flock(fd, LOCK_EX | LOCK_NB) == 0);
  REQUIRE(::write(fd, "4242\n", 5) == 5);
  const auto r =
      run_maskdetect("--input " + q(fixture("faces/obama.jpg")) + " --out " + q(out.path()));
  ::close(fd);
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Catch::Contains("another maskdetect run (pid 4242) is writing to"));
  CHECK_FALSE(fs::exists(out.path() / "report.json"));
}

TEST_CASE("pipelines: reusing an --out is refused, --overwrite removes only the earlier outputs",
          "[e2e][pipelines]") {
  TempDir out;
  const std::string faces = " --input " + q(fixture("faces/obama.jpg")) + " --input " +
                            q(fixture("faces/biden.jpg")) + " --out " + q(out.path());
  REQUIRE(run_maskdetect(faces + " --save-crops").status == 0);
  const json first = read_report(out.path());
  const std::string obama_out = report_entry(first, "obama.jpg").at("output");
  const json page = maskdetect::testing::read_html_report_data(out.path() / "report.html");
  const fs::path obama_thumb = out.path() / page.at("files")[0].at("thumb").get<std::string>();
  REQUIRE(page.at("files")[0].at("path") == report_entry(first, "obama.jpg").at("path"));
  REQUIRE(fs::exists(obama_thumb));
  write_file(out.path() / "my-notes.txt", "keep me");
  const auto again = run_maskdetect(faces);
  CHECK(again.status == 2);
  CHECK_THAT(again.err, Catch::Contains("--resume") && Catch::Contains("--overwrite"));
  CHECK(read_report(out.path()) == first);  // untouched

  const auto r = run_maskdetect(" --input " + q(fixture("faces/biden.jpg")) + " --out " +
                                q(out.path()) + " --overwrite");
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK_FALSE(fs::exists(obama_out));  // 45f5a48 left it beside the new report
  CHECK_FALSE(fs::exists(out.path() / "crops"));
  CHECK_FALSE(fs::exists(obama_thumb));
  CHECK(maskdetect::testing::read_html_report_data(out.path() / "report.html").at("files").size() ==
        1);
  CHECK(read_text(out.path() / "my-notes.txt") == "keep me");
  CHECK(read_report(out.path()).at("files").size() == 1);
}

TEST_CASE("pipelines: a run killed with SIGKILL, resumed, reports what one run reports",
          "[e2e][pipelines][resume]") {
  const fs::path images = maskdetect::testing::shared_file("datasets/scenes-ilc2021/images");
  std::vector<fs::path> photos;
  for (const auto& e : fs::directory_iterator(images)) photos.push_back(e.path());
  std::sort(photos.begin(), photos.end());
  REQUIRE(photos.size() >= 60);
  TempDir lists, once, resumed, logs;
  std::ofstream(lists.path() / "list.txt") << [&] {
    std::string text;
    for (std::size_t i = 0; i < 60; ++i) text += photos[i].string() + "\n";
    return text;
  }();
  const std::string common = "--input-list " + q(lists.path() / "list.txt") +
                             " --detector yunet --no-annotate --threads 2";
  const auto one = run_command(md() + " " + common + " --out " + q(once.path()));
  REQUIRE(one.status == 0);

  {
    std::vector<std::string> argv{binary().string(),
                                  "--no-progress",
                                  "--input-list",
                                  (lists.path() / "list.txt").string(),
                                  "--detector",
                                  "yunet",
                                  "--no-annotate",
                                  "--threads",
                                  "2",
                                  "--out",
                                  resumed.path().string()};
    BackgroundProcess run(argv, logs.path());
    wait_for_files(resumed.path(), 15);
    run.kill_group(SIGKILL);
    REQUIRE(run.wait_for(10s).has_value());
  }
  const std::size_t finished = journal_entries(resumed.path());
  CHECK(finished < 60);
  CHECK_FALSE(fs::exists(resumed.path() / "report.json"));
  const auto refused = run_command(md() + " " + common + " --out " + q(resumed.path()));
  CHECK(refused.status == 2);  // the journal is an earlier run
  const auto r = run_command(md() + " " + common + " --out " + q(resumed.path()) + " --resume -v");
  INFO(r.err.substr(0, 2000));
  CHECK(r.status == 0);
  const json a = valid_report(resumed.path()), b = read_report(once.path());
  CHECK(results_of(a) == results_of(b));
  json sa = a.at("summary"), sb = b.at("summary");
  sa.erase("seconds");
  sb.erase("seconds");
  CHECK(sa == sb);
  CHECK(a.at("params") == b.at("params"));
  // Only the photos the killed run had not finished were processed again (-v prints each).
  const auto processed = std::count(r.err.begin(), r.err.end(), '\n');
  CHECK(processed < 60 - static_cast<long>(finished) + 3);
}

TEST_CASE("pipelines: --resume refuses an earlier run made with other options",
          "[e2e][pipelines][resume]") {
  TempDir out;
  const std::string in = " --input " + q(fixture("faces/obama.jpg")) + " --out " + q(out.path());
  REQUIRE(run_maskdetect(in + " --no-annotate").status == 0);
  const auto r = run_maskdetect(in + " --no-annotate --resume --threshold 0.7");
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Catch::Contains("threshold 0.5, this one 0.7"));
  // Video options change what a video's entry says, so they must match too.
  const auto stride = run_maskdetect(in + " --no-annotate --resume --vid-stride 1");
  CHECK(stride.status == 2);
  CHECK_THAT(stride.err, Catch::Contains("vid_stride 3, this one 1"));
  CHECK(run_maskdetect(in + " --no-annotate --resume --threads 1").status == 0);
}

// ---- gates that explain ----

TEST_CASE("pipelines: --fail-on no_mask names the files, even with --quiet", "[e2e][pipelines]") {
  TempDir out;
  const auto r = run_maskdetect("--input " + q(fixture("faces/obama.jpg")) + " --input " +
                                q(fixture("faces/two_people.jpg")) + " --out " + q(out.path()) +
                                " --no-annotate --fail-on no_mask --quiet");
  CHECK(r.status == 3);
  CHECK_THAT(r.err, Catch::Contains("--fail-on no_mask was met by 2 files:") &&
                        Catch::Contains("obama.jpg: 1 no_mask face") &&
                        Catch::Contains("two_people.jpg: 2 no_mask faces"));
  CHECK_THAT(r.err, !Catch::Contains("files/s"));  // no summary with --quiet
}

TEST_CASE("pipelines: --quiet still names a failed file", "[e2e][pipelines]") {
  TempDir out;
  const auto r = run_maskdetect("--input " + q(fixture("bad/not-an-image.jpg")) + " --out " +
                                q(out.path()) + " --quiet");
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Catch::Contains("not-an-image.jpg:"));  // 45f5a48: nothing at all
}

TEST_CASE("pipelines: nothing to process warns, and --fail-on empty fails", "[e2e][pipelines]") {
  TempDir empty, out1, out2, out3;
  const auto warned = run_maskdetect("--input " + q(empty.path()) + " --out " + q(out1.path()));
  CHECK(warned.status == 0);
  CHECK_THAT(warned.err, Catch::Contains("warning: nothing to process"));
  const auto gated = run_maskdetect("--input " + q(empty.path()) + " --out " + q(out2.path()) +
                                    " --fail-on empty");
  CHECK(gated.status == 3);
  CHECK_THAT(gated.err, Catch::Contains("--fail-on empty was met"));
  const auto piped = run_command("echo | " + md() + " --input - --out " + q(out3.path()) +
                                 " --fail-on empty --fail-on no_mask");
  CHECK(piped.status == 3);
}

TEST_CASE("pipelines: CSV cells a spreadsheet would evaluate are neutralised", "[e2e][pipelines]") {
  TempDir in, out;
  std::string inputs;
  for (const char* name : {"=HYPERLINK(1).jpg", "@SUM(1+1).jpg", "+1.jpg", "-2.jpg"}) {
    fs::copy_file(fixture("faces/obama-240p.jpg"), in.path() / name);
    inputs += std::string(" --input=") + shell_quote(name);
  }
  // Named as they are, relative, so that the path cells start with the characters.
  const auto r = run_command("cd " + q(in.path()) + " && " + md() + inputs + " --out " +
                             q(out.path()) + " --no-annotate");
  INFO(r.err);
  CHECK(r.status == 0);
  const std::string csv = read_text(out.path() / "report.csv");
  for (const auto& line : maskdetect::testing::split_lines(csv)) {
    if (line.rfind("path,", 0) == 0) continue;
    INFO(line);
    // Every data row starts with the path cell: never with a formula character.
    CHECK(std::string("=+-@").find(line[0]) == std::string::npos);
  }
  CHECK_THAT(csv, Catch::Contains("\n'=HYPERLINK(1).jpg,") &&
                      Catch::Contains("\n'@SUM(1+1).jpg,") && Catch::Contains("\n'+1.jpg,") &&
                      Catch::Contains("\n'-2.jpg,"));
}

// ---- inputs ----

TEST_CASE("pipelines: a quoted glob, @list, --input-list and -0 stdin all name inputs",
          "[e2e][pipelines][inputs]") {
  TempDir in, out1, out2, out3;
  mixed_folder(in.path() / "photos");
  const auto glob = run_maskdetect("--input " + q(in.path() / "photos" / "*.jpg") + " --out " +
                                   q(out1.path()) + " --no-annotate");
  INFO(glob.err);
  CHECK(glob.status == 0);
  const json g = read_report(out1.path());
  REQUIRE(g.at("files").size() == 2);  // a.jpg, b.jpg; no README
  CHECK(fs::path(g["files"][0].at("path").get<std::string>()).filename() == "a.jpg");

  write_file(in.path() / "list.txt", (in.path() / "photos/b.jpg").string() + "\n\n" +
                                         (in.path() / "photos/a.jpg").string() + "\n");
  const auto listed =
      run_maskdetect("--input @" + q(in.path() / "list.txt") + " --out " + q(out2.path()));
  INFO(listed.err);
  CHECK(listed.status == 0);
  const json l = read_report(out2.path());
  REQUIRE(l.at("files").size() == 2);
  CHECK(fs::path(l["files"][0].at("path").get<std::string>()).filename() == "b.jpg");
  // Listed paths keep their folders under --out (45f5a48 kept only the file name).
  const fs::path kept = out2.path() / in.path().relative_path() / "photos" / "b.jpg";
  CHECK(l["files"][0].at("output") == kept.string());
  CHECK(fs::exists(kept));

  const auto nul = run_command("printf '%s\\0%s\\0' " + q(in.path() / "photos/a.jpg") + " " +
                               q(in.path() / "photos/README.md") + " | " + md() +
                               " -0 --input - --out " + q(out3.path()));
  INFO(nul.err);
  CHECK(nul.status == 0);
  const json n = read_report(out3.path());
  REQUIRE(n.at("files").size() == 2);
  CHECK(n["files"][1].at("status") == "skipped");
  // Paths on stdin keep their folders too.
  CHECK(fs::exists(out3.path() / in.path().relative_path() / "photos" / "a.jpg"));
}

TEST_CASE("pipelines: a pattern that matches nothing is an error entry", "[e2e][pipelines]") {
  TempDir in, out;
  const auto r = run_maskdetect("--input " + q(in.path() / "*.png") + " --out " + q(out.path()));
  CHECK(r.status == 1);
  CHECK(valid_report(out.path()).at("files").at(0).at("error") == "no file matches the pattern");
}

// ---- polish ----

TEST_CASE("pipelines: a stray argument and a misspelt option get a did-you-mean",
          "[e2e][pipelines][cli]") {
  const auto stray = run_command(md() + " photos/ --out r");
  CHECK(stray.status == 2);
  CHECK_THAT(stray.err, Catch::Contains("did you mean --input photos/?"));
  const auto typo = run_command(md() + " --input x.jpg --out r --thresh 0.6");
  CHECK(typo.status == 2);
  CHECK_THAT(typo.err, Catch::Contains("did you mean --threshold?"));
}

TEST_CASE("pipelines: parameters in the report read as the decimals they were given",
          "[e2e][pipelines]") {
  TempDir out;
  REQUIRE(run_maskdetect("--input " + q(fixture("faces/obama.jpg")) + " --out " + q(out.path()) +
                         " --no-annotate --threshold 0.6")
              .status == 0);
  const std::string text = read_text(out.path() / "report.json");
  CHECK_THAT(text, Catch::Contains("\"face_threshold\": 0.1,") &&
                       Catch::Contains("\"threshold\": 0.6") &&
                       Catch::Contains("\"haar_confirm\": 0.85,"));
  CHECK_THAT(text, !Catch::Contains("0.1000000") && !Catch::Contains("0.8500000"));
}

TEST_CASE("pipelines: the progress line shows done/total and a percentage", "[e2e][pipelines]") {
  TempDir out;
  const auto r = run_command(q(binary()) + " --progress --input " + q(fixture("faces")) +
                             " --out " + q(out.path()) + " --no-annotate");
  CHECK(r.status == 0);
  CHECK_THAT(r.err, Catch::Contains("/8 files (") && Catch::Contains("%), "));
}

TEST_CASE("pipelines: --resume of a finished run with a video rewrites the same reports",
          "[e2e][pipelines][resume]") {
  TempDir out;
  const std::string args = "--input " + q(fixture("faces/obama.jpg")) + " --input " +
                           q(fixture("video/short_hamilton_clip.mp4")) + " --max-frames 30 --out " +
                           q(out.path()) + " --no-annotate";
  REQUIRE(run_maskdetect(args).status == 0);
  const std::string csv = read_text(out.path() / "report.csv");
  const json first = read_report(out.path());
  const auto r = run_maskdetect(args + " --resume");
  INFO(r.err);
  CHECK(r.status == 0);
  // The video's frame rows come back from its frame records; nothing was processed again.
  CHECK(read_text(out.path() / "report.csv") == csv);
  CHECK(results_of(read_report(out.path())) == results_of(first));
  CHECK(read_report(out.path()).at("files") == first.at("files"));
}
