// --shard K/N: one of N parts of the inputs, chosen by a hash of each input's reported path, so
// that a part does not depend on the order the inputs were listed in, nor on the machine.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace maskdetect {

struct Shard {
  int index = 0, count = 1;  // count 1: every input
  bool all() const { return count <= 1; }
  std::string text() const { return std::to_string(index) + "/" + std::to_string(count); }
};

// The environment variables the index is read from with "auto": Kubernetes Indexed Jobs set
// the first, Slurm job arrays the second.
inline constexpr const char* kShardIndexVariables[] = {"JOB_COMPLETION_INDEX",
                                                       "SLURM_ARRAY_TASK_ID"};

// Parses "K/N" (0 <= K < N) or "auto/N" (K from the first of kShardIndexVariables that
// `getenv` finds set). Throws SetupError naming the problem: a malformed spec, N below 1, K out
// of range, or no index variable set.
Shard parse_shard(const std::string& spec, const std::function<const char*(const char*)>& getenv);

// 64-bit FNV-1a of the path's bytes: small, fixed for ever, and the same on every machine.
std::uint64_t shard_hash(const std::string& path);

// Whether the input reported as `path` belongs to `shard`.
inline bool in_shard(const std::string& path, const Shard& shard) {
  return shard.all() || shard_hash(path) % static_cast<std::uint64_t>(shard.count) ==
                            static_cast<std::uint64_t>(shard.index);
}

}  // namespace maskdetect
