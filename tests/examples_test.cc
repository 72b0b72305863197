// examples/ run as a user would run them: the CI jobs' commands, the jq cookbook, GNU parallel,
// the Kubernetes Indexed Job and the Slurm array as N processes on this machine, and a program
// built against the installed library.
#include <algorithm>
#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>

#include "test_support.hpp"

namespace fs = std::filesystem;
using maskdetect::testing::binary;
using maskdetect::testing::fixture;
using maskdetect::testing::q;
using maskdetect::testing::read_report;
using maskdetect::testing::read_text;
using maskdetect::testing::results_of;
using maskdetect::testing::run_command;
using maskdetect::testing::source_dir;
using maskdetect::testing::split_lines;
using maskdetect::testing::TempDir;
using json = nlohmann::json;

namespace {

fs::path example(const std::string& name) { return source_dir() / "examples" / name; }

// A shell prefix that puts the built maskdetect first on PATH, as an installed one would be.
std::string with_path() { return "PATH=" + q(binary().parent_path()) + ":\"$PATH\" "; }

// Every document of a YAML file, as JSON (python3-yaml reads it).
json yaml_documents(const fs::path& file) {
  const auto r = run_command(
      "/usr/bin/python3 -c 'import sys, json, yaml; "
      "print(json.dumps(list(yaml.safe_load_all(open(sys.argv[1])))))' " +
      q(file));
  INFO(r.err);
  REQUIRE(r.status == 0);
  return json::parse(r.out);
}

// DIR/photos: the faces fixture (8 photos, some with unmasked faces).
fs::path photos_in(const fs::path& dir) {
  fs::copy(fixture("faces"), dir / "photos", fs::copy_options::recursive);
  return dir / "photos";
}

// Runs `commands` (one shell command each) side by side in `dir`; true when all exited 0.
bool run_side_by_side(const std::vector<std::string>& commands, const fs::path& dir) {
  std::string script = "pids=; ";
  for (std::size_t i = 0; i < commands.size(); ++i)
    script += "(cd " + q(dir) + " && " + commands[i] + ") 2>" +
              q(dir / ("log" + std::to_string(i))) + " & pids=\"$pids $!\"; ";
  script += "rc=0; for p in $pids; do wait $p || rc=1; done; exit $rc";
  const auto r = run_command(script);
  return r.status == 0;
}

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
  return text;
}

}  // namespace

TEST_CASE("examples: the GitHub Actions and GitLab CI jobs fail on no_mask and keep the report",
          "[examples]") {
  const json github = yaml_documents(example("ci/github-actions.yml")).at(0);
  const json gitlab = yaml_documents(example("ci/gitlab-ci.yml")).at(0);
  std::vector<std::string> commands;  // each job's maskdetect command (not its install step)
  std::vector<std::string> kept;      // what each keeps as its artefact
  std::string check_step;
  for (const auto& step : github.at("jobs").at("masks").at("steps")) {
    const std::string run = step.value("run", "");
    if (run.rfind("maskdetect ", 0) == 0) commands.push_back(run);
    if (step.value("uses", "").rfind("actions/upload-artifact@", 0) == 0) {
      CHECK(step.value("if", "") == "always()");  // kept when the gate fails the job too
      kept.push_back(step.at("with").at("path"));
    }
  }
  const json& job = gitlab.at("masks");
  for (const auto& line : job.at("script")) commands.push_back(line);
  CHECK(job.at("artifacts").at("when") == "always");
  kept.push_back(job.at("artifacts").at("paths").at(0));
  REQUIRE(commands.size() == 2);
  REQUIRE(kept.size() == 2);
  for (std::size_t i = 0; i < 2; ++i) {
    INFO(commands[i]);
    CHECK_THAT(commands[i], Catch::Contains("--fail-on no_mask"));
    TempDir repo;
    photos_in(repo.path());
    const auto r = run_command("cd " + q(repo.path()) + " && " + with_path() + commands[i]);
    CHECK(r.status == 3);  // the faces fixture has unmasked faces: the job fails, and says why
    CHECK_THAT(r.err, Catch::Contains("photos/obama.jpg"));
    CHECK(fs::exists(repo.path() / kept[i] / "report.json"));
    CHECK(fs::exists(repo.path() / kept[i] / "report.html"));
  }
}

TEST_CASE("examples: each command of the jq cookbook prints what the cookbook shows",
          "[examples]") {
  TempDir dir;
  maskdetect::testing::write_file(photos_in(dir.path()) / "notes.txt", "meeting notes\n");
  // The run the cookbook starts from.
  const auto run = run_command("cd " + q(dir.path()) + " && " + with_path() +
                               "maskdetect --input photos --out out --jsonl results.jsonl "
                               "--no-progress");
  REQUIRE(run.status == 0);
  // A ```sh block, then the ```text block of what it prints.
  const std::string doc = read_text(example("jq-cookbook.md"));
  const std::regex pair("```sh\n([\\s\\S]*?)```\n+```text\n([\\s\\S]*?)```");
  int n = 0;
  for (std::sregex_iterator it(doc.begin(), doc.end(), pair), end; it != end; ++it, ++n) {
    const std::string command = (*it)[1], expected = (*it)[2];
    INFO(command);
    const auto r = run_command("cd " + q(dir.path()) + " && " + with_path() + command);
    CHECK(r.err == "");
    CHECK(r.status == 0);
    CHECK(r.out == expected);
  }
  CHECK(n >= 6);
}

TEST_CASE("examples: GNU parallel over 3 shards on this machine gives one run's report",
          "[examples][shards]") {
  TempDir dir;
  const fs::path photos = photos_in(dir.path());
  const std::string options = " --detector yunet --no-annotate --threads 1";
  const auto r = run_command(with_path() + q(example("parallel/shards.sh")) + " 3 " + q(photos) +
                             " " + q(dir.path() / "out") + options);
  INFO(r.err);
  REQUIRE(r.status == 0);
  for (int k = 0; k < 3; ++k)
    CHECK(fs::exists(dir.path() / "out" / ("shard-" + std::to_string(k))));
  REQUIRE(run_command(with_path() + "maskdetect --no-progress --input " + q(photos) + options +
                      " --out " + q(dir.path() / "one"))
              .status == 0);
  CHECK(results_of(read_report(dir.path() / "out/merged")) ==
        results_of(read_report(dir.path() / "one")));
}

TEST_CASE("examples: the Kubernetes Indexed Job, run as N processes here, merges to one run",
          "[examples][shards]") {
  const json docs = yaml_documents(example("kubernetes/indexed-job.yaml"));
  const json& shards = docs.at(0).at("spec");
  CHECK(shards.at("completionMode") == "Indexed");
  const int n = shards.at("completions");
  // The image's entrypoint, then the pod's args.
  std::smatch m;
  const std::string dockerfile = read_text(example("kubernetes/Dockerfile"));
  CHECK_THAT(dockerfile, Catch::Contains("\nFROM debian:12"));
  REQUIRE(std::regex_search(dockerfile, m, std::regex("\nENTRYPOINT (\\[.*\\])\n")));
  std::vector<std::string> argv = json::parse(m[1].str());
  for (const auto& a : shards.at("template").at("spec").at("containers").at(0).at("args"))
    argv.push_back(a);
  CHECK(std::find(argv.begin(), argv.end(), "auto/" + std::to_string(n)) != argv.end());
  TempDir data;
  const fs::path photos = photos_in(data.path());
  std::vector<std::string> pods;
  for (int k = 0; k < n; ++k) {
    std::string command = with_path() + "JOB_COMPLETION_INDEX=" + std::to_string(k);
    for (const auto& a : argv)  // Kubernetes expands $(VAR) in args from the pod's environment
      command += " " + q(replaced(replaced(a, "$(JOB_COMPLETION_INDEX)", std::to_string(k)),
                                  "/data", data.path().string()));
    pods.push_back(command);
  }
  INFO(pods.at(0));
  REQUIRE(run_side_by_side(pods, data.path()));
  const json merge = docs.at(1).at("spec").at("template").at("spec").at("containers").at(0);
  std::string merge_command;
  for (const auto& w : merge.at("command")) merge_command += " " + q(w);
  const auto r = run_command(with_path() + replaced(merge_command, "/data", data.path().string()));
  INFO(r.err);
  REQUIRE(r.status == 0);
  const auto one = run_command(with_path() + "maskdetect --no-progress --detector yunet --input " +
                               q(photos) + " --out " + q(data.path() / "one"));
  REQUIRE(one.status == 0);
  CHECK(results_of(read_report(data.path() / "out/merged")) ==
        results_of(read_report(data.path() / "one")));
}

TEST_CASE("examples: the Slurm array script, run as its N tasks here, merges to one run",
          "[examples][shards]") {
  const std::string script = read_text(example("slurm/array.sh"));
  std::smatch m;
  REQUIRE(std::regex_search(script, m, std::regex("#SBATCH --array=0-([0-9]+)\n")));
  const int n = std::stoi(m[1]) + 1;
  REQUIRE(std::regex_search(script, m, std::regex("--wrap \"(maskdetect merge [^\"]*)\"")));
  const std::string merge = m[1];
  TempDir dir;
  const fs::path photos = photos_in(dir.path());
  std::vector<std::string> tasks;
  for (int k = 0; k < n; ++k)
    tasks.push_back(with_path() + "SLURM_ARRAY_TASK_ID=" + std::to_string(k) +
                    " SLURM_ARRAY_TASK_COUNT=" + std::to_string(n) +
                    " SLURM_CPUS_PER_TASK=1 bash " + q(example("slurm/array.sh")) + " photos out");
  REQUIRE(run_side_by_side(tasks, dir.path()));
  const auto r =
      run_command("cd " + q(dir.path()) + " && " + with_path() + replaced(merge, "OUT", "out"));
  INFO(r.err);
  REQUIRE(r.status == 0);
  const auto one =
      run_command("cd " + q(dir.path()) + " && " + with_path() +
                  "maskdetect --no-progress --detector yunet --input photos --out one");
  REQUIRE(one.status == 0);
  CHECK(results_of(read_report(dir.path() / "out/merged")) ==
        results_of(read_report(dir.path() / "one")));
}

TEST_CASE("examples: a program built against the installed library classifies a photo",
          "[examples][install]") {
  TempDir prefix, build;
  const std::string install =
      "cmake --install " + q(binary().parent_path()) + " --prefix " + q(prefix.path());
  const auto plain = run_command(install);
  REQUIRE(plain.status == 0);
  // The library is its own component, not part of a plain install (nor of the .deb).
  CHECK_FALSE(fs::exists(prefix.path() / "include/maskdetect/engine.hpp"));
  const auto dev = run_command(install + " --component Development");
  INFO(dev.out << dev.err);
  REQUIRE(dev.status == 0);
  CHECK(fs::exists(prefix.path() / "include/maskdetect/engine.hpp"));
  // A library built with sanitizers needs its users built with them too.
  std::string sanitize;
#ifdef MASKDETECT_TEST_SANITIZE
  sanitize = " -DCMAKE_CXX_FLAGS=-fsanitize=" MASKDETECT_TEST_SANITIZE;
#endif
  const auto configure =
      run_command("cmake -S " + q(example("library")) + " -B " + q(build.path()) +
                  " -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH=" + q(prefix.path()) + sanitize);
  INFO(configure.out << configure.err);
  REQUIRE(configure.status == 0);
  const auto compile = run_command("nice -n 5 cmake --build " + q(build.path()));
  INFO(compile.out << compile.err);
  REQUIRE(compile.status == 0);
  const fs::path photo = fixture("faces/obama.jpg");
  const auto r = run_command(q(build.path() / "classify") + " " + q(photo));
  INFO(r.err);
  REQUIRE(r.status == 0);
  // The faces `maskdetect --detector yunet` finds, with the same labels and boxes.
  TempDir out;
  REQUIRE(run_command(q(binary()) + " --no-progress --detector yunet --no-annotate --input " +
                      q(photo) + " --out " + q(out.path()))
              .status == 0);
  std::string expected;
  const json report = read_report(out.path());  // kept: the loop reads into it
  for (const auto& f : report.at("files").at(0).at("faces")) {
    const json& b = f.at("box");
    expected += f.at("label").get<std::string>() + " " + std::to_string(b.at("x").get<int>()) +
                " " + std::to_string(b.at("y").get<int>()) + " " +
                std::to_string(b.at("w").get<int>()) + " " + std::to_string(b.at("h").get<int>()) +
                "\n";
  }
  REQUIRE_FALSE(expected.empty());
  std::string printed;  // without the confidence, which the report rounds
  for (const auto& line : split_lines(r.out)) {
    std::smatch m;
    REQUIRE(std::regex_match(line, m, std::regex("(\\S+) [0-9.e-]+ (.*)")));
    printed += m[1].str() + " " + m[2].str() + "\n";
  }
  CHECK(printed == expected);
}

TEST_CASE("examples: the Dockerfile builds where a container engine runs", "[examples]") {
  const auto info = run_command("timeout 10 docker info");
  if (info.status != 0) {
    WARN("no container engine here (docker info: exit " << info.status
                                                        << "): the Dockerfile was not built");
    return;
  }
  TempDir context;
  const auto debs =
      run_command("ls " + q(binary().parent_path()) + "/package/maskdetect_*_amd64.deb");
  if (debs.status != 0) {
    WARN("no .deb in BUILD/package/ (scripts/package.sh): the Dockerfile was not built");
    return;
  }
  fs::copy(example("kubernetes/Dockerfile"), context.path() / "Dockerfile");
  fs::copy(split_lines(debs.out).at(0), context.path());
  const auto built = run_command("docker build -t maskdetect-example " + q(context.path()));
  INFO(built.err);
  CHECK(built.status == 0);
  CHECK(run_command("docker run --rm maskdetect-example --version").status == 0);
}
