#include "maskdetect/run.hpp"

#include <atomic>
#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "maskdetect/config.hpp"
#include "maskdetect/errors.hpp"
#include "test_support.hpp"

TEST_CASE("exit status follows failures and --fail-on", "[run]") {
  maskdetect::RunSummary s;
  s.by_label = {{"mask", 0}, {"no_mask", 0}};
  maskdetect::FailOn none, no_mask{true, false, false}, any{false, true, false},
      error{false, false, true};
  const auto status = [](const maskdetect::RunSummary& s, maskdetect::FailOn f) {
    return exit_status_for(s, f, {"no_mask"});
  };
  CHECK(status(s, none) == 0);
  CHECK(status(s, no_mask) == 0);
  s.faces = 1;
  s.by_label["mask"] = 1;
  CHECK(status(s, no_mask) == 0);
  CHECK(status(s, any) == 3);
  s.by_label["no_mask"] = 1;
  CHECK(status(s, no_mask) == 3);
  s.failed = 1;
  CHECK(status(s, none) == 1);
  CHECK(status(s, error) == 3);
}

TEST_CASE("failing on no_mask counts masks worn wrong unless they are allowed", "[run]") {
  maskdetect::ModelCard card;
  card.unmasked_label = "no_mask";
  card.incorrect_label = "mask_incorrect";
  maskdetect::FailOn strict{true, false, false}, lenient{true, false, false, true};
  CHECK(maskdetect::failing_labels(card, strict) ==
        std::vector<std::string>{"no_mask", "mask_incorrect"});
  CHECK(maskdetect::failing_labels(card, lenient) == std::vector<std::string>{"no_mask"});
  maskdetect::RunSummary s;
  s.faces = 2;
  s.by_label = {{"mask", 1}, {"no_mask", 0}, {"mask_incorrect", 1}};
  CHECK(exit_status_for(s, strict, failing_labels(card, strict)) == 3);
  CHECK(exit_status_for(s, lenient, failing_labels(card, lenient)) == 0);
  card.incorrect_label.clear();  // a card without the role: only no_mask counts
  CHECK(maskdetect::failing_labels(card, strict) == std::vector<std::string>{"no_mask"});
}

namespace {

maskdetect::RunOptions options_for(const std::filesystem::path& out) {
  maskdetect::RunOptions o;
  o.pipeline.out_dir = out;
  o.engine.model =
      maskdetect::testing::source_dir() / "models" / maskdetect::config::kDefaultModelFile;
  o.console.quiet = true;
  return o;
}

}  // namespace

TEST_CASE("the pipeline streams JSONL in input order and writes the reports", "[run]") {
  maskdetect::testing::TempDir out;
  auto o = options_for(out.path());
  o.pipeline.inputs = {maskdetect::testing::fixture("faces/obama.jpg").string(), "-",
                       maskdetect::testing::fixture("bad/empty.jpg").string()};
  o.jsonl = "-";
  o.save_crops = true;
  std::istringstream stdin_list(maskdetect::testing::fixture("faces/biden.jpg").string() + "\n");
  std::ostringstream data, log;
  const auto outcome = maskdetect::run_maskdetect(o, stdin_list, data, log);
  CHECK(outcome.exit_status == 1);
  CHECK(outcome.summary.files == 3);
  CHECK(outcome.summary.failed == 1);
  // --quiet: nothing but the failed file's error.
  CHECK(log.str() == "maskdetect: " + maskdetect::testing::fixture("bad/empty.jpg").string() +
                         ": empty file (0 bytes)\n");

  std::istringstream lines(data.str());
  std::vector<nlohmann::json> rows;
  for (std::string line; std::getline(lines, line);) rows.push_back(nlohmann::json::parse(line));
  REQUIRE(rows.size() == 3);
  CHECK(rows[0]["path"].get<std::string>().find("obama.jpg") != std::string::npos);
  CHECK(rows[1]["path"].get<std::string>().find("biden.jpg") != std::string::npos);
  CHECK(rows[2]["status"] == "error");
  REQUIRE(rows[0]["faces"].size() == 1);
  CHECK(rows[0]["faces"][0]["label"] == "no_mask");

  const auto report =
      nlohmann::json::parse(maskdetect::testing::read_text(out.path() / "report.json"));
  CHECK(report["files"].size() == 3);
  CHECK(report["summary"]["by_label"]["no_mask"] == 2);
  // --save-crops: a crop per face, named by its label.
  int crops = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(out.path() / "crops")) {
    if (!e.is_regular_file()) continue;
    ++crops;
    CHECK(e.path().filename().string().find("no_mask") != std::string::npos);
  }
  CHECK(crops == 2);
}

TEST_CASE("an output folder that cannot be created is a setup error", "[run]") {
  maskdetect::testing::TempDir dir;
  std::ofstream(dir.path() / "file") << "x";
  auto o = options_for(dir.path() / "file" / "out");
  o.pipeline.inputs = {maskdetect::testing::fixture("faces/obama.jpg").string()};
  std::istringstream in;
  std::ostringstream data, log;
  CHECK_THROWS_AS(maskdetect::run_maskdetect(o, in, data, log), maskdetect::SetupError);
}

TEST_CASE("an interrupted run still writes a valid report", "[run]") {
  maskdetect::testing::TempDir out;
  auto o = options_for(out.path());
  o.pipeline.inputs = {maskdetect::testing::fixture("faces").string()};
  maskdetect::StopRequest cancel;
  cancel.request(maskdetect::StopRequest::kTerminate);  // as if SIGTERM came before the first file
  o.stop = &cancel;
  std::istringstream in;
  std::ostringstream data, log;
  const auto outcome = maskdetect::run_maskdetect(o, in, data, log);
  CHECK(outcome.exit_status == 143);
  const auto report =
      nlohmann::json::parse(maskdetect::testing::read_text(out.path() / "report.json"));
  CHECK(report["summary"]["interrupted"] == true);
  CHECK(report["summary"]["stopped"] == "SIGTERM");
}
