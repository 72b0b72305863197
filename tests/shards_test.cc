// End-to-end tests for runs split across processes or machines (issue 14): --shard K/N, the
// index from a Kubernetes Indexed Job or a Slurm array, and `maskdetect merge`.
#include <algorithm>
#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>

#include "maskdetect/report_html.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using maskdetect::testing::binary;
using maskdetect::testing::fixture;
using maskdetect::testing::q;
using maskdetect::testing::read_report;
using maskdetect::testing::results_of;
using maskdetect::testing::run_command;
using maskdetect::testing::schema_errors;
using maskdetect::testing::TempDir;
using json = nlohmann::json;

namespace {

std::string md() { return q(binary()) + " --no-progress"; }

// Runs the shards 0..n-1 of `args` side by side, each as its own process, into DIR/s0.. .
// True when every one exited 0.
bool run_shards(const std::string& args, int n, const fs::path& dir) {
  const std::string cmd = "pids=; for k in $(seq 0 " + std::to_string(n - 1) + "); do " + md() +
                          " " + args + " --shard $k/" + std::to_string(n) + " --out " + q(dir) +
                          "/s$k 2>" + q(dir) + "/log$k & pids=\"$pids $!\"; done; rc=0; " +
                          "for p in $pids; do wait $p || rc=1; done; exit $rc";
  return run_command(cmd).status == 0;
}

std::string shard_dirs(const fs::path& dir, int n) {
  std::string out;
  for (int k = 0; k < n; ++k) out += " " + q(dir / ("s" + std::to_string(k)));
  return out;
}

json summary_without_time(json report) {
  json s = report.at("summary");
  s.erase("seconds");
  return s;
}

}  // namespace

TEST_CASE("shards: 4 shards of 200 photos, merged, report what one run reports",
          "[e2e][shards][merge]") {
  const fs::path images = maskdetect::testing::shared_file("datasets/scenes-ilc2021/images");
  std::vector<fs::path> photos;
  for (const auto& e : fs::directory_iterator(images)) photos.push_back(e.path());
  std::sort(photos.begin(), photos.end());
  REQUIRE(photos.size() >= 200);
  TempDir t;
  {
    std::ofstream list(t.path() / "list.txt");
    for (std::size_t i = 0; i < 200; ++i) list << photos[i].string() << '\n';
  }
  const std::string common =
      "--input-list " + q(t.path() / "list.txt") + " --detector yunet --no-annotate";
  const auto one = run_command(md() + " " + common + " --threads 2 --out " + q(t.path() / "one"));
  REQUIRE(one.status == 0);
  REQUIRE(run_shards(common + " --threads 1", 4, t.path()));
  std::size_t in_shards = 0;
  for (int k = 0; k < 4; ++k) {
    const json s = read_report(t.path() / ("s" + std::to_string(k)));
    CHECK(s.at("params").at("shard") == std::to_string(k) + "/4");
    // Each shard takes about a quarter: the hash spreads the paths.
    CHECK(s.at("files").size() > 25);
    in_shards += s.at("files").size();
  }
  CHECK(in_shards == 200);
  const auto merged =
      run_command(md() + " merge " + q(t.path() / "merged") + shard_dirs(t.path(), 4));
  INFO(merged.err);
  REQUIRE(merged.status == 0);
  CHECK_THAT(merged.err, Catch::Contains("4 shards into") && Catch::Contains("200 files"));
  CHECK(schema_errors(t.path() / "merged/report.json") == "");
  const json a = read_report(t.path() / "merged"), b = read_report(t.path() / "one");
  CHECK(results_of(a) == results_of(b));
  CHECK(summary_without_time(a) == summary_without_time(b));
  json pa = a.at("params"), pb = b.at("params");
  CHECK(pa.at("shards") == 4);
  pa.erase("shards");
  pb.erase("threads");
  CHECK(pa == pb);
  // The CSV has the same rows (the order of files is the same; timings are not in it).
  CHECK(maskdetect::testing::read_text(t.path() / "merged/report.csv") ==
        maskdetect::testing::read_text(t.path() / "one/report.csv"));
}

TEST_CASE("shards: auto/N from JOB_COMPLETION_INDEX, merged report.html links into the shards",
          "[e2e][shards][merge]") {
  TempDir t;
  const std::string in = " --input " + q(fixture("faces")) + " --detector yunet --threads 1";
  for (int k = 0; k < 2; ++k) {
    const auto r = run_command("JOB_COMPLETION_INDEX=" + std::to_string(k) + " " + md() + in +
                               " --shard auto/2 --out " + q(t.path() / ("s" + std::to_string(k))));
    REQUIRE(r.status == 0);
  }
  REQUIRE(run_command(md() + in + " --out " + q(t.path() / "one")).status == 0);
  const auto m = run_command(md() + " merge " + q(t.path() / "m") + shard_dirs(t.path(), 2));
  INFO(m.err);
  REQUIRE(m.status == 0);
  const json report = read_report(t.path() / "m"), one = read_report(t.path() / "one");
  CHECK(results_of(report) == results_of(one));
  for (const auto& f : report.at("files")) {
    if (!f.contains("output")) continue;
    INFO(f.at("output"));
    CHECK(fs::exists(f.at("output").get<std::string>()));  // where the shard wrote it
  }
  const json page = maskdetect::read_report_html_data(t.path() / "m/report.html");
  REQUIRE(page.is_object());
  REQUIRE(page.at("files").size() == report.at("files").size());
  CHECK(page.at("summary").at("files") == report.at("summary").at("files"));
  std::size_t links = 0;
  for (const auto& f : page.at("files")) {
    for (const char* key : {"thumb", "annotated", "source"}) {
      if (!f.contains(key)) continue;
      INFO(key << " " << f.at(key));
      CHECK(fs::exists(t.path() / "m" / maskdetect::url_path(f.at(key))));
      ++links;
    }
  }
  CHECK(links >= 2 * page.at("files").size());  // every file has its source and a thumbnail
}

TEST_CASE("shards: a missing or out-of-range index is refused, and so is an incomplete merge",
          "[e2e][shards][merge]") {
  TempDir t;
  const std::string in = " --input " + q(fixture("faces/obama.jpg")) + " --no-annotate --out ";
  const auto range = run_command(md() + in + q(t.path() / "a") + " --shard 4/4");
  CHECK(range.status == 2);
  CHECK_THAT(range.err, Catch::Contains("'4' is not one of 0..3"));
  const auto none = run_command("env -u JOB_COMPLETION_INDEX -u SLURM_ARRAY_TASK_ID " + md() + in +
                                q(t.path() / "a") + " --shard auto/4");
  CHECK(none.status == 2);
  CHECK_THAT(none.err, Catch::Contains("JOB_COMPLETION_INDEX"));
  const auto slurm = run_command("env -u JOB_COMPLETION_INDEX SLURM_ARRAY_TASK_ID=1 " + md() + in +
                                 q(t.path() / "s1") + " --shard auto/2");
  REQUIRE(slurm.status == 0);
  CHECK(read_report(t.path() / "s1").at("params").at("shard") == "1/2");
  const auto merge = run_command(md() + " merge " + q(t.path() / "m") + " " + q(t.path() / "s1"));
  CHECK(merge.status == 2);
  CHECK_THAT(merge.err, Catch::Contains("missing shard 0/2"));
  // Resuming a shard as another shard would mix two parts in one report.
  const auto other = run_command(md() + in + q(t.path() / "s1") + " --shard 0/2 --resume");
  CHECK(other.status == 2);
  CHECK_THAT(other.err, Catch::Contains("shard"));
}
