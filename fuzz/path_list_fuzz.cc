// Fuzzes the "-" input: the bytes are the path list read from standard input. Each input runs
// in a small sandbox tree (files, folders, a link loop, a dangling link, --out inside it), so
// relative paths meet the cases the walker must handle; absolute paths may still name real
// directories such as "/", so the walk is bounded (at most 32 entries per input).
// Nothing may throw; every entry has a path, and the output path of a usable entry stays
// inside --out.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "maskdetect/input_walk.hpp"

namespace fs = std::filesystem;

namespace {

[[noreturn]] void fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "path_list: %s: %s\n", what, detail.c_str());
  std::abort();
}

fs::path make_sandbox() {
  const fs::path root =
      fs::temp_directory_path() / ("maskdetect-path-list-fuzz-" + std::to_string(::getpid()));
  fs::remove_all(root);
  fs::create_directories(root / "photos/sub");
  fs::create_directories(root / "out/photos");
  fs::create_directories(root / "crops");
  for (const char* f : {"photos/a.jpg", "photos/b.png", "photos/sub/c.jpg", "report.json",
                        "out/photos/a.jpg", "x.jpg", "x-2.jpg"})
    std::ofstream(root / f) << "x";
  fs::create_directory_symlink(".", root / "photos/loop");
  fs::create_directory_symlink("../out", root / "photos/to-out");
  fs::create_symlink("nowhere.jpg", root / "dangling.jpg");
  fs::create_directory_symlink("photos", root / "alias");
  return root;
}

// The walk runs inside the sandbox; the fuzzer's own files are written after the callback
// returns, from the original working directory.
struct InDir {
  explicit InDir(const fs::path& dir) : saved(fs::current_path()) { fs::current_path(dir); }
  ~InDir() {
    std::error_code ec;
    fs::current_path(saved, ec);
  }
  fs::path saved;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const fs::path sandbox = make_sandbox();
  static const fs::path out_dir = sandbox / "out";
  const std::string text(reinterpret_cast<const char*>(data), size);
  std::istringstream list(text);
  // A file named on a line is used as named, even inside --out; only walks must avoid it.
  std::set<std::string> named;
  {
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      named.insert(line);
    }
  }
  try {
    const InDir in(sandbox);
    // --out both as the absolute path and as the relative spelling a user would type.
    maskdetect::InputWalker walker({"-"}, size % 2 ? out_dir : fs::path("out"), &list);
    for (int i = 0; i < 32; ++i) {
      const auto item = walker.next();
      if (!item) break;
      if (item->path.empty() && item->error.empty()) fail("an entry without a path", "");
      if (!item->error.empty()) continue;
      const fs::path rel = item->out_rel.lexically_normal();
      if (rel.empty() || rel.is_absolute() || *rel.begin() == "..")
        fail("output path escapes --out", item->out_rel.string());
      // The walk never feeds the tool its own outputs.
      if (named.count(item->path.string())) continue;
      std::error_code ec;
      const fs::path canon = fs::weakly_canonical(item->path, ec);
      const fs::path out_canon = fs::weakly_canonical(out_dir, ec);
      const auto [o, c] =
          std::mismatch(out_canon.begin(), out_canon.end(), canon.begin(), canon.end());
      if (o == out_canon.end()) fail("walked into --out", item->path.string());
    }
  } catch (const std::exception& e) {
    fail("exception escaped", e.what());
  }
  return 0;
}
