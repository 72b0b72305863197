#include "maskdetect/merge.hpp"

#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>

#include "maskdetect/errors.hpp"
#include "maskdetect/shard.hpp"
#include "report_test_support.hpp"

namespace fs = std::filesystem;
using namespace maskdetect;
using maskdetect::report_testing::face;
using maskdetect::report_testing::image;
using maskdetect::testing::read_text;
using maskdetect::testing::TempDir;
using nlohmann::json;

namespace {

RunInfo shard_info(const std::string& shard) {
  RunInfo info;
  info.tool_version = "0.1.0";
  info.model_path = "models/mask_mobilenetv2.onnx";
  info.model_sha256 = "abc123";
  info.labels = {"mask", "no_mask", "not_face"};
  info.face_labels = {"mask", "no_mask"};
  info.params = {{"detector", "yunet"}, {"threshold", 0.5}, {"threads", 2}, {"shard", shard}};
  info.started_at = "2026-01-0" + shard.substr(0, 1) + "T00:00:00Z";
  return info;
}

// What a shard's run over `paths` writes: the paths of part k of n, each with a no_mask face
// when its name has "bare", in the order given.
void write_shard(const fs::path& dir, int k, int n, const std::vector<std::string>& paths,
                 RunInfo info, bool whatever_the_hash = false) {
  fs::create_directories(dir);
  JsonReport report(dir / "report.json", std::move(info));
  RunSummary summary;
  for (const auto& p : paths) {
    if (!whatever_the_hash && !in_shard(p, Shard{k, n})) continue;
    FileResult r = image(p, {face(p.find("bare") != p.npos ? "no_mask" : "mask", 0.9F)});
    report.add(r);
    summary.add(r);
  }
  summary.seconds = 1.5;
  report.write(summary);
}

const std::vector<std::string> kPaths = {"in/b/bare1.jpg", "in/a.jpg",   "in/b.jpg",
                                         "in/c/bare2.jpg", "in/a/x.jpg", "in/zz.jpg",
                                         "in/bare3.jpg",   "in/m.jpg"};

std::string refusal(const fs::path& out, const std::vector<fs::path>& shards) {
  try {
    merge_shards(out, shards);
  } catch (const SetupError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("merge joins shards in path order and recomputes the summary", "[merge][shards]") {
  TempDir t;
  std::vector<fs::path> dirs;
  for (int k = 2; k >= 0; --k) {  // any order on the command line
    dirs.push_back(t.path() / ("s" + std::to_string(k)));
    write_shard(dirs.back(), k, 3, kPaths, shard_info(std::to_string(k) + "/3"));
  }
  const MergeOutcome m = merge_shards(t.path() / "out", dirs);
  CHECK(m.shards == 3);
  CHECK(m.summary.files == 8);
  CHECK(m.summary.faces == 8);
  CHECK(m.summary.by_label.at("no_mask") == 3);
  CHECK(m.summary.seconds == Approx(4.5));
  CHECK_FALSE(m.html);
  const json r = json::parse(read_text(t.path() / "out/report.json"));
  std::vector<std::string> order;
  for (const auto& f : r["files"]) order.push_back(f["path"]);
  std::vector<std::string> sorted = kPaths;
  std::sort(sorted.begin(), sorted.end());
  CHECK(order == sorted);
  CHECK(r["summary"]["files"] == 8);
  CHECK(r["summary"]["by_label"]["mask"] == 5);
  CHECK_FALSE(r["params"].contains("shard"));
  CHECK_FALSE(r["params"].contains("threads"));
  CHECK(r["params"]["shards"] == 3);
  CHECK(r["started_at"] == "2026-01-00T00:00:00Z");
  CHECK(r["model"]["sha256"] == "abc123");
  // One CSV row per face, plus the header.
  const std::string csv = read_text(t.path() / "out/report.csv");
  CHECK(std::count(csv.begin(), csv.end(), '\n') == 9);
  CHECK(csv.find("in/zz.jpg") != std::string::npos);
  // A second merge into the same folder is refused, as a second run into an --out is.
  CHECK_THAT(refusal(t.path() / "out", dirs), Catch::Contains("earlier run"));
}

TEST_CASE("merge refuses shards that do not make one run", "[merge][shards]") {
  TempDir t;
  const auto shard = [&](const std::string& name, int k, int n, RunInfo info) {
    write_shard(t.path() / name, k, n, kPaths, std::move(info));
    return t.path() / name;
  };
  const fs::path s0 = shard("s0", 0, 2, shard_info("0/2")),
                 s1 = shard("s1", 1, 2, shard_info("1/2"));
  const fs::path out = t.path() / "out";
  CHECK_THAT(refusal(out, {s0}), Catch::Contains("missing shard 1/2"));
  CHECK_THAT(refusal(out, {s0, s0}), Catch::Contains("shard 0/2 is given twice"));
  const fs::path three = shard("three", 1, 3, shard_info("1/3"));
  CHECK_THAT(refusal(out, {s0, three}), Catch::Contains("split the inputs differently"));
  RunInfo other = shard_info("1/2");
  other.params["threshold"] = 0.7;
  CHECK_THAT(refusal(out, {s0, shard("thr", 1, 2, other)}),
             Catch::Contains("different options: threshold 0.5 against 0.7"));
  other = shard_info("1/2");
  other.params["threads"] = 16;  // never changes a result
  CHECK(refusal(out, {s0, shard("threads", 1, 2, other)}).empty());
  other = shard_info("1/2");
  other.model_sha256 = "def456";
  CHECK_THAT(refusal(t.path() / "o2", {s0, shard("sha", 1, 2, other)}),
             Catch::Contains("different models"));
  other = shard_info("0/2");
  other.params.erase("shard");
  CHECK_THAT(refusal(t.path() / "o2", {shard("whole", 0, 1, other), s1}),
             Catch::Contains("not a shard"));
  // A shard whose files are not its own by the hash (here: shard 1's written as shard 0's).
  write_shard(t.path() / "wrong", 1, 2, kPaths, shard_info("0/2"));
  CHECK_THAT(refusal(t.path() / "o2", {t.path() / "wrong", s1}),
             Catch::Contains("does not belong to shard 0/2") ||
                 Catch::Contains("shards must not share an input"));
  CHECK_THAT(refusal(t.path() / "o2", {s0, t.path() / "nothing"}),
             Catch::Contains("no report.json"));
  CHECK_THAT(refusal(s0, {s0, s1}), Catch::Contains("is one of the shards"));
  CHECK_FALSE(fs::exists(t.path() / "o2"));
}

TEST_CASE("merge refuses a shard that was stopped before its inputs ended", "[merge][shards]") {
  TempDir t;
  write_shard(t.path() / "s0", 0, 2, kPaths, shard_info("0/2"));
  write_shard(t.path() / "s1", 1, 2, kPaths, shard_info("1/2"));
  json r = json::parse(read_text(t.path() / "s1/report.json"));
  r["summary"]["interrupted"] = true;
  r["summary"]["stopped"] = "SIGTERM";
  std::ofstream(t.path() / "s1/report.json") << r.dump();
  CHECK_THAT(refusal(t.path() / "out", {t.path() / "s0", t.path() / "s1"}),
             Catch::Contains("stopped (SIGTERM)") && Catch::Contains("--resume"));
}

TEST_CASE("merge takes a name that was not UTF-8 from any shard", "[merge][shards]") {
  // Reported with U+FFFD for its bad byte, the name no longer hashes as the real one did.
  const std::string odd = "in/caf\xEF\xBF\xBD.jpg";
  const int other = static_cast<int>(1 - shard_hash(odd) % 2);
  TempDir t;
  write_shard(t.path() / "a", other, 2, {odd}, shard_info(std::to_string(other) + "/2"), true);
  write_shard(t.path() / "b", 1 - other, 2, {}, shard_info(std::to_string(1 - other) + "/2"));
  CHECK(merge_shards(t.path() / "out", {t.path() / "a", t.path() / "b"}).summary.files == 1);
}
