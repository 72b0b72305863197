#include "maskdetect/shard.hpp"

#include <catch2/catch.hpp>
#include <map>

#include "maskdetect/errors.hpp"

using namespace maskdetect;

namespace {

// An environment of just `vars`.
auto env(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const char* name) -> const char* {
    const auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  };
}

std::string refusal(const std::string& spec, std::map<std::string, std::string> vars = {}) {
  try {
    parse_shard(spec, env(std::move(vars)));
  } catch (const SetupError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("shard specs: K/N and auto/N, the index from Kubernetes or Slurm", "[shards]") {
  CHECK(parse_shard("0/4", env({})).index == 0);
  CHECK(parse_shard("3/4", env({})).count == 4);
  CHECK(parse_shard("auto/4", env({{"JOB_COMPLETION_INDEX", "2"}})).index == 2);
  CHECK(parse_shard("auto/4", env({{"SLURM_ARRAY_TASK_ID", "1"}})).index == 1);
  // Kubernetes first: a Slurm variable inherited into a pod must not win.
  CHECK(parse_shard("auto/4", env({{"JOB_COMPLETION_INDEX", "3"}, {"SLURM_ARRAY_TASK_ID", "1"}}))
            .index == 3);
  CHECK(parse_shard("auto/4", env({{"JOB_COMPLETION_INDEX", "3"}})).text() == "3/4");
  CHECK(parse_shard("0/1", env({})).all());
}

TEST_CASE("shard specs: a bad spec, a missing index and one out of range are refused", "[shards]") {
  CHECK_THAT(refusal("4/4"), Catch::Contains("'4' is not one of 0..3"));
  CHECK_THAT(refusal("-1/4"), Catch::Contains("is not one of 0..3"));
  CHECK_THAT(refusal("1"), Catch::Contains("expected K/N or auto/N"));
  CHECK_THAT(refusal("1/0"), Catch::Contains("expected K/N"));
  CHECK_THAT(refusal("a/4"), Catch::Contains("'a' is not one of"));
  CHECK_THAT(refusal("auto/4"), Catch::Contains("no shard index in the environment"));
  CHECK_THAT(refusal("auto/4", {{"SLURM_ARRAY_TASK_ID", "4"}}),
             Catch::Contains("(SLURM_ARRAY_TASK_ID) '4' is not one of 0..3") &&
                 Catch::Contains("--array=0-3"));
  CHECK_THAT(refusal("auto/2", {{"JOB_COMPLETION_INDEX", "x"}}),
             Catch::Contains("JOB_COMPLETION_INDEX"));
}

TEST_CASE("the shard hash is FNV-1a 64 and splits paths evenly", "[shards]") {
  // The published FNV-1a test vectors: the hash must never change, or shards made by two
  // versions would not fit together.
  CHECK(shard_hash("") == 0xcbf29ce484222325ULL);
  CHECK(shard_hash("a") == 0xaf63dc4c8601ec8cULL);
  CHECK(shard_hash("foobar") == 0x85944171f73967e8ULL);
  std::map<int, int> per_shard;
  for (int i = 0; i < 4000; ++i)
    for (int k = 0; k < 4; ++k)
      per_shard[k] += in_shard("photos/IMG_" + std::to_string(i) + ".jpg", Shard{k, 4});
  for (const auto& [k, n] : per_shard) {
    INFO(k);
    CHECK(n > 900);
    CHECK(n < 1100);
  }
  CHECK(per_shard[0] + per_shard[1] + per_shard[2] + per_shard[3] == 4000);
}
