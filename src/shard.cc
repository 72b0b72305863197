#include "maskdetect/shard.hpp"

#include <cctype>

#include "maskdetect/errors.hpp"

namespace maskdetect {
namespace {

// A whole non-negative decimal number, or -1.
long long number(const std::string& text) {
  if (text.empty() || text.size() > 9) return -1;
  for (const unsigned char c : text)
    if (!std::isdigit(c)) return -1;
  return std::stoll(text);
}

}  // namespace

std::uint64_t shard_hash(const std::string& path) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const unsigned char c : path) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

Shard parse_shard(const std::string& spec, const std::function<const char*(const char*)>& getenv) {
  const auto slash = spec.find('/');
  const std::string k = spec.substr(0, slash);
  const long long n = slash == std::string::npos ? -1 : number(spec.substr(slash + 1));
  if (n < 1)
    throw SetupError("--shard " + spec + ": expected K/N or auto/N, N a whole number from 1, " +
                     "e.g. --shard 0/4 (the first of 4) or --shard auto/4");
  std::string index = k, from = "--shard";
  if (k == "auto") {
    index.clear();
    for (const char* var : kShardIndexVariables)
      if (const char* v = getenv(var); v != nullptr && *v != '\0') {
        index = v;
        from = var;
        break;
      }
    if (index.empty())
      throw SetupError("--shard auto/" + std::to_string(n) +
                       ": no shard index in the environment (JOB_COMPLETION_INDEX of a "
                       "Kubernetes Indexed Job, SLURM_ARRAY_TASK_ID of a Slurm job array); give "
                       "--shard K/" +
                       std::to_string(n) + " instead");
  }
  const long long i = number(index);
  if (i < 0 || i >= n)
    throw SetupError("--shard " + spec + ": the index " +
                     (from == "--shard" ? std::string() : "(" + from + ") ") + "'" + index +
                     "' is not one of 0.." + std::to_string(n - 1) +
                     (from == "SLURM_ARRAY_TASK_ID"
                          ? "; submit the array as --array=0-" + std::to_string(n - 1)
                          : std::string()));
  return Shard{static_cast<int>(i), static_cast<int>(n)};
}

}  // namespace maskdetect
